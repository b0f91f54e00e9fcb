"""`computed_activity`: the network itself decides, from a circuit's rotated vector, which circuit
runs next (docs/cross_circuit.md §4).

The discussion under the post expects that "which circuits are used in the later layers will
depend on computations in the earlier layers". Here they do: every circuit is a
`BranchingCircuits` circuit (d = 6: on-indicator α, decision β = [x_0 > 0], vector x). For circuit
layers l = 2..L two permutations σ⁺_l, σ⁻_l name each circuit's two parents, and circuit t computes

    γ_t = β_p + (α_q − β_q),   x = x_p + x_q,   p = σ⁺_l(t), q = σ⁻_l(t)
    α_t = step(γ_t),  β_t = step(G (R_t x)_0 + B(γ_t − 1)),  x_t = ReLU(R_t x + 2γ_t − 1) − α_t

so an on circuit hands over to its "+" child when its x_0 > 0 and to its "−" child otherwise; the
child it passes over sees a closed gate (γ = 0: its vector rows are ReLU(R_t x − 1) = 0 for |x| ≤ 1).
The active set is computed by the small circuits, not fixed by the input or a relabelling: noise
in a parent's read-out x̂_0 or α̂ turns into a wrong choice of child, which then propagates.
Exactly z circuits are on at every layer unless two on parents name the same child (probability
≈ z(z − 1)/T per layer: a merge, which the exact dynamics also compute) or a decision is within
1/(2G) of its threshold (the small circuit itself is then undecided: fractional truths).

Circuit layer 1 is the input layer (every input-active circuit's own step, post eq 5.25).
`routing = static` is the control at equal width and cost: every layer is the circuit's own step
(the post's framework with the decision pair computed and never used).

Embedding: the baseline's per-layer re-dealing; W^l = Σ_{role ∈ ±} [w̄_role ⊗ 𝒲_role + (1/S) Σ_t Δw_t ⊗
|e_t^l⟩⟨e_{σ_role(t)}^{l−1}|] (post eq 5.20 with the parent's embedding on the input side,
`capped.routed_weights` per role; both roles are bijections, so each role's χ is the capped one).
w̄⁺ reads β (gate rows ⊗ (0, 0, 1, −1, 0, 0)), w̄⁻ reads α − β; Δw_t rotates the parent's vector.
Cost: the dense baseline shape, D neurons per layer, (L − 1)·D² + L·D parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..circuits import BranchingCircuits, draw_branching_circuits
from ..schema import DesignConf, checked
from ..seeds import Streams
from .capped import routed_weights
from .layout import assign, layer_positions, permuted_allocations
from .network import Design, Network, assemble, dense_accounting

D_CIRCUIT = 6
ROUTINGS = ("branch", "static")
GATE_PLUS = np.array([0.0, 0.0, 1.0, -1.0, 0.0, 0.0])  # β of the "+" parent
GATE_MINUS = np.array([1.0, -1.0, -1.0, 1.0, 0.0, 0.0])  # α − β of the "−" parent


@dataclass
class Options(DesignConf):
    name: str = "computed_activity"  # a circuit's decision (x_0 > 0) picks which of two children runs next
    routing: str = checked("branch", choices=ROUTINGS)  # branch (computed activity) or static (same circuits, own step)
    decision_gain: float = checked(4.0, gt=0)  # G, the slope of the decision step


@dataclass(frozen=True)
class BranchDynamics:
    """`Network.dynamics`: exact small-circuit states (bs, T, 6), layer by layer.

    parents : int64 (L − 1, T, 2): σ⁺_l(t), σ⁻_l(t) for circuit layers l = 2..L.
    """

    parents: np.ndarray

    def __call__(self, circuits: BranchingCircuits, states: np.ndarray, layer: int) -> np.ndarray:
        if layer == 1:  # the input layer: every circuit's own step (post eq 5.25)
            pre = np.einsum("tij,btj->bti", circuits.weights(), states) + circuits.bias
            return np.maximum(pre, 0.0)
        par = self.parents[layer - 2]
        plus, minus = states[:, par[:, 0]], states[:, par[:, 1]]
        pre = np.einsum("ij,btj->bti", circuits.source_mean(GATE_PLUS), plus)
        pre += np.einsum("ij,btj->bti", circuits.source_mean(GATE_MINUS), minus)
        pre += np.einsum("tij,btj->bti", circuits.diff_w, plus + minus) + circuits.bias
        return np.maximum(pre, 0.0)

    def children(self, layer: int, circuits: np.ndarray) -> np.ndarray:
        """int (n, 2): the layer-`layer` circuits that read each of the layer-(layer − 1) `circuits`
        (n,) as their "+" and "−" parent (layer ≥ 2; both roles are permutations)."""
        par = self.parents[layer - 2]
        inverse = np.full_like(par, -1)
        T = par.shape[0]
        inverse[par[:, 0], 0] = np.arange(T)
        inverse[par[:, 1], 1] = np.arange(T)
        return inverse[np.asarray(circuits)]


def draw_parents(n_circuits: int, n_layers: int, rng: np.random.Generator) -> np.ndarray:
    """int64 (L − 1, T, 2): two random permutations per circuit layer 2..L with σ⁺(t) ≠ σ⁻(t) for
    every t (a child of both roles of one parent would be on whatever the parent decides)."""
    if n_circuits < 2:
        raise ValueError(f"n_circuits={n_circuits} is not allowed with design.routing=branch: need n_circuits >= 2")
    out = []
    for _ in range(max(n_layers - 1, 0)):
        plus, minus = rng.permutation(n_circuits), rng.permutation(n_circuits)
        while (clash := np.flatnonzero(plus == minus)).size:  # swap clashing "−" parents with random others,
            for c, o in zip(clash, rng.integers(n_circuits, size=clash.size)):  # one pair at a time: σ⁻ stays a permutation
                minus[c], minus[o] = minus[o], minus[c]
        out.append(np.stack([plus, minus], -1))
    return np.stack(out).astype(np.int64) if out else np.zeros((0, n_circuits, 2), dtype=np.int64)


def blocks_computed(spec) -> dict:
    """{"main": n_blocks = D/6}."""
    o = spec.options(Options)
    if o.routing not in ROUTINGS:
        raise ValueError(f"design.routing={o.routing!r} is not allowed: one of {', '.join(ROUTINGS)}")
    return {"main": spec.n_blocks(D_CIRCUIT)}


def allocate_computed(spec, rng: np.random.Generator) -> dict:
    return {"main": assign(spec, blocks_computed(spec)["main"], spec.redundancy, rng)}


def build_computed(spec, allocations: dict, rngs: Streams) -> tuple:
    """Branching circuits, the baseline's per-layer embedding and the routed (or own-step) weights."""
    o = spec.options(Options)
    circuits = draw_branching_circuits(spec.n_circuits, rngs.circuits, float(o.decision_gain))
    n_blocks = spec.n_blocks(D_CIRCUIT)
    block_sizes = [n_blocks] * D_CIRCUIT
    positions = layer_positions(permuted_allocations(allocations["main"], spec.n_layers, rngs.layers), block_sizes)
    if o.routing == "static":
        return circuits, assemble(circuits, positions, block_sizes, spec.chi_scale, spec.chi_convention)
    parents = draw_parents(spec.n_circuits, spec.n_layers, rngs.layers)
    built = []
    for l in range(1, spec.n_layers):
        par = parents[l - 1]
        w_plus, chi_plus = routed_weights(circuits.source_mean(GATE_PLUS), circuits.diff_w, positions[l], positions[l - 1],
                                          par[:, 0], block_sizes, spec.chi_scale, spec.chi_convention)
        w_minus, chi_minus = routed_weights(circuits.source_mean(GATE_MINUS), circuits.diff_w, positions[l], positions[l - 1],
                                            par[:, 1], block_sizes, spec.chi_scale, spec.chi_convention)
        built.append((w_plus + w_minus, chi_plus + chi_minus))
    network = Network(
        weights=tuple(w for w, _ in built),
        bias=np.repeat(circuits.bias, block_sizes),
        positions=positions,
        block_sizes=tuple(block_sizes),
        chi=np.stack([c for _, c in built]) if built else np.zeros((0, D_CIRCUIT, D_CIRCUIT)),
        dynamics=BranchDynamics(parents),
    )
    return circuits, network


DESIGN = Design(
    blocks=blocks_computed,
    allocate=allocate_computed,
    build=build_computed,
    accounting=dense_accounting,  # the baseline's dense shape: D neurons, L layers, (L − 1)·D² + L·D parameters
    summary="circuits decide (x_0 > 0) which of two children runs next: computed activity, or the same circuits static",
    Options=Options,
)
