"""Prime-step allocation: exact published capacities and row-by-row agreement with the published loop."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import isprime

from cisim.allocation import CapacityError, assign, capacity
from cisim.allocation.prime_step import assign_prime_step, iter_steps, max_circuits_prime_step

from .brute import brute_max_overlap, covers_each_pair_at_most_once


def published_assignment(n_circuits, n_blocks, redundancy):
    """Literal transcription of ``get_steps`` + ``comp_in_sup_assignment`` (docs/method.md §4.2)."""

    def get_steps(S, Dod):
        primes_smaller_than_S = [p for p in range(2, S) if isprime(p)]
        step = 1
        while step * (S - 1) < Dod:
            if all(step % p != 0 for p in primes_smaller_than_S):
                yield step
                if not isprime(S):
                    n = 1
                    while step * S**n * (S - 1) < Dod:
                        yield step * S**n
                        n += 1
            step += 1

    S, Dod = redundancy, n_blocks
    rows = []
    steps = get_steps(S, Dod)
    step, shift, i = next(steps), 0, 0
    for t in range(n_circuits):
        if i + step * (S - 1) >= Dod:
            shift += 1
            if shift >= step or shift + step * (S - 1) >= Dod:
                try:
                    step = next(steps)
                except StopIteration:
                    return rows, t  # the published MaxT: circuits placed before the steps ran out
                shift = 0
            i = shift
        rows.append([i + k * step for k in range(S)])
        i += S * step
    return rows, n_circuits


@pytest.mark.parametrize(
    "n_blocks, redundancy, expected",
    [
        # docs/method.md §4.3 table (D = 4 n_blocks, S = 6)
        (150, 6, 176), (200, 6, 317), (250, 6, 557), (300, 6, 755),
        (350, 6, 1010), (400, 6, 1331), (450, 6, 1713), (500, 6, 2101),
        # other S (docs/method.md §4.3)
        (250, 3, 3854), (250, 4, 1773), (250, 5, 815), (500, 5, 3237),
        (100, 3, 616), (2000, 3, 247023), (1000, 5, 12901), (2000, 6, 33349),
        (100, 7, 52), (2000, 7, 20015), (250, 9, 181), (2000, 9, 11501),
    ],
)
def test_capacity_matches_published_max_t(n_blocks, redundancy, expected):
    assert max_circuits_prime_step(n_blocks, redundancy) == expected
    assert capacity("prime_step", n_blocks, redundancy) == expected


def test_step_order_and_circuits_per_step_at_250_6():
    steps = list(iter_steps(250, 6))
    assert steps == [1, 6, 36, 7, 42, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 49]
    allocation = assign_prime_step(557, 250, 6)
    used_steps = allocation[:, 1] - allocation[:, 0]
    per_step = [int((used_steps == a).sum()) for a in steps]
    assert per_step == [41, 40, 36, 40, 40, 33, 39, 34, 38, 23, 29, 31, 37, 41, 35, 15, 5]


@pytest.mark.parametrize("n_blocks", [200, 250])
def test_assign_at_capacity_works_and_one_more_raises(n_blocks, rng):
    limit = capacity("prime_step", n_blocks, 6)
    allocation = assign("prime_step", limit, n_blocks, 6, rng)
    assert allocation.shape == (limit, 6)
    assert brute_max_overlap(allocation, n_blocks) == 1
    with pytest.raises(CapacityError, match=f"at most {limit} circuits"):
        assign("prime_step", limit + 1, n_blocks, 6, rng)


@pytest.mark.parametrize(
    "n_blocks, redundancy", [(250, 6), (200, 6), (100, 4), (60, 3), (50, 2), (80, 9), (90, 8), (30, 30)]
)
def test_identical_to_published_loop(n_blocks, redundancy):
    rows, max_t = published_assignment(10**9, n_blocks, redundancy)
    assert max_t == max_circuits_prime_step(n_blocks, redundancy)
    np.testing.assert_array_equal(assign_prime_step(max_t, n_blocks, redundancy), np.array(rows))
    partial = max_t // 3 + 1
    np.testing.assert_array_equal(assign_prime_step(partial, n_blocks, redundancy), np.array(rows[:partial]))


def test_redundancy_one_is_round_robin(rng):
    allocation = assign("prime_step", 25, 10, 1, rng)
    np.testing.assert_array_equal(allocation[:, 0], np.arange(25) % 10)


def test_rng_is_ignored():
    first = assign("prime_step", 300, 250, 6, np.random.default_rng(1))
    second = assign("prime_step", 300, 250, 6, np.random.default_rng(2))
    np.testing.assert_array_equal(first, second)


@st.composite
def sizes_within_capacity(draw):
    n_blocks = draw(st.integers(2, 300))
    redundancy = draw(st.integers(2, min(n_blocks, 10)))
    n_circuits = draw(st.integers(1, max_circuits_prime_step(n_blocks, redundancy)))
    return n_circuits, n_blocks, redundancy


@settings(max_examples=100, deadline=None)
@given(sizes_within_capacity())
def test_no_two_circuits_share_more_than_one_block(sizes):
    n_circuits, n_blocks, redundancy = sizes
    allocation = assign_prime_step(n_circuits, n_blocks, redundancy)
    assert covers_each_pair_at_most_once(allocation, n_blocks)


def test_prime_helpers_agree_with_sympy():
    from sympy import factorint

    from cisim.allocation.primes import factorize, is_prime, primes_below

    for n in range(1, 3000):
        assert factorize(n) == factorint(n) and is_prime(n) == isprime(n)
    assert primes_below(20) == [2, 3, 5, 7, 11, 13, 17, 19]
