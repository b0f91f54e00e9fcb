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
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

STEP_LOW, STEP_HIGH = 0.5, 1.5  # ReLU(2α − 0.5) − ReLU(2α − 1.5): flat at 0 below 0.25, at 1 above 0.75
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

    @property
    def n_circuits(self) -> int:
        return int(self.angles.shape[0])

    @property
    def d_circuit(self) -> int:
        return 2 * self.n_indicator_pairs + 2

    @cached_property
    def rotations(self) -> np.ndarray:
        """R_t, float64 ndarray of shape (n_circuits, 2, 2)."""
        c, s = np.cos(self.angles), np.sin(self.angles)
        return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)

    @cached_property
    def bias(self) -> np.ndarray:
        """b, shared by every circuit (post assumption 4), float64 ndarray of shape (d_circuit,)."""
        k = self.n_indicator_pairs
        return np.array([-STEP_LOW, -STEP_HIGH] * k + [-ROTATION_BIAS] * 2)

    @cached_property
    def mean_w(self) -> np.ndarray:
        """w̄ = E_θ[w_t] (post eq 5.18), float64 ndarray of shape (d_circuit, d_circuit)."""
        k, d = self.n_indicator_pairs, self.d_circuit
        gain = 1.0 + ROTATION_BIAS  # 2: the step function's slope and the rotation gate's weight
        w = np.zeros((d, d))
        w[:, 0 : 2 * k : 2] = gain / k
        w[:, 1 : 2 * k : 2] = -gain / k
        return w

    @cached_property
    def diff_w(self) -> np.ndarray:
        """Δw_t = w_t − w̄, float64 ndarray of shape (n_circuits, d_circuit, d_circuit).

        Only the rotation rows are non-zero: cols 2p get −R_t·(1,1)/k, cols 2p+1 get +R_t·(1,1)/k
        (so the gate reads ᾱ while a_{2:3} − ᾱ = x is rotated), and the rotation block is R_t.
        """
        k, d = self.n_indicator_pairs, self.d_circuit
        rot = self.rotations
        r1 = rot.sum(-1)  # R_t · (1, 1), shape (T, 2)
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
        """Layer-0 state a^0 = (1.5α, 0.5α, …, x0 + α, x1 + α) (post eq 5.4).

        alpha: shape (...); x: shape (..., 2). Returns shape (..., d_circuit).
        """
        alpha = np.asarray(alpha, dtype=float)
        k = self.n_indicator_pairs
        pairs = np.stack([STEP_HIGH * alpha, STEP_LOW * alpha], -1)
        return np.concatenate([np.tile(pairs, k), x + alpha[..., None]], -1)

    def read(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Read-outs α = mean_p(a_{2p} − a_{2p+1}) and x = a_rot − α (post eqs 5.5–5.6).

        a: shape (..., d_circuit). Returns α of shape (...) and x of shape (..., 2).
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
    n_circuits: int, rng: np.random.Generator, n_indicator_pairs: int = 1
) -> RotationCircuits:
    """T circuits with θ_t ~ U[0, 2π), one draw per circuit (docs/method.md §2.1)."""
    return RotationCircuits(rng.uniform(0.0, 2.0 * np.pi, n_circuits), n_indicator_pairs)


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
