"""`cross_circuit`: circuits read their *parent's* state, so the active set changes with depth.

Motivated by the discussion under the post ("which circuits are used in the later layers will depend on
computations in the earlier layers"; "a framework that allows for cross-circuit computation").
docs/cross_circuit.md has the derivations.

Small-circuit truth. Circuit layer 1 is the input layer of the post (every input-active circuit
computes its own first step). For circuit layers l = 2..L, circuit t reads its parent
π_l(t) at layer l − 1:

    a_t^l = ReLU(w_t a_{π_l(t)}^{l−1} + b)     →   x_t ← R_t x_parent,  α_t ← step(α_parent)

and `fan_in_2` reads two parents (p, q) = π_l(t) and computes an AND of their indicators with the
same two ReLUs, its vector from the first parent:

    a_{0,1} = ReLU(2α_p + 2α_q − 2.5), ReLU(2α_p + 2α_q − 3.5)      → α_t = step(α_p + α_q − 1)
    a_{2:3} = ReLU(R_t x_p + 3α_p + 3α_q − 5)                       → x_t = R_t x_p if both on, else 0

Embedding. W^l = w̄ ⊗ 𝒲^l + (1/S) Σ_t Δw_t ⊗ |e_t^l⟩⟨e_{π(t)}^{l−1}| (post eq 5.20 with the parent's
embedding on the input side): `capped.routed_weights`, i.e. `capped_weights(mean_w, diff_w, pos_out, pos_in_of_parent)`. The
capped pattern C^{ij}[n, m] = 1 iff some circuit uses n at layer l while its parent uses m at
layer l − 1. χ must cancel the mean interference that a child t receives from every layer-(l−1)
circuit v that is *not* its parent: Σ_t Σ_{v ≠ π(t)} ⟨e_t^l|𝒲|e_v^{l−1}⟩ = 0. `capped_weights` sums
over the parents of the other children instead (u ≠ t, v = π(u)); the two agree when π is a
bijection (identity, permutation, both parents of fan_in_2) but not under fan-out, where siblings
share a parent and childless circuits are nobody's parent. For fan-out the χ of the w̄ part is
recomputed over (child, non-parent) pairs (`capped.suppression_constant` with `inputs`). With two parents the
w̄ part is a sum of two capped terms, one per parent role, each with its own C and χ.

`chi_convention = published` (the authors' code counts pairs t < u only; docs/reproduction.md)
carries over to the bijective routings as Σ_{t<u} ⟨e_t^l|C|e_{π(u)}^{l−1}⟩, pairs of children in
index order. Fan-out has no such pairing of children and parents, so it allows only the post's
convention.

Routing (seeded: drawn from the `layers` stream after the per-layer permutations, so `identity`
consumes nothing and reproduces `baseline` bit for bit):

    identity      π_l(t) = t                          the post's framework; network = baseline, dynamics None
    permutation   π_l a random permutation per layer  every active circuit hands over to exactly one child: constant z
    fan_out       T/f random parents, f children each  an active parent switches on f children; childless circuits
                                                        end their lineage (Σ children = T, so over uniformly sampled
                                                        inputs the expected count stays z while the spread grows)
    fan_in_2      two permutations, p(t) ≠ q(t)        on only if both parents are on (AND)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..circuits import RotationCircuits, STEP_HIGH, STEP_LOW, draw_rotation_circuits
from ..schema import DesignConf, checked
from ..seeds import Streams
from .baseline import allocate_baseline, blocks_baseline
from .capped import routed_weights
from .layout import layer_positions, permuted_allocations
from .network import Design, Network, assemble, dense_accounting

ROUTINGS = ("identity", "permutation", "fan_out", "fan_in_2")
AND_GATE = 3.0  # weight of each parent's α on the rotation neurons of a fan_in_2 child


@dataclass
class Options(DesignConf):
    name: str = "cross_circuit"  # circuit t at layer l reads its parent's state at layer l − 1
    routing: str = checked("permutation", choices=ROUTINGS)  # identity, permutation, fan_out or fan_in_2
    fan_out: int = checked(2, ge=1)  # children per parent for routing=fan_out


@dataclass(frozen=True)
class Routing:
    """Who reads whom.

    kind : one of ROUTINGS.
    parents : int64 ndarray of shape (L − 1, T, k)
        parents[l − 2, t] are the layer-(l−1) circuits that circuit t reads at circuit layer
        l = 2..L; k = 2 (first parent: vector and AND input, second: AND input) for fan_in_2, else 1.
    """

    kind: str
    parents: np.ndarray

    @property
    def n_parents(self) -> int:
        return int(self.parents.shape[2])

    def active_sets(self, active: np.ndarray) -> list[np.ndarray]:
        """The active sets the routing implies, bool (bs, T) per circuit layer 1..L, from the
        input-active circuits `active` (bs, z) alone (no small-circuit arithmetic)."""
        bs, T = active.shape[0], self.parents.shape[1]
        on = np.zeros((bs, T), dtype=bool)
        on[np.arange(bs)[:, None], active] = True
        out = [on]
        for par in self.parents:
            on = on[:, par].all(-1)  # one parent: its state; two parents: AND
            out.append(on)
        return out

    def children_counts(self) -> np.ndarray:
        """int (L − 1, T): how many children read circuit v (as first parent) at each routing layer."""
        T = self.parents.shape[1]
        return np.stack([np.bincount(p[:, 0], minlength=T) for p in self.parents])


def check_routing(kind: str, n_circuits: int, fan_out: int = 2) -> None:
    """One-line ValueError when routing `kind` cannot be drawn for T = n_circuits circuits."""
    if kind not in ROUTINGS:
        raise ValueError(f"design.routing={kind!r} is not allowed: one of {', '.join(ROUTINGS)}")
    if kind == "fan_out" and not 1 <= fan_out <= n_circuits:
        raise ValueError(f"design.fan_out={fan_out} is not allowed: need 1 <= fan_out <= n_circuits = {n_circuits}")
    if kind == "fan_in_2" and n_circuits < 2:
        raise ValueError(f"design.routing=fan_in_2 needs n_circuits >= 2, got {n_circuits}")


def draw_routing(kind: str, n_circuits: int, n_layers: int, rng: np.random.Generator, fan_out: int = 2) -> Routing:
    """A seeded routing for circuit layers 2..L (see the module docstring)."""
    check_routing(kind, n_circuits, fan_out)
    T, n = n_circuits, max(n_layers - 1, 0)
    layers = []
    for _ in range(n):
        if kind == "identity":
            par = np.arange(T)[:, None]
        elif kind == "permutation":
            par = rng.permutation(T)[:, None]
        elif kind == "fan_out":
            n_parents = T // fan_out
            chosen = rng.choice(T, n_parents, replace=False)
            slots = np.concatenate([np.repeat(chosen, fan_out), rng.choice(chosen, T - n_parents * fan_out)])
            par = rng.permutation(slots)[:, None]
        else:  # fan_in_2
            first, second = rng.permutation(T), rng.permutation(T)
            while (clash := np.flatnonzero(first == second)).size:  # a circuit's two parents differ
                other = rng.integers(T, size=clash.size)
                second[clash], second[other] = second[other], second[clash]
            par = np.stack([first, second], -1)
        layers.append(par.astype(np.int64))
    parents = np.stack(layers) if layers else np.zeros((0, T, 2 if kind == "fan_in_2" else 1), dtype=np.int64)
    return Routing(kind, parents)


# ---------------------------------------------------------------- the AND step of fan_in_2
def and_step(circuits: RotationCircuits) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(w̄ on the first parent, Δw_t on the first parent, w̄ on the second parent, bias) of the
    fan_in_2 step: α_t = step(α_p + α_q − 1), x_t = R_t x_p gated by 3α_p + 3α_q − 5."""
    if circuits.n_indicator_pairs != 1:
        raise ValueError("routing=fan_in_2 is defined for the post's d = 4 circuit (one indicator pair)")
    gate = 2.0  # the step function's slope, as in the post
    mean_second = np.zeros((4, 4))
    mean_second[0:2, 0], mean_second[0:2, 1] = gate, -gate
    mean_second[2:4, 0], mean_second[2:4, 1] = AND_GATE, -AND_GATE
    mean_first = mean_second.copy()
    bias = np.array([-(STEP_LOW + gate), -(STEP_HIGH + gate), -(2 * AND_GATE - 1.0), -(2 * AND_GATE - 1.0)])
    return mean_first, circuits.diff_w, mean_second, bias


