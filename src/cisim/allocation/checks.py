"""Diagnostics of an allocation: overlaps, loads and the mean-square interference.

An allocation is an int ndarray of shape (n_circuits, redundancy) = (T, S) of block positions in
[0, n_blocks) = [0, n), distinct within a row. Its incidence matrix E (T, n) is never formed, nor
is the T x T overlap matrix X = E E^T. Everything comes from the co-occurrence matrix L = E^T E,
kept sparse: L_ii is the load of position i and L_ij (i < j) counts the circuits holding both i
and j. Some L_ij >= 2 exactly when two circuits share two or more positions, and then the circuit
pairs behind those entries give the exact overlaps above one. Cost: one sort of T*S(S-1)/2 pair
codes, O(T S**2) memory.

The theory targets (docs/method.md §4.6): for an overlap <= 1
family whose n positions all carry the same load TS/n, E[(X/S)**2] over ordered pairs t != u is
(TS/n - 1) / (S (T - 1)), close to d/D - 1/(ST) (Rotations eq. 6.3).
"""

from math import comb

import numpy as np


def _check(allocation, n_blocks: int) -> np.ndarray:
    alloc = np.asarray(allocation)
    if alloc.ndim != 2 or not np.issubdtype(alloc.dtype, np.integer):
        raise ValueError(
            f"allocation must be a 2-d integer array (n_circuits, redundancy), got {alloc.dtype} "
            f"{alloc.shape}"
        )
    if alloc.size and (alloc.min() < 0 or alloc.max() >= n_blocks):
        raise ValueError(f"allocation values must lie in [0, n_blocks) with n_blocks={n_blocks}")
    ordered = np.sort(alloc, axis=1)
    if (np.diff(ordered, axis=1) == 0).any():
        raise ValueError("allocation rows must not repeat a block position")
    return ordered.astype(np.int64)


def neuron_loads(allocation, n_blocks: int) -> np.ndarray:
    """Number of circuits using each block position (the diagonal of L), int64 (n_blocks,)."""
    return np.bincount(_check(allocation, n_blocks).ravel(), minlength=n_blocks)


def _pair_codes(alloc: np.ndarray, n_blocks: int) -> np.ndarray:
    """Code i*n + j of every position pair i < j inside each row, int64 (T, S(S-1)/2)."""
    i, j = np.triu_indices(alloc.shape[1], k=1)
    return alloc[:, i] * n_blocks + alloc[:, j]


