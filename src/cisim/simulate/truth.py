"""The exact small-circuit states the large network's read-outs are scored against.

Source: post eqs 5.1–5.6 (the small circuits, docs/method.md §2) and docs/method.md §6 (metrics). Only circuits with
a non-zero true state are listed, sparsely; every other circuit is exactly zero. "Layer" here is a
circuit layer l = 0..L (the read-out points of the large network, `Network.readouts`).
"""

from __future__ import annotations

import numpy as np

from ..circuits import RotationCircuits
from ..construction.network import Network
from ..metrics import ON_THRESHOLD


def true_states(network: Network, circuits: RotationCircuits, active: np.ndarray, a0: np.ndarray) -> list:
    """Exact small-circuit states of the circuits that are non-zero, per circuit layer 0..L.

    active : (bs, z) circuit indices; a0 : (bs, z, d) their inputs.
    Returns a list of L + 1 tuples (rows, cols, α, x): sample and circuit indices of every circuit
    whose true state is non-zero, with its α and x (shape (k, 2m)); all other circuits are exactly
    zero. Static activity (the post's framework) runs each active circuit's own forward pass; a
    design with `dynamics` propagates all circuits' states (bs, T, d), so the active set can change.
    """
    L, T = network.n_layers, network.n_circuits
    bs, z = active.shape
    if network.dynamics is None:
        alpha, x = circuits.read(circuits.forward(active, a0, L))  # (L+1, bs, z[, 2])
        rows, cols = np.repeat(np.arange(bs), z), active.ravel()
        return [(rows, cols, alpha[l].ravel(), x[l].reshape(rows.size, -1)) for l in range(L + 1)]
    states = np.zeros((bs, T, circuits.d_circuit))
    states[np.arange(bs)[:, None], active] = a0
    out = []
    for layer in range(L + 1):
        if layer:
            states = network.dynamics(circuits, states, layer)
        rows, cols = np.nonzero(states.any(-1))
        alpha, x = circuits.read(states[rows, cols])
        out.append((rows, cols, alpha, x))
    return out


def trajectory_truth(truth_layer, k: int, follow: np.ndarray, dynamic: bool) -> tuple:
    """True x (k, 2) (its first rotation pair) of the followed circuit in each of the first k samples (k ≤ n_trajectories,
    small), and the circuits followed (k,).

    With dynamics the followed circuit is the lowest-numbered active one at this layer (the
    previous one is kept when none is active)."""
    rows, cols, alpha, x = truth_layer
    follow = follow.copy()
    out = np.zeros((k, 2))
    for i in range(k):
        mine = rows == i
        if dynamic and (mine & (alpha > 0.5)).any():
            follow[i] = cols[mine & (alpha > 0.5)].min()
        hit = np.flatnonzero(mine & (cols == follow[i]))
        if hit.size:
            out[i] = x[hit[0], :2]  # the first rotation pair
    return out, follow


def listing(truth_layer, bs: int, n_cols: int) -> tuple:
    """Host tables of the circuits whose true state is listed (non-zero), k per sample.

    Returns idx (k, n_cols) int64 (padding points at circuit 0), valid (k, bs), α (k, bs) and
    x (k, bs, 2m).
    """
    rows, cols, alpha, x = truth_layer
    counts = np.bincount(rows, minlength=bs)
    k = max(int(counts.max()) if counts.size else 0, 1)
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    rank = np.arange(r.size) - np.concatenate([[0], np.cumsum(counts)[:-1]])[r]
    idx = np.zeros((k, n_cols), dtype=np.int64)
    valid = np.zeros((k, bs), dtype=bool)
    alpha_t = np.zeros((k, bs))
    x_t = np.zeros((k, bs, x.shape[-1]))
    idx[rank, r] = cols[order]
    valid[rank, r] = True
    alpha_t[rank, r] = alpha[order]
    x_t[rank, r] = x[order]
    return idx, valid, alpha_t, x_t


def inactive_mask(truth_layer, n_cols: int, n_circuits: int) -> np.ndarray:
    """(T, n_cols) bool: False exactly at the listed circuits (scored against their truth)."""
    rows, cols = truth_layer[0], truth_layer[1]
    inactive = np.ones((n_circuits, n_cols), dtype=bool)
    inactive[cols, rows] = False
    return inactive


def passed_over(dynamics, previous, current, layer: int, n_circuits: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols): the circuits a truly-on parent at circuit layer `layer` − 1 could have switched on
    at `layer` (its children, `dynamics.children`) that are not on in truth (α ≤ ON_THRESHOLD), once
    per sample. Reading one of them as on is a wrong decision fed by the parent's read-out noise;
    every other false-on circuit has no on parent, so interference alone switched it on."""
    rows, cols, alpha = previous[:3]
    on = alpha > ON_THRESHOLD
    kids = dynamics.children(layer, cols[on])  # (n, c)
    keys = np.repeat(rows[on].astype(np.int64), kids.shape[1]) * n_circuits + kids.ravel()
    now_rows, now_cols, now_alpha = current[:3]
    on_now = now_alpha > ON_THRESHOLD
    now_on = now_rows[on_now].astype(np.int64) * n_circuits + now_cols[on_now]
    keys = np.unique(keys[~np.isin(keys, now_on)])
    return keys // n_circuits, keys % n_circuits
