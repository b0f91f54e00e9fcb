"""Lane constructions (docs/constructions.md): the hashed lanes' exact forward pass fails exactly where
two active circuits share a lane in every table, the flag neurons see exactly the collisions, the
one-table failure rate is the combinatorial one, and the cost formulas count what the networks hold."""

import math

import numpy as np
import pytest

from cisim.circuits import random_circuits
from cisim.construction import lanes as L
from cisim.construction import pingpong


@pytest.mark.parametrize("tables,n_lanes", [(1, 1), (1, 8), (2, 8), (3, 5)])
def test_hashed_lanes_are_exact_unless_every_table_collides(tables, n_lanes):
    rng = np.random.default_rng(tables * 10 + n_lanes)
    T, d, depth, z, n = 64, 3, 3, 3, 200
    circuits = random_circuits(T, d, depth, rng)
    lanes = L.draw_hashed_lanes(T, n_lanes, tables, rng)
    active = L.random_active_sets(T, z, n, rng)
    h0 = rng.uniform(-1, 1, (n, z, d))
    out, flags = L.forward(L.lane_networks(circuits, lanes), lanes, active, h0)
    want = circuits.forward(active.ravel(), h0.reshape(-1, d))[-1].reshape(n, z, d)
    err = np.abs(out - want).max(-1)  # (n, z)
    np.testing.assert_array_equal(flags > 0, lanes.collisions(active))
    clean = ~lanes.collisions(active).all(0)  # circuits with a table where they are alone
    assert not clean.any() or err[clean].max() < 1e-9
    failed = lanes.failures(active)
    if n_lanes == 1:  # one lane: every sample of z ≥ 2 collides
        assert failed.all() and (err.max(-1) > 1e-6).mean() > 0.9
    else:
        assert 0 < failed.mean() < 1


def test_one_table_failure_rate_is_the_balanced_collision_probability():
    """k = 1, T = m·s balanced: P(no collision) = s^z·C(m, z)/C(T, z), for a fixed hash and averaged."""
    T, m, z = 120, 12, 3
    s = T // m
    exact = 1 - s**z * math.comb(m, z) / math.comb(T, z)
    rng = np.random.default_rng(0)
    lanes = L.draw_hashed_lanes(T, m, 1, rng)
    fixed = lanes.failures(L.random_active_sets(T, z, 60_000, rng)).mean()
    averaged = L.hash_averaged_failures(T, m, 1, z, 60_000, rng) / 60_000
    for p in (fixed, averaged):
        assert abs(p - exact) < 4 * math.sqrt(exact * (1 - exact) / 60_000)


def test_more_tables_fail_less_and_the_bound_covers_the_rate():
    rng = np.random.default_rng(1)
    rates = [L.hash_averaged_failures(1000, 20, k, 4, 20_000, rng) / 20_000 for k in (1, 2, 3)]
    assert rates[0] > rates[1] > rates[2]
    assert L.upper_bound(0, 1000) > 0 and L.upper_bound(10, 1000) > 0.01 > L.upper_bound(0, 1000)


def test_costs_count_the_networks():
    T, d, depth = 100, 4, 3
    pp = L.cost("pingpong", T, d, depth)
    net = pingpong.build(random_circuits(100, d, depth, np.random.default_rng(0)), 10)
    assert pp["width"] == net.width and pp["dense_parameters"] == net.accounting()["parameters"]
    weights, _ = net.dense_weights()
    assert pp["nonzero_parameters"] == sum(int(np.count_nonzero(w)) for w in weights)  # the linear mask has no biases
    assert L.cost("named_lanes", T, d, depth, 3)["nonzero_parameters"] == 3 * pp["nonzero_parameters"]
    assert L.cost("no_superposition", T, d, depth)["width"] == T * d
    one = L.cost("hashed_lanes", T, d, depth, 2, 1, 1)
    assert one["width"] == pp["width"] + 1  # one lane and its flag
    assert L.cost("hashed_lanes", T, d, depth, 2, 3, 7)["width"] == 3 * L.cost("hashed_lanes", T, d, depth, 2, 1, 7)["width"]
    with pytest.raises(ValueError, match="construction"):
        L.cost("nope", T, d, depth)
