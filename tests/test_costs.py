"""cisim.analysis.costs: the no-superposition reference T₀ = D/d, the gain T*/T₀ and the cost
axes, on known values, a hand-made disjoint network and a small built baseline."""

import math

import numpy as np
import pandas as pd
import pytest

from cisim.analysis import costs
from cisim.construction import DESIGNS, Network, NetworkSpec, build


def test_reference_is_d_over_d_and_the_gain_divides_by_it():
    assert costs.reference(2000, 4) == 500 and costs.reference(1000, 8) == 125
    assert list(costs.reference(np.array([1000, 2000]), 4)) == [250, 500]
    g, lo, hi = costs.gain(493.0, 480.0, 506.0, 500)
    assert (g, lo, hi) == pytest.approx((0.986, 0.96, 1.012))


def test_with_reference_uses_each_designs_own_d_and_marks_what_beats_it():
    s = pd.DataFrame({"design": ["baseline", "baseline", "k3", "k3"], "d_model": [2000, 2000, 2000, 2000],
                      "capacity": [493.0, 600.0, 300.0, 2000.0], "capacity_lo": [480.0, 505.0, 240.0, math.nan],
                      "capacity_hi": [506.0, 700.0, 360.0, math.nan], "status": ["ok", "ok", "ok", "lower_bound"]})
    r = costs.with_reference(s, {"baseline": 4, "k3": 8})
    assert list(r["t0"]) == [500, 500, 250, 250] and list(r["d_circuit"]) == [4, 4, 8, 8]
    assert list(r["gain"]) == pytest.approx([0.986, 1.2, 1.2, 8.0])
    assert list(r["beats"]) == [False, True, False, True]  # 300 [240, 360] over 250: the CI reaches below 1
    with pytest.raises(ValueError, match="no circuit width"):
        costs.with_reference(s, {"baseline": 4})


def test_disjoint_costs():
    c = costs.disjoint_costs(2000, 4, 4)
    assert c["t0"] == 500 and c["neurons"] == 2000 * 4
    assert c["parameters_nonzero"] == c["parameters_dense"] == 500 * (3 * 16 + 4 * 4)
    per = costs.per_cost(1000.0, {**c}, c)
    assert per["gain_neurons"] == pytest.approx(2.0) and per["ref_per_neurons"] == pytest.approx(500 / 8000)


def test_a_disjoint_network_has_exactly_the_references_non_zeros():
    """T₀ = 2 circuits of width d = 4, each on its own 4 neurons (block i holds small neuron i of
    each circuit), N = 3 activation layers: 2 block-diagonal weight layers."""
    rng = np.random.default_rng(0)
    d, t0, N = 4, 2, 3
    D = d * t0
    idx = np.arange(D).reshape(d, t0).T  # idx[t, i]: the neuron of small neuron i of circuit t
    weights = []
    for _ in range(N - 1):
        W = np.zeros((D, D))
        for t in range(t0):
            W[np.ix_(idx[t], idx[t])] = rng.uniform(0.5, 1.0, (d, d))
        weights.append(W)
    positions = np.broadcast_to(idx[None, :, :, None], (N, t0, d, 1)).copy()
    net = Network(tuple(weights), np.repeat([0.5, -1.0, 1.0, 2.0], t0), positions, (t0,) * d, np.zeros((N - 1, d, d)))
    c, ref = costs.network_costs(net), costs.disjoint_costs(D, d, N)
    assert c["neurons"] == ref["neurons"] == D * N
    assert c["parameters_nonzero"] == ref["parameters_nonzero"] == t0 * ((N - 1) * d * d + N * d)
    assert c["parameters_dense"] == (N - 1) * D**2 + N * D
    assert c["parameters_structured"] == (N - 1) * t0 * d * d + N * d  # a bias constant per block is d numbers


def test_a_small_built_baseline_counted_against_its_dense_matrices():
    spec = NetworkSpec(400, 40, 6, 3, allocation="transversal")
    circuits, net = build(spec, 0)
    c = costs.network_costs(net)
    D, L = 400, 3
    assert c["parameters_dense"] == (L - 1) * D**2 + L * D == DESIGNS["baseline"].accounting(spec)["parameters"]
    assert c["neurons"] == D * L
    nonzero = sum(int(np.count_nonzero(w)) for w in net.weights) + L * int(np.count_nonzero(net.bias))
    assert c["parameters_nonzero"] == nonzero and nonzero < c["parameters_dense"]
    own = sum(int(np.count_nonzero(x.mean_w[None] + x.diff_w)) + int(np.count_nonzero(x.chi)) for x in net.structure)
    per_block = [b[0] for b in np.split(net.bias, 4)]  # one bias per block (post eq 5.28)
    assert c["parameters_structured"] == own + L * int(np.count_nonzero(per_block))
    assert c["indices"] == L * 40 * 4 * 6
    derived = costs.derived_costs(DESIGNS["baseline"].accounting(spec), 40, 4, 6)
    assert derived["parameters_structured"] >= c["parameters_structured"] and derived["indices"] == c["indices"]
