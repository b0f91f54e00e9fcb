"""What is fed to the large network: sampled active sets, initial phases, and the embedded input.

Source: post eqs 5.4–5.6 and 5.25 (docs/method.md §3.3, §5.1). A sample is a set of z distinct
active circuits with unit input α = 1 and a uniform initial angle φ, x^0 = (cos φ, sin φ); the
network's input A^0 holds each active circuit's pre-activation w_t a_t^0 at its input positions:

    A^0[block i] = Σ_{t active} (w_t a_t^0)_i · e_t^0      (no bias)

Random numbers are drawn on the host (numpy), so a seed gives the same inputs on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..circuits import RotationCircuits
from ..construction.network import Network


@dataclass(frozen=True)
class Inputs:
    """Active sets and initial phases, one row per sample.

    active : int64 ndarray of shape (n_samples, n_active), distinct circuits per row.
    phases : float64 ndarray of shape (n_samples, n_active), φ with x^0 = (cos φ, sin φ); for wide
             circuits (m rotation pairs) (n_samples, n_active, m), one φ per pair.
    """

    active: np.ndarray
    phases: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.active.shape[0])

    @property
    def n_active(self) -> int:
        return int(self.active.shape[1])


# Rejection sampling of distinct circuits is kept while a row is accepted with probability
# p = Π_{k<z} (1 − k/T) ≥ 1/16 (at most 16 expected draws per row: every study's z ≪ T, whose
# draws therefore stay as they were); below that (z ≳ 2.4·√T, e.g. z = T) rows are drawn directly.
REJECTION_MIN_ACCEPTANCE = 1.0 / 16
# Rows per call of the direct draw: a (rows, T) index table of at most 2**24 entries (128 MiB).
DIRECT_TABLE_ENTRIES = 2**24


def distinct_acceptance(n_circuits: int, n_active: int) -> float:
    """Probability that z uniform draws from T circuits are distinct: Π_{k<z} (1 − k/T)."""
    p = 1.0
    for k in range(n_active):
        p *= 1.0 - k / n_circuits
        if p < REJECTION_MIN_ACCEPTANCE:
            break  # the caller only compares with the threshold
    return p


def samples_per_z(n_circuits: int, n_active, n_samples: int, exhaustive_z1: bool) -> dict:
    """{z: samples} a point runs for each z of `n_active` (per seed): every circuit once at z = 1
    when `exhaustive_z1` (`sample_inputs(..., exhaustive=True)`), else `n_samples`."""
    return {z: n_circuits if z == 1 and exhaustive_z1 else n_samples for z in n_active}


def sample_inputs(n_circuits: int, n_active: int, n_samples: int, rng: np.random.Generator, exhaustive: bool = False,
                  n_rotation_pairs: int = 1) -> Inputs:
    """Uniform random active sets of z distinct circuits and φ ~ U[0, 2π) per active slot (and
    per rotation pair of a wide circuit, `n_rotation_pairs` = m > 1).

    `exhaustive` (z = 1 only) runs every circuit exactly once, as the post's Figs 5–7 do;
    `n_samples` is then ignored. While distinct draws are likely (`REJECTION_MIN_ACCEPTANCE`),
    rows with a repeated circuit are redrawn (the published code replaced them by fixed tuples,
    biasing low indices; docs/method.md §5.1); otherwise each row is the first z entries of a
    uniform random permutation of the T circuits (O(T) per row, any z ≤ T). Both give uniform
    z-sets in uniform order.
    """
    if not 1 <= n_active <= n_circuits:
        raise ValueError(f"n_active={n_active} is not allowed: need 1 <= n_active <= n_circuits (n_circuits={n_circuits})")
    if exhaustive:
        if n_active != 1:
            raise ValueError(f"exhaustive=True needs n_active=1, got n_active={n_active}")
        active = np.arange(n_circuits, dtype=np.int64)[:, None]
    else:
        if n_samples < 1:
            raise ValueError(f"n_samples={n_samples} is not allowed: need n_samples >= 1")
        if distinct_acceptance(n_circuits, n_active) >= REJECTION_MIN_ACCEPTANCE:
            active = rng.integers(n_circuits, size=(n_samples, n_active), dtype=np.int64)
            while True:
                s = np.sort(active, axis=1)
                dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
                if not dup.any():
                    break
                active[dup] = rng.integers(n_circuits, size=(int(dup.sum()), n_active), dtype=np.int64)
        else:
            circuits = np.arange(n_circuits, dtype=np.int64)
            rows = max(1, DIRECT_TABLE_ENTRIES // n_circuits)
            active = np.concatenate([
                rng.permuted(np.broadcast_to(circuits, (min(rows, n_samples - lo), n_circuits)), axis=1)[:, :n_active].copy()  # frees the table
                for lo in range(0, n_samples, rows)
            ])
    phases = rng.uniform(0.0, 2.0 * np.pi, size=active.shape if n_rotation_pairs == 1 else (*active.shape, n_rotation_pairs))
    return Inputs(active, phases)


def initial_states(circuits: RotationCircuits, phases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x^0 (n, z, 2m) = (cos φ_j, sin φ_j)_j and the small circuits' input a^0 (n, z, d) with α = 1
    (post eqs 5.4–5.6), for phases φ (n, z) (m = 1) or (n, z, m)."""
    x0 = np.stack([np.cos(phases), np.sin(phases)], -1)
    if phases.ndim == 3:  # one unit vector per rotation pair, pairs in order
        x0 = x0.reshape(*phases.shape[:2], -1)
    return x0, circuits.encode(np.ones(x0.shape[:-1]), x0)


def embed_input_columns(network: Network, circuits: RotationCircuits, active: np.ndarray, a0: np.ndarray, n_cols: int, dtype) -> np.ndarray:
    """A^0, feature-major (D, n_cols): column b holds sample b's active circuits' pre-activations
    w_t a_t^0 at their input positions (post eq 5.25); columns past active.shape[0] stay zero.

    active : (bs, z) circuit indices; a0 : (bs, z, d) their inputs; n_cols ≥ bs.
    """
    pre = np.einsum("bzij,bzj->bzi", circuits.weights(active), a0)  # (bs, z, d)
    A0 = np.zeros((network.d_model, n_cols), dtype=dtype)
    idx = network.input_embedding()[active]  # (bs, z, d, S)
    cols = np.broadcast_to(np.arange(active.shape[0])[:, None, None, None], idx.shape)
    np.add.at(A0, (idx, cols), np.broadcast_to(pre[..., None], idx.shape).astype(dtype))
    return A0
