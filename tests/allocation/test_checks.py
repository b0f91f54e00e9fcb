"""Allocation diagnostics against brute-force T x T computations and the formula of docs/method.md §4.6."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cisim.allocation import (
    assign,
    load_spread,
    max_pairwise_overlap,
    mean_squared_overlap,
    mean_squared_overlap_formula,
    overlap_histogram,
    summarize,
)

from .brute import brute_off_diagonal


def brute_mean_squared(allocation, n_blocks):
    overlaps = brute_off_diagonal(allocation, n_blocks) / allocation.shape[1]
    return float((overlaps**2).mean()) if overlaps.size else 0.0


def brute_histogram(allocation, n_blocks):
    return np.bincount(brute_off_diagonal(allocation, n_blocks))


SMALL_CASES = [
    ("random_subsets", 20, 4, 30),
    ("random_subsets", 12, 6, 40),
    ("random_subsets", 9, 7, 30),
    ("random_subsets", 50, 3, 2),
    ("prime_step", 60, 5, 48),
    ("prime_step", 10, 1, 23),
    ("transversal", 36, 4, 70),
]


@pytest.mark.parametrize("name, n_blocks, redundancy, n_circuits", SMALL_CASES)
def test_diagnostics_equal_brute_force(name, n_blocks, redundancy, n_circuits, rng):
    allocation = assign(name, n_circuits, n_blocks, redundancy, rng)
    expected = brute_mean_squared(allocation, n_blocks)
    assert mean_squared_overlap(allocation, n_blocks) == pytest.approx(expected, rel=1e-12)
    hist = brute_histogram(allocation, n_blocks)
    np.testing.assert_array_equal(overlap_histogram(allocation, n_blocks), hist)
    assert max_pairwise_overlap(allocation, n_blocks) == hist.size - 1


@st.composite
def random_allocations(draw):
    n_blocks = draw(st.integers(1, 25))
    redundancy = draw(st.integers(1, n_blocks))
    n_circuits = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rows = [np.sort(rng.choice(n_blocks, redundancy, replace=False)) for _ in range(n_circuits)]
    return np.array(rows, dtype=np.int64), n_blocks


@settings(max_examples=100, deadline=None)
@given(random_allocations())
def test_diagnostics_equal_brute_force_on_arbitrary_allocations(case):
    allocation, n_blocks = case
    hist = overlap_histogram(allocation, n_blocks)
    expected = brute_histogram(allocation, n_blocks) if allocation.shape[0] > 1 else [0]
    np.testing.assert_array_equal(hist, expected)
    expected = brute_mean_squared(allocation, n_blocks)
    assert mean_squared_overlap(allocation, n_blocks) == pytest.approx(expected, rel=1e-12)


def test_single_circuit_has_no_pairs():
    allocation = np.array([[1, 4, 7]])
    assert max_pairwise_overlap(allocation, 10) == 0
    assert mean_squared_overlap(allocation, 10) == 0.0
    np.testing.assert_array_equal(overlap_histogram(allocation, 10), [0])


@pytest.mark.parametrize("q, redundancy, n_classes", [(41, 6, 13), (7, 3, 4), (16, 5, 16), (9, 4, 2)])
def test_evenly_loaded_overlap_one_design_meets_the_formula(q, redundancy, n_classes, rng):
    n_blocks, n_circuits = redundancy * q, n_classes * q  # loads are exactly n_classes everywhere
    allocation = assign("transversal", n_circuits, n_blocks, redundancy, rng, q=q)
    assert load_spread(allocation, n_blocks) == (n_classes, n_classes)
    expected = mean_squared_overlap_formula(n_circuits, n_blocks, redundancy)
    assert mean_squared_overlap(allocation, n_blocks) == pytest.approx(expected, rel=1e-12)


def test_formula_values():
    # docs/method.md §4.6: 3.71e-3 at (T, n, S) = (557, 250, 6)
    assert mean_squared_overlap_formula(557, 250, 6) == pytest.approx((557 * 6 / 250 - 1) / (6 * 556))
    assert round(mean_squared_overlap_formula(557, 250, 6), 5) == 0.00371
    assert mean_squared_overlap_formula(40, 250, 6) == 0.0  # n >= T S: circuits can be disjoint
    assert mean_squared_overlap_formula(1, 250, 6) == 0.0


def test_random_subsets_overlap_more_than_one_at_the_rotations_size():
    allocation = assign("random_subsets", 557, 250, 6, np.random.default_rng(0))
    assert max_pairwise_overlap(allocation, 250) > 1
    assert overlap_histogram(allocation, 250)[2:].sum() > 0
    # more mean-square interference than an overlap <= 1 family (docs/method.md §4.6: about +18 %)
    assert mean_squared_overlap(allocation, 250) > 1.1 * mean_squared_overlap_formula(557, 250, 6)


def test_reference_statistics_at_the_rotations_size(rng):
    # docs/method.md §4.6 table (T = 557, n = 250, S = 6)
    prime = summarize(assign("prime_step", 557, 250, 6, rng), 250)
    assert (prime["n_pairs_overlap_1"], prime["n_pairs_overlap_2plus"]) == (21861, 0)
    assert (prime["load_min"], prime["load_max"]) == (5, 17)
    assert round(prime["mean_squared_overlap"], 5) == 0.00392
    td = summarize(assign("transversal", 557, 250, 6, rng), 250)
    assert (td["n_pairs_overlap_1"], td["max_overlap"]) == (21060, 1)
    assert (td["load_min_used"], td["load_max"], td["n_blocks_used"], td["load_min"]) == (13, 14, 246, 0)
    assert round(td["mean_squared_overlap"], 5) == 0.00378


def test_load_spread_over_all_or_used_positions():
    allocation = np.array([[0, 1], [1, 2], [1, 3]])
    assert load_spread(allocation, 6) == (0, 3)
    assert load_spread(allocation, 6, used_only=True) == (1, 3)


def test_summarize_returns_plain_python_numbers(rng):
    summary = summarize(assign("random_subsets", 100, 50, 4, rng), 50)
    assert all(type(value) in (int, float) for value in summary.values())
    n_pairs = sum(summary[f"n_pairs_overlap_{k}"] for k in ("0", "1", "2plus"))
    assert n_pairs == 100 * 99 // 2


@pytest.mark.parametrize(
    "allocation, n_blocks",
    [
        (np.array([[0, 10]]), 10),  # out of range
        (np.array([[-1, 2]]), 10),
        (np.array([[2, 2]]), 10),  # repeated position
        (np.array([0, 1]), 10),  # not 2-d
        (np.array([[0.0, 1.0]]), 10),  # not integer
    ],
)
def test_invalid_allocations_are_rejected(allocation, n_blocks):
    with pytest.raises(ValueError):
        summarize(allocation, n_blocks)
