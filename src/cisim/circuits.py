"""Small circuits: the conditional rotation with its on-indicator, and its exact forward pass;
and generic ReLU circuits (`ReLUCircuits`, end of this module), which ping-pong embeds.

Source: "Rotations in Superposition" (Linsefors & Bushnaq, 2025), §3 and §5.1, eqs 5.1–5.6;
docs/method.md §2. Each circuit t carries an on-indicator α ∈ {0, 1} and a 2-d vector x, and
every layer applies a ← ReLU(w_t a + b) with

    neurons 0, 1 (on-indicator):  ReLU(2α − 0.5), ReLU(2α − 1.5)        → α' = a0 − a1 (step function)
    neurons 2, 3 (rotation):      ReLU(R_t x + 2α − 1)                 → x' = a_{2:3} − α' = R_t x

The weights split into an explicit mean w̄ (the expectation over uniform θ, *not* the sample
mean; docs/method.md §2.2) and a per-circuit part Δw_t, as the large-network construction needs.

`n_indicator_pairs = k > 1` gives the redundant-indicator variant (width 2k + 2): every pair,
and the gate of the rotation neurons, reads the mean of the k pairs, ᾱ = (1/k) Σ_p (a_{2p} − a_{2p+1}).
k = 1 is exactly the post's circuit.

Wide circuits (docs/correction.md §2): `n_rotation_pairs = m > 1` carries a payload of m independent
2-d rotations (angles θ_{t,j}, one per pair), width d = 2k + 2m; every rotation pair is gated by
ᾱ exactly as the post's single pair. `step_gain = g` sets the slope of the indicator's step
function, ReLU(g(ᾱ − ½) + ½) − ReLU(g(ᾱ − ½) − ½): the post's g = 2 (biases −0.5, −1.5) is flat
below ᾱ = 1/4 and above 3/4; g = k makes the k copies a majority vote (the copies hold 0 or 1, so
their mean moves in steps of 1/k and the step rises within one vote of ½).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

STEP_LOW, STEP_HIGH = 0.5, 1.5  # ReLU(2α − 0.5) − ReLU(2α − 1.5): flat at 0 below 0.25, at 1 above 0.75
POST_STEP_GAIN = 2.0  # the slope of that step
ROTATION_BIAS = 1.0  # b in the post; every script uses b = 1


@dataclass(frozen=True)
class RotationCircuits:
    """T rotation circuits with k on-indicator pairs (post §5.1; docs/method.md §2).

    Attributes
    ----------
    angles : float64 ndarray of shape (n_circuits,)
        θ_t, one rotation angle per circuit, used at every layer.
    n_indicator_pairs : int
        k; the circuit width is d_circuit = 2k + 2.
    """

    angles: np.ndarray
    n_indicator_pairs: int = 1
    n_rotation_pairs: int = 1
    step_gain: float = POST_STEP_GAIN

    def __post_init__(self):
        m = self.n_rotation_pairs
        shape = np.shape(self.angles)
        if m < 1 or self.n_indicator_pairs < 1 or not (shape[1:] == () if m == 1 else shape[1:] == (m,)):
            raise ValueError(f"angles of shape {shape} do not fit n_rotation_pairs={m}: need (T,) for m = 1, (T, m) otherwise")
        if not self.step_gain >= 1.0:
            raise ValueError(f"step_gain={self.step_gain} is not allowed: need step_gain >= 1 (a step no flatter than the identity)")

    @property
    def n_circuits(self) -> int:
        return int(self.angles.shape[0])

    @property
    def d_payload(self) -> int:
        """2m: the rotation neurons."""
        return 2 * self.n_rotation_pairs

    @property
    def d_circuit(self) -> int:
        return 2 * self.n_indicator_pairs + self.d_payload

    @cached_property
    def rotations(self) -> np.ndarray:
        """R_t, float64 ndarray of shape (n_circuits, 2m, 2m): block-diagonal, one 2-d rotation per
        payload pair ((n_circuits, 2, 2) for the post's circuit)."""
        T, m = self.n_circuits, self.n_rotation_pairs
        theta = np.reshape(self.angles, (T, m))
        c, s = np.cos(theta), np.sin(theta)
        blocks = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (T, m, 2, 2)
        if m == 1:
            return blocks[:, 0]
        out = np.zeros((T, 2 * m, 2 * m))
        for j in range(m):
            out[:, 2 * j : 2 * j + 2, 2 * j : 2 * j + 2] = blocks[:, j]
        return out

    @cached_property
    def bias(self) -> np.ndarray:
        """b, shared by every circuit (post assumption 4), float64 ndarray of shape (d_circuit,):
        the step's (½ − g/2, −½ − g/2) per indicator pair (−0.5, −1.5 for g = 2), −1 per rotation neuron."""
        k, g = self.n_indicator_pairs, self.step_gain
        return np.array([0.5 - g / 2, -0.5 - g / 2] * k + [-ROTATION_BIAS] * self.d_payload)  # g = 2: −STEP_LOW, −STEP_HIGH

    @cached_property
    def mean_w(self) -> np.ndarray:
        """w̄ = E_θ[w_t] (post eq 5.18), float64 ndarray of shape (d_circuit, d_circuit)."""
        k, d = self.n_indicator_pairs, self.d_circuit
        gain = 1.0 + ROTATION_BIAS  # 2: the rotation gate's weight (and the post's step slope)
        w = np.zeros((d, d))
        w[:, 0 : 2 * k : 2] = gain / k
        w[:, 1 : 2 * k : 2] = -gain / k
        w[: 2 * k, 0 : 2 * k : 2] = self.step_gain / k  # the indicator rows: the step's slope g
        w[: 2 * k, 1 : 2 * k : 2] = -self.step_gain / k
        return w

    @cached_property
    def diff_w(self) -> np.ndarray:
        """Δw_t = w_t − w̄, float64 ndarray of shape (n_circuits, d_circuit, d_circuit).

        Only the rotation rows are non-zero: cols 2p get −R_t·1/k, cols 2p+1 get +R_t·1/k
        (so the gate reads ᾱ while a_rot − ᾱ·1 = x is rotated), and the rotation block is R_t.
        """
        k, d = self.n_indicator_pairs, self.d_circuit
        rot = self.rotations
        r1 = rot.sum(-1)  # R_t · 1, shape (T, 2m)
        dw = np.zeros((self.n_circuits, d, d))
        dw[:, 2 * k :, 0 : 2 * k : 2] = -r1[:, :, None] / k
        dw[:, 2 * k :, 1 : 2 * k : 2] = r1[:, :, None] / k
        dw[:, 2 * k :, 2 * k :] = rot
        return dw

    def weights(self, circuits: np.ndarray | None = None) -> np.ndarray:
        """w_t = w̄ + Δw_t for the given circuit indices (all if None): shape (..., d, d)."""
        dw = self.diff_w if circuits is None else self.diff_w[circuits]
        return self.mean_w + dw

    def encode(self, alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Layer-0 state a^0 = (1.5α, 0.5α, …, x0 + α, x1 + α, …) (post eq 5.4).

        alpha: shape (...); x: shape (..., 2m). Returns shape (..., d_circuit).
        """
        alpha = np.asarray(alpha, dtype=float)
        k = self.n_indicator_pairs
        pairs = np.stack([STEP_HIGH * alpha, STEP_LOW * alpha], -1)
        return np.concatenate([np.tile(pairs, k), x + alpha[..., None]], -1)

    def read(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Read-outs α = mean_p(a_{2p} − a_{2p+1}) and x = a_rot − α (post eqs 5.5–5.6).

        a: shape (..., d_circuit). Returns α of shape (...) and x of shape (..., 2m).
        """
        k = self.n_indicator_pairs
        if k == 1:
            alpha = a[..., 0] - a[..., 1]
        else:
            alpha = (a[..., 0 : 2 * k : 2] - a[..., 1 : 2 * k : 2]).mean(-1)
        return alpha, a[..., 2 * k :] - alpha[..., None]

    def forward(self, circuits: np.ndarray, a0: np.ndarray, n_layers: int) -> np.ndarray:
        """Exact small-circuit forward pass, the ground truth (post eq 5.1).

        circuits: int array of shape (...); a0: shape (..., d_circuit).
        Returns float64 ndarray of shape (n_layers + 1, ..., d_circuit), layer 0 = a0.
        """
        w = self.weights(circuits)
        out = [np.asarray(a0, dtype=float)]
        for _ in range(n_layers):
            out.append(np.maximum(np.einsum("...ij,...j->...i", w, out[-1]) + self.bias, 0.0))
        return np.stack(out)


def draw_rotation_circuits(
    n_circuits: int, rng: np.random.Generator, n_indicator_pairs: int = 1, n_rotation_pairs: int = 1,
    step_gain: float = POST_STEP_GAIN,
) -> RotationCircuits:
    """T circuits with θ_{t,j} ~ U[0, 2π), one draw per circuit and rotation pair (docs/method.md §2.1)."""
    size = n_circuits if n_rotation_pairs == 1 else (n_circuits, n_rotation_pairs)
    return RotationCircuits(rng.uniform(0.0, 2.0 * np.pi, size), n_indicator_pairs, n_rotation_pairs, step_gain)


# ---------------------------------------------------------------- circuits that decide which circuit runs next
DECISION_MARGIN_BIAS = 2.0  # B − G: how far an off gate pushes the decision below its step


@dataclass(frozen=True)
class BranchingCircuits(RotationCircuits):
    """The post's rotation circuit plus a *decision* pair: width d = 6 (docs/cross_circuit.md §4).

    Neurons 0, 1 hold the on-indicator α, neurons 2, 3 the decision β = [x_0 > 0] of the circuit's
    own rotated vector, neurons 4, 5 the vector (x + α). One step from a source state with gate γ
    (the source's on-indicator for a circuit's own step) and vector x = a_{4:6} − α·1 is

        α' = step(γ)                     ReLU(2γ − ½), ReLU(2γ − 3/2)
        β' = step(G (R_t x)_0 + B(γ − 1))  ReLU(G (R_t x)_0 + Bγ − B + ½), ReLU(… − ½)
        x' = R_t x gated by γ            ReLU(R_t x + 2γ − 1)

    with B = G + DECISION_MARGIN_BIAS, so a closed gate (γ = 0) keeps β' = 0 whatever |x| ≤ 1 holds.
    β is exact (0 or 1) unless |(R_t x)_0| < 1/(2G), where the small circuit itself is undecided.
    `weights` are the circuit's own step (γ = α); `source_weights` give the step reading another
    circuit's state through any gate (the branching design reads β of one parent and α − β of another).

    decision_gain : G, the slope of the decision step.
    """

    decision_gain: float = 4.0

    def __post_init__(self):
        super().__post_init__()
        if self.n_indicator_pairs != 1 or self.n_rotation_pairs != 1 or self.step_gain != POST_STEP_GAIN:
            raise ValueError("BranchingCircuits are the post's circuit (k = 1, m = 1, step gain 2) plus a decision pair")
        if not self.decision_gain > 0:
            raise ValueError(f"decision_gain={self.decision_gain} is not allowed: need decision_gain > 0")

    @property
    def d_circuit(self) -> int:
        return 6

    @property
    def decision_bias(self) -> float:
        """B: the decision rows' weight on the gate."""
        return self.decision_gain + DECISION_MARGIN_BIAS

    @cached_property
    def bias(self) -> np.ndarray:
        B = self.decision_bias
        return np.array([-STEP_LOW, -STEP_HIGH, 0.5 - B, -0.5 - B, -ROTATION_BIAS, -ROTATION_BIAS])

    @cached_property
    def gate_rows(self) -> np.ndarray:
        """(6,): each output neuron's weight on the gate γ: 2 (the steps and the rotation gate), B (decision)."""
        gain = 1.0 + ROTATION_BIAS
        return np.array([POST_STEP_GAIN, POST_STEP_GAIN, self.decision_bias, self.decision_bias, gain, gain])

    def source_mean(self, gate: np.ndarray) -> np.ndarray:
        """w̄ of a step whose gate is `gate` · a_source (gate: (6,) read-out row): outer(gate_rows, gate)."""
        return np.outer(self.gate_rows, gate)

    @cached_property
    def mean_w(self) -> np.ndarray:
        """w̄ = E_θ[w_t] of the own step (gate γ = α = a_0 − a_1): E_θ R_t = 0 leaves the gate terms."""
        return self.source_mean(np.array([1.0, -1.0, 0, 0, 0, 0]))

    @cached_property
    def diff_w(self) -> np.ndarray:
        """Δw_t (T, 6, 6): the rotation of the source's vector x = a_{4:6} − α·1 into the vector rows
        (R_t) and into the decision rows (G·(R_t)_0), for any source gate."""
        read_x = np.zeros((2, 6))
        read_x[:, 4:6] = np.eye(2)
        read_x[:, 0], read_x[:, 1] = -1.0, 1.0
        rx = np.einsum("tij,jk->tik", self.rotations, read_x)  # (T, 2, 6): R_t x as rows over the source's neurons
        dw = np.zeros((self.n_circuits, 6, 6))
        dw[:, 2] = dw[:, 3] = self.decision_gain * rx[:, 0]
        dw[:, 4:6] = rx
        return dw

    def encode(self, alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
        """a^0 = (1.5α, 0.5α, 0, 0, x0 + α, x1 + α): no decision yet (the first step computes it)."""
        alpha = np.asarray(alpha, dtype=float)
        zeros = np.zeros_like(alpha)
        return np.stack([STEP_HIGH * alpha, STEP_LOW * alpha, zeros, zeros, x[..., 0] + alpha, x[..., 1] + alpha], -1)

    def read(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """α = a_0 − a_1 and x = a_{4:6} − α (as the post's circuit; the decision is not read out)."""
        alpha = a[..., 0] - a[..., 1]
        return alpha, a[..., 4:6] - alpha[..., None]

    @staticmethod
    def decision(a: np.ndarray) -> np.ndarray:
        """β = a_2 − a_3, shape (...)."""
        return a[..., 2] - a[..., 3]


def draw_branching_circuits(n_circuits: int, rng: np.random.Generator, decision_gain: float = 4.0) -> BranchingCircuits:
    """T branching circuits with θ_t ~ U[0, 2π) (the same draw as `draw_rotation_circuits`)."""
    return BranchingCircuits(rng.uniform(0.0, 2.0 * np.pi, n_circuits), decision_gain=decision_gain)


# ---------------------------------------------------------------- generic ReLU circuits
@dataclass(frozen=True)
class ReLUCircuits:
    """T generic small ReLU circuits of width d and depth L: h^k = ReLU(W_k(t) h^{k−1} + b_k(t)).

    The second small-circuit family: every circuit has its own weights and bias at every layer,
    with no on-indicator and no split into w̄ and Δw_t. The ping-pong construction
    (`cisim.construction.pingpong`, docs/cross_circuit.md §3) embeds any such family exactly; the
    post's rotation circuits are the special case `rotation_relu_circuits` (the same w_t and b at
    every layer).

    weights : float64 (T, L, d, d);  biases : float64 (T, L, d).
    """

    weights: np.ndarray
    biases: np.ndarray

    @property
    def n_circuits(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_layers(self) -> int:
        return int(self.weights.shape[1])

    @property
    def d_circuit(self) -> int:
        return int(self.weights.shape[2])

    def forward(self, circuits: np.ndarray, h0: np.ndarray) -> np.ndarray:
        """Exact forward pass of `circuits` (bs,) from h0 (bs, d): (L + 1, bs, d), layer 0 = h0."""
        out = [np.asarray(h0, dtype=np.float64)]
        for k in range(self.n_layers):
            w, b = self.weights[circuits, k], self.biases[circuits, k]
            out.append(np.maximum(np.einsum("bij,bj->bi", w, out[-1]) + b, 0.0))
        return np.stack(out)


def random_circuits(n_circuits: int, d_circuit: int, n_layers: int, rng: np.random.Generator, bias_scale: float = 0.5) -> ReLUCircuits:
    """Generic seeded circuits: W ~ N(0, 2/d) (He scale, so states stay O(1) over depth), b ~ N(0, bias_scale²)."""
    w = rng.normal(0.0, np.sqrt(2.0 / d_circuit), (n_circuits, n_layers, d_circuit, d_circuit))
    b = rng.normal(0.0, bias_scale, (n_circuits, n_layers, d_circuit))
    return ReLUCircuits(w, b)


def rotation_relu_circuits(angles: np.ndarray, n_layers: int) -> ReLUCircuits:
    """The post's d = 4 rotation circuits (`RotationCircuits`, k = 1) as generic ReLU circuits:
    w_t and b at every one of the `n_layers` layers."""
    rot = RotationCircuits(np.asarray(angles, dtype=np.float64))
    w = np.repeat(rot.weights()[:, None], n_layers, axis=1)
    b = np.broadcast_to(rot.bias, (rot.n_circuits, n_layers, rot.d_circuit)).copy()
    return ReLUCircuits(w, b)