# ---------------------------------------------------------------- truth
@dataclass(frozen=True)
class RoutedDynamics:
    """`Network.dynamics`: exact small-circuit states (bs, T, d) of every circuit, layer by layer."""

    routing: Routing

    def __call__(self, circuits: RotationCircuits, states: np.ndarray, layer: int) -> np.ndarray:
        if layer == 1:  # the input layer: every circuit computes its own first step (post eq 5.25)
            pre = np.einsum("tij,btj->bti", circuits.weights(), states) + circuits.bias
            return np.maximum(pre, 0.0)
        par = self.routing.parents[layer - 2]
        first = states[:, par[:, 0]]
        if self.routing.kind != "fan_in_2":
            pre = np.einsum("tij,btj->bti", circuits.weights(), first) + circuits.bias
        else:
            mean_first, diff_first, mean_second, bias = and_step(circuits)
            pre = np.einsum("tij,btj->bti", mean_first + diff_first, first)
            pre += np.einsum("ij,btj->bti", mean_second, states[:, par[:, 1]]) + bias
        return np.maximum(pre, 0.0)


# ---------------------------------------------------------------- the design contract
def blocks_cross_circuit(spec) -> dict:
    o = spec.options(Options)
    check_routing(o.routing, spec.n_circuits, int(o.fan_out))
    if o.routing == "fan_out" and spec.chi_convention != "post":
        raise ValueError(f"design.chi_convention={spec.chi_convention!r} is not allowed with design.routing=fan_out: only 'post'")
    return blocks_baseline(spec)


