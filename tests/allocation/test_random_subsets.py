"""Random S-subsets: uniform over subsets, driven only by the caller's rng."""

from itertools import combinations
from math import comb

import numpy as np

from cisim.allocation import assign, capacity
from cisim.allocation.random_subsets import assign_random_subsets


def test_every_subset_is_equally_likely():
    n_blocks, redundancy, n_circuits = 6, 3, 200_000
    # more rows than distinct subsets: past the capacity of ``assign``, fine for the raw sampler
    allocation = assign_random_subsets(n_circuits, n_blocks, redundancy, np.random.default_rng(3))
    index = {subset: k for k, subset in enumerate(combinations(range(n_blocks), redundancy))}
    counts = np.bincount([index[tuple(row)] for row in allocation.tolist()], minlength=len(index))
    expected = n_circuits / len(index)
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 60  # 19 degrees of freedom: P(chi2 > 60) is about 3e-6


def test_overlap_follows_the_hypergeometric_law():
    n_blocks, redundancy = 250, 6
    allocation = assign("random_subsets", 2000, n_blocks, redundancy, np.random.default_rng(4))
    first, second = allocation[:1000], allocation[1000:]
    overlaps = np.array([np.intersect1d(a, b).size for a, b in zip(first, second)])
    p_zero = comb(n_blocks - redundancy, redundancy) / comb(n_blocks, redundancy)  # 0.8631 (hypergeometric, docs/method.md §4.5)
    assert abs((overlaps == 0).mean() - p_zero) < 0.04


def test_different_seeds_give_different_allocations():
    first = assign("random_subsets", 50, 250, 6, np.random.default_rng(1))
    second = assign("random_subsets", 50, 250, 6, np.random.default_rng(2))
    assert not np.array_equal(first, second)


def test_capacity_counts_distinct_subsets_with_a_cap():
    assert capacity("random_subsets", 10, 3) == 120
    assert capacity("random_subsets", 250, 6) == 2**31 - 1