def _cooccurrence(alloc: np.ndarray, n_blocks: int):
    """Off-diagonal L entries (counts of each co-occurring pair) and the overlaps X >= 2.

    Returns ``pair_counts`` (the non-zero L_ij, i < j) and ``big_overlaps`` (X_tu for every
    unordered circuit pair with X_tu >= 2). A pair with overlap X shares C(X, 2) position pairs,
    so counting shared position pairs per circuit pair recovers X.
    """
    codes = _pair_codes(alloc, n_blocks).ravel()
    if codes.size == 0:  # S == 1: no position pairs at all
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    circuit = np.repeat(np.arange(alloc.shape[0]), alloc.shape[1] * (alloc.shape[1] - 1) // 2)
    order = np.argsort(codes, kind="stable")
    codes, circuit = codes[order], circuit[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    pair_counts = np.diff(np.r_[starts, codes.size])
    shared = []
    for gap in range(1, int(pair_counts.max(initial=1))):
        same = np.flatnonzero(codes[gap:] == codes[:-gap])
        shared.append(circuit[same] * alloc.shape[0] + circuit[same + gap])
    if not shared:
        return pair_counts, np.zeros(0, dtype=np.int64)
    _, n_shared = np.unique(np.concatenate(shared), return_counts=True)
    big_overlaps = np.rint((1 + np.sqrt(1 + 8 * n_shared)) / 2).astype(np.int64)
    return pair_counts, big_overlaps


def _histogram(loads: np.ndarray, big_overlaps: np.ndarray, n_circuits: int) -> np.ndarray:
    top = int(big_overlaps.max(initial=1 if (loads >= 2).any() else 0))
    hist = np.bincount(big_overlaps, minlength=top + 1).astype(np.int64)
    # sum_{t<u} X_tu = sum_i C(load_i, 2) fixes the count of overlap-1 pairs
    total_overlap = int((loads * (loads - 1) // 2).sum())
    if top >= 1:
        hist[1] = total_overlap - int((np.arange(top + 1) * hist).sum())
    hist[0] = comb(n_circuits, 2) - int(hist[1:].sum())
    return hist


def overlap_histogram(allocation, n_blocks: int) -> np.ndarray:
    """Counts of unordered circuit pairs t < u sharing 0, 1, 2, ... positions, int64 (max_overlap + 1,)."""
    alloc = _check(allocation, n_blocks)
    _, big = _cooccurrence(alloc, n_blocks)
    return _histogram(np.bincount(alloc.ravel(), minlength=n_blocks), big, alloc.shape[0])


def max_pairwise_overlap(allocation, n_blocks: int) -> int:
    """Exact max over circuits t != u of the number of shared positions (0 if T < 2)."""
    return int(overlap_histogram(allocation, n_blocks).size - 1)


def load_spread(allocation, n_blocks: int, *, used_only: bool = False) -> tuple[int, int]:
    """(min, max) load over all n_blocks positions, or over used positions only if ``used_only``.

    The maximum is the same either way; the minimum over all positions is 0 whenever the
    allocation leaves positions unused (e.g. the n - S*q leftovers of a transversal design).
    """
    loads = neuron_loads(allocation, n_blocks)
    pool = loads[loads > 0] if used_only else loads
    if pool.size == 0:
        return 0, 0
    return int(pool.min()), int(pool.max())


def _mean_squared(loads: np.ndarray, pair_counts: np.ndarray, n_circuits: int, redundancy: int) -> float:
    if n_circuits < 2:
        return 0.0
    # sum_{t != u} X_tu**2 = sum_{i,j} (L_ij**2 - L_ij), diagonal plus twice the upper triangle
    total = int((loads * (loads - 1)).sum()) + 2 * int((pair_counts * (pair_counts - 1)).sum())
    return total / (redundancy**2 * n_circuits * (n_circuits - 1))


def mean_squared_overlap(allocation, n_blocks: int) -> float:
    """Measured E[(X_tu / S)**2] over ordered circuit pairs t != u (0.0 if T < 2)."""
    alloc = _check(allocation, n_blocks)
    pair_counts, _ = _cooccurrence(alloc, n_blocks)
    loads = np.bincount(alloc.ravel(), minlength=n_blocks)
    return _mean_squared(loads, pair_counts, alloc.shape[0], alloc.shape[1])


def mean_squared_overlap_formula(n_circuits: int, n_blocks: int, redundancy: int) -> float:
    """(TS/n - 1) / (S (T - 1)) for an evenly loaded overlap <= 1 family; 0.0 if n >= TS (docs/method.md §4.6)."""
    t, n, s = n_circuits, n_blocks, redundancy
    if t < 2 or n >= t * s:
        return 0.0
    return (t * s / n - 1) / (s * (t - 1))


def summarize(allocation, n_blocks: int) -> dict[str, int | float]:
    """All diagnostics as plain Python numbers, for dataset attributes."""
    alloc = _check(allocation, n_blocks)
    n_circuits, redundancy = alloc.shape
    loads = np.bincount(alloc.ravel(), minlength=n_blocks)
    pair_counts, big = _cooccurrence(alloc, n_blocks)
    hist = _histogram(loads, big, n_circuits)
    used = loads[loads > 0]
    return {
        "n_circuits": int(n_circuits),
        "n_blocks": int(n_blocks),
        "redundancy": int(redundancy),
        "max_overlap": int(hist.size - 1),
        "n_pairs_overlap_0": int(hist[0]),
        "n_pairs_overlap_1": int(hist[1]) if hist.size > 1 else 0,
        "n_pairs_overlap_2plus": int(hist[2:].sum()),
        "n_blocks_used": int(used.size),
        "load_min": int(loads.min()),
        "load_min_used": int(used.min()) if used.size else 0,
        "load_max": int(loads.max()),
        "mean_squared_overlap": _mean_squared(loads, pair_counts, n_circuits, redundancy),
        "mean_squared_overlap_formula": mean_squared_overlap_formula(n_circuits, n_blocks, redundancy),
    }
