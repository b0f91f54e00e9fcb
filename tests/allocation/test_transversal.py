"""Transversal design TD(S, q) and its greedy completion; the GF(q) arithmetic behind it."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cisim.allocation import CapacityError, assign, capacity, johnson_bound
from cisim.allocation.galois_field import galois_field, is_prime_power
from cisim.allocation.transversal import assign_transversal, default_q, max_circuits_transversal

from .brute import brute_max_overlap, covers_each_pair_at_most_once

PRIME_POWERS = [4, 8, 9, 16, 25, 27, 32]


@pytest.mark.parametrize("q", [2, 3, 5, 7, *PRIME_POWERS, 49, 64, 81, 125, 128])
def test_galois_field_satisfies_the_field_axioms(q):
    field = galois_field(q)
    e = np.arange(q)
    add, mul = field.add(e[:, None], e), field.mul(e[:, None], e)
    assert (add == add.T).all() and (mul == mul.T).all()
    assert (add[0] == e).all() and (mul[1] == e).all() and (mul[0] == 0).all()
    assert all(set(row) == set(range(q)) for row in add)  # additive inverses exist
    assert all(set(row[1:]) == set(range(1, q)) for row in mul[1:])  # multiplicative inverses exist
    if q <= 32:
        a, b, c = np.meshgrid(e, e, e, indexing="ij")
    else:
        a, b, c = np.random.default_rng(0).integers(0, q, (3, 5000))
    assert (field.mul(a, field.add(b, c)) == field.add(field.mul(a, b), field.mul(a, c))).all()
    assert (field.mul(a, field.mul(b, c)) == field.mul(field.mul(a, b), c)).all()
    assert (field.add(a, field.add(b, c)) == field.add(field.add(a, b), c)).all()


@pytest.mark.parametrize(
    "q, expected", [(1, False), (2, True), (12, False), (27, True), (100, False), (2048, True)]
)
def test_is_prime_power(q, expected):
    assert is_prime_power(q) is expected


@pytest.mark.parametrize(
    "n_blocks, q",
    # docs/method.md §4.3 table: S = 6, D = 4 n_blocks
    [(150, 25), (200, 32), (250, 41), (300, 49), (350, 53), (400, 64), (450, 73), (500, 83)],
)
def test_default_q_and_capacity_match_the_reference_table(n_blocks, q):
    assert default_q(n_blocks, 6) == q
    assert capacity("transversal", n_blocks, 6) == q * q
    with_completion = capacity("transversal", n_blocks, 6, completion=True)
    assert q * q < with_completion <= johnson_bound(n_blocks, 6)


def test_capacity_at_250_6():
    assert capacity("transversal", 250, 6) == 1681
    assert capacity("transversal", 250, 6, completion=True) >= 1900


@pytest.mark.parametrize("q", PRIME_POWERS)
def test_full_design_is_a_transversal_design(q, rng):
    redundancy = min(q, 6)
    n_blocks = redundancy * q
    allocation = assign("transversal", q * q, n_blocks, redundancy, rng, q=q)
    assert brute_max_overlap(allocation, n_blocks) == 1
    np.testing.assert_array_equal(np.bincount(allocation.ravel(), minlength=n_blocks), np.full(n_blocks, q))
    groups = allocation // q
    np.testing.assert_array_equal(groups, np.broadcast_to(np.arange(redundancy), allocation.shape))
    # every pair of points from different groups lies on exactly one block
    i, j = np.triu_indices(redundancy, k=1)
    codes = allocation[:, i] * n_blocks + allocation[:, j]
    assert np.unique(codes).size == codes.size == q * q * redundancy * (redundancy - 1) // 2


@pytest.mark.parametrize(
    "n_blocks, redundancy, n_classes", [(250, 6, 1), (250, 6, 13), (200, 6, 5), (100, 3, 7)]
)
def test_whole_parallel_classes_give_equal_loads(n_blocks, redundancy, n_classes, rng):
    q = default_q(n_blocks, redundancy)
    allocation = assign("transversal", n_classes * q, n_blocks, redundancy, rng)
    loads = np.bincount(allocation.ravel(), minlength=n_blocks)
    assert (loads[: redundancy * q] == n_classes).all()
    assert (loads[redundancy * q :] == 0).all()


@pytest.mark.parametrize(
    "q", [10, 12, 5, 1, 43, 49, True, 41.0, "41"]  # not prime powers, below S = 6, S*q > 250, wrong types
)
def test_bad_q_raises_value_error_naming_allocation_q(q, rng):
    with pytest.raises(ValueError) as error:
        assign("transversal", 10, 250, 6, rng, q=q)
    text = str(error.value)
    assert "\n" not in text and not isinstance(error.value, CapacityError)
    assert text.startswith(f"allocation.q={q!r} is not allowed") and "6 <= q <= 41" in text


def test_explicit_q_sets_the_capacity(rng):
    assert capacity("transversal", 250, 6, q=32) == 1024
    allocation = assign("transversal", 1024, 250, 6, rng, q=32)
    assert allocation.max() < 6 * 32
    with pytest.raises(CapacityError, match="q=32"):
        assign("transversal", 1025, 250, 6, rng, q=32)


def test_bad_completion_value_is_rejected(rng):
    with pytest.raises(ValueError, match=r"^allocation.completion='yes' is not allowed"):
        assign("transversal", 10, 250, 6, rng, completion="yes")


@pytest.mark.parametrize("n_blocks, redundancy", [(250, 6), (150, 6), (100, 3), (120, 5), (60, 2)])
def test_completion_keeps_overlap_at_most_one_and_is_deterministic(n_blocks, redundancy):
    limit = capacity("transversal", n_blocks, redundancy, completion=True)
    first = assign("transversal", limit, n_blocks, redundancy, np.random.default_rng(1), completion=True)
    second = assign("transversal", limit, n_blocks, redundancy, np.random.default_rng(2), completion=True)
    np.testing.assert_array_equal(first, second)
    assert (np.diff(first, axis=1) > 0).all()
    assert covers_each_pair_at_most_once(first, n_blocks)
    n_design = default_q(n_blocks, redundancy) ** 2
    np.testing.assert_array_equal(first[:n_design], assign_transversal(n_design, n_blocks, redundancy))
    with pytest.raises(CapacityError):
        assign("transversal", limit + 1, n_blocks, redundancy, np.random.default_rng(1), completion=True)


def test_a_million_blocks_are_built_with_near_equal_loads():
    allocation = assign_transversal(10**6, 16384, 6)
    assert allocation.shape == (10**6, 6) and allocation.dtype == np.int64
    loads = np.bincount(allocation.ravel(), minlength=16384)
    used = loads[loads > 0]
    assert used.max() - used.min() <= 1


@st.composite
def sizes_within_capacity(draw):
    completion = draw(st.booleans())
    redundancy = draw(st.integers(2, 7))
    n_blocks = draw(st.integers(redundancy * redundancy, 160))
    fields = [q for q in range(redundancy, n_blocks // redundancy + 1) if is_prime_power(q)]
    assume(fields)
    q = draw(st.none() | st.sampled_from(fields))
    limit = max_circuits_transversal(n_blocks, redundancy, q=q, completion=completion)
    n_circuits = draw(st.integers(1, limit))
    return n_circuits, n_blocks, redundancy, q, completion


@settings(max_examples=100, deadline=None)
@given(sizes_within_capacity())
def test_no_two_circuits_share_more_than_one_block(sizes):
    n_circuits, n_blocks, redundancy, q, completion = sizes
    allocation = assign_transversal(n_circuits, n_blocks, redundancy, q=q, completion=completion)
    assert allocation.shape == (n_circuits, redundancy)
    assert covers_each_pair_at_most_once(allocation, n_blocks)