def allocate_cross_circuit(spec, rng: np.random.Generator) -> dict:
    return allocate_baseline(spec, rng)


def build_cross_circuit(spec, allocations: dict, rngs: Streams) -> tuple:
    """Rotation circuits, the baseline's per-layer embedding, routed weights and the truth."""
    o = spec.options(Options)
    kind, fan_out = o.routing, int(o.fan_out)
    circuits = draw_rotation_circuits(spec.n_circuits, rngs.circuits)
    n_blocks = spec.n_blocks(circuits.d_circuit)
    block_sizes = [n_blocks] * circuits.d_circuit
    positions = layer_positions(permuted_allocations(allocations["main"], spec.n_layers, rngs.layers), block_sizes)
    routing = draw_routing(kind, spec.n_circuits, spec.n_layers, rngs.layers, fan_out)
    if kind == "identity":
        return circuits, assemble(circuits, positions, block_sizes, spec.chi_scale, spec.chi_convention)  # exactly the baseline
    built, layer_bias = [], [np.repeat(circuits.bias, block_sizes)]
    for l in range(1, spec.n_layers):
        par = routing.parents[l - 1]
        if kind == "fan_in_2":
            mean_first, diff_first, mean_second, bias = and_step(circuits)
            w1, chi1 = routed_weights(mean_first, diff_first, positions[l], positions[l - 1], par[:, 0], block_sizes,
                                      spec.chi_scale, spec.chi_convention)
            w2, chi2 = routed_weights(mean_second, np.zeros_like(diff_first), positions[l], positions[l - 1], par[:, 1], block_sizes,
                                      spec.chi_scale, spec.chi_convention)
            built.append((w1 + w2, chi1 + chi2))
            layer_bias.append(np.repeat(bias, block_sizes))
        else:
            built.append(routed_weights(circuits.mean_w, circuits.diff_w, positions[l], positions[l - 1], par[:, 0], block_sizes,
                                        spec.chi_scale, spec.chi_convention))
            layer_bias.append(layer_bias[0])
    d = circuits.d_circuit
    network = Network(
        weights=tuple(w for w, _ in built),
        bias=layer_bias[0],
        positions=positions,
        block_sizes=tuple(int(b) for b in block_sizes),
        chi=np.stack([c for _, c in built]) if built else np.zeros((0, d, d)),
        layer_bias=tuple(layer_bias) if kind == "fan_in_2" else None,
        dynamics=RoutedDynamics(routing),
    )
    return circuits, network


def routing_of(network: Network) -> Routing | None:
    """The routing a cross_circuit network was built with (None: identity / static)."""
    return getattr(network.dynamics, "routing", None)


DESIGN = Design(
    blocks=blocks_cross_circuit,
    allocate=allocate_cross_circuit,
    build=build_cross_circuit,
    accounting=dense_accounting,  # the baseline's dense shape: D neurons, L layers, (L − 1)·D² + L·D parameters
    summary="circuits read their parent's state: identity, permutation, fan_out or fan_in_2 routing",
    Options=Options,
)
