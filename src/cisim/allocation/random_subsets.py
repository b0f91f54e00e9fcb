"""Uniformly random S-subsets: the random baseline (docs/method.md §4.5).

Each circuit independently gets a uniformly random set of S = ``redundancy`` distinct positions
out of n = ``n_blocks``, drawn from the caller's ``rng``. Nothing limits overlaps: two circuits can
share several positions, and two rows can even be identical (rows are distinct within themselves,
not from each other). The overlap of two rows is hypergeometric, P(X >= 2) ~ C(S,2)**2 / C(n,2).

Returns int64 arrays of shape (n_circuits, redundancy), rows ascending.
"""

from math import comb

import numpy as np

# Repeated rows are allowed, so this cap only keeps the count a machine-size integer.
CAPACITY_CAP = 2**31 - 1


def max_circuits_random_subsets(n_blocks: int, redundancy: int) -> int:
    """Number of distinct S-subsets, comb(n_blocks, redundancy), capped at ``CAPACITY_CAP``."""
    return min(comb(n_blocks, redundancy), CAPACITY_CAP)


def assign_random_subsets(
    n_circuits: int, n_blocks: int, redundancy: int, rng: np.random.Generator
) -> np.ndarray:
    """Random block positions of each circuit, int64 (n_circuits, redundancy), from ``rng``.

    Uses Floyd's sampling algorithm, vectorised over circuits: column k draws from 0..j with
    j = n - S + k and falls back to j itself on a repeat, which yields a uniform S-subset in S
    draws with no rejection loop.
    """
    out = np.empty((n_circuits, redundancy), dtype=np.int64)
    for k in range(redundancy):
        j = n_blocks - redundancy + k
        draw = rng.integers(0, j + 1, size=n_circuits, dtype=np.int64)
        repeated = (out[:, :k] == draw[:, None]).any(axis=1)
        out[:, k] = np.where(repeated, j, draw)
    out.sort(axis=1)
    return out
