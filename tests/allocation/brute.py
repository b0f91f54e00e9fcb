"""Brute-force references for the allocation tests, built from the dense incidence matrix."""

import numpy as np


def brute_overlaps(allocation: np.ndarray, n_blocks: int) -> np.ndarray:
    """X = E E^T, int64 (T, T), from the 0/1 incidence matrix E of shape (T, n_blocks)."""
    incidence = np.zeros((allocation.shape[0], n_blocks), dtype=np.int64)
    np.put_along_axis(incidence, np.asarray(allocation, dtype=np.int64), 1, axis=1)
    return incidence @ incidence.T


def brute_off_diagonal(allocation: np.ndarray, n_blocks: int) -> np.ndarray:
    """X_tu for all unordered pairs t < u, int64 (T(T-1)/2,)."""
    overlaps = brute_overlaps(allocation, n_blocks)
    return overlaps[np.triu_indices(overlaps.shape[0], k=1)]


def brute_max_overlap(allocation: np.ndarray, n_blocks: int) -> int:
    return int(brute_off_diagonal(allocation, n_blocks).max(initial=0))


def covers_each_pair_at_most_once(allocation: np.ndarray, n_blocks: int) -> bool:
    """True iff no two rows share two positions, i.e. no position pair lies in two rows."""
    i, j = np.triu_indices(allocation.shape[1], k=1)
    codes = (allocation[:, i] * n_blocks + allocation[:, j]).ravel()
    return np.unique(codes).size == codes.size
