"""ping-pong: exact for every circuit at z = 1, block-sparse forward = dense network,
accounting, and the z = 2 sharing classes."""

import numpy as np
import pandas as pd
import pytest

from cisim.circuits import random_circuits, rotation_relu_circuits
from cisim.construction import pingpong
from cisim.construction.pingpong import multi_inputs
from cisim.jobs import pingpong as job


@pytest.mark.parametrize("d_model,d_circuit", [(64, 8), (256, 16), (1024, 16)])
def test_every_circuit_reads_out_its_own_forward_pass(d_model, d_circuit):
    """All T = (D/d)² random depth-4 circuits, each once as the active circuit: ≤ 1e-5."""
    n = d_model // d_circuit
    rng = np.random.default_rng(d_model)
    circuits = random_circuits(n * n, d_circuit, 4, rng)
    net = pingpong.build(circuits, n)
    result = job.verify_all(net, circuits, "random", rng)
    assert net.n_circuits == n * n == {64: 64, 256: 256, 1024: 4096}[d_model]
    assert result["max_error"].max() <= 1e-5
    assert result["max_leakage"].max() == 0.0  # every other block is exactly zero, every layer


def test_verification_covers_all_circuits_and_detects_a_wrong_weight():
    n, d = 6, 3
    rng = np.random.default_rng(0)
    circuits = random_circuits(n * n, d, 3, rng)
    net = pingpong.build(circuits, n)
    broken = pingpong.PingPong(net.compute.copy(), net.bias_table, net.mask_strength, net.mask)
    broken.compute[1, 4, 5] += 0.5  # layer 2 (j → i): circuit (i=4, j=5) only
    r = job.verify_all(broken, circuits, "random", np.random.default_rng(1), batch=7)
    assert r["max_error"][2] > 1e-3 and r["max_error"][1] < 1e-12


@pytest.mark.parametrize("mask", ["linear", "offset"])
def test_block_sparse_forward_equals_the_dense_network(mask):
    n, d = 8, 4
    rng = np.random.default_rng(2)
    circuits = random_circuits(n * n, d, 5, rng)
    net = pingpong.build(circuits, n, mask=mask)
    t = rng.integers(n * n, size=(50, 3))
    h0 = rng.uniform(-1, 1, (50, 3, d))
    for z in (1, 2, 3):
        inp = multi_inputs(net, t[:, :z], h0[:, :z])
        for a, b in zip(net.forward(*inp), net.dense_forward(*inp), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-9)
    W, _ = net.dense_weights()
    assert W[0].shape == (net.width, net.width) == (n * d + 2 * n,) * 2


def test_rotation_circuits_are_exact_and_accounting_matches_the_derivation():
    n = 25  # D = 100, d = 4
    rng = np.random.default_rng(3)
    circuits = rotation_relu_circuits(rng.uniform(0, 2 * np.pi, n * n), 4)
    net = pingpong.build(circuits, n, input_bound=2.0)
    r = job.verify_all(net, circuits, "rotation", rng)
    assert r["max_error"].max() <= 1e-12
    acc = net.accounting()
    assert acc["width"] == 100 * (1 + 2 / 4) and acc["n_circuits"] == (100 // 4) ** 2
    assert acc["used_compute_weights"] == 4 * 100**2  # T·d² = D² per layer: every compute weight is used
    assert r["aliased_fraction"] == pytest.approx(1 / (n + 1))  # inactive circuits sharing the output block


def test_pair_categories_and_prevalence():
    n = 5
    net = pingpong.build(random_circuits(n * n, 2, 2, np.random.default_rng(0)), n)
    t, u = job.sample_pairs(net, 10, np.random.default_rng(0))
    assert t.size == n * n * (n * n - 1)  # small: every ordered pair
    cats = pingpong.categorize(net, t, u)
    prev = pingpong.prevalence(n)
    for c, name in enumerate(pingpong.CATEGORIES):
        assert (cats == c).mean() == pytest.approx(prev[name])
    assert sum(prev.values()) == pytest.approx(1.0)
    big = pingpong.build(random_circuits(40 * 40, 2, 2, np.random.default_rng(0)), 40)
    t, u = job.sample_pairs(big, 50, np.random.default_rng(1), exhaustive_limit=10)
    assert np.bincount(pingpong.categorize(big, t, u), minlength=4).tolist() == [50] * 4


def test_z2_breaks_every_pair():
    n, d = 8, 4
    rng = np.random.default_rng(4)
    circuits = random_circuits(n * n, d, 4, rng)
    rows = {r["category"]: r for r in job.pair_breakage(pingpong.build(circuits, n), circuits, "random", rng)}
    assert rows["all"]["broken_fraction"] > 0.9  # the rest: circuits whose true output is 0 anyway
    assert rows["disjoint"]["rel_error_median"] == pytest.approx(1.0)  # linear mask: read-out is exactly 0


def test_the_study_config_names_the_cases():
    """conf/study/pingpong_tiny.yaml's `pingpong` node: the random [D, d] cases, then rotation at every D of the sweep."""
    from cisim.config import compose, expand_points

    cfg = compose("pingpong_tiny")
    cases = job.cases(cfg["pingpong"], [p["d_model"] for p in expand_points(cfg)])
    assert list(cases) == ["random-D64-d8-L4", "random-D256-d16-L4", "rotation-D400-d4-L4"]
    assert cases["random-D64-d8-L4"] == {"family": "random", "d_model": 64, "d_circuit": 8, "n_layers": 4, "seed": 0,
                                         "pairs_per_category": 200, "masks": ["linear", "offset"]}
    tiny = compose("tiny")
    assert job.cases(tiny["pingpong"], [p["d_model"] for p in expand_points(tiny)]) == {}
    with pytest.raises(ValueError, match="multiple of d"):
        job.cases({**cfg["pingpong"], "random": [[60, 8]]}, [])


def test_equal_d_states_the_reference_and_the_equal_parameter_comparison():
    """D = 400, d = 4, L = 3: ping-pong width 600, 3·600² + 3·600 parameters; the baseline
    2·400² + 3·400 parameters and T* = 50 at z = 1; T₀ = 100."""
    from cisim.analysis import pingpong as analysis
    from cisim.pages import pingpong as pingpong_page

    P = 3 * 600**2 + 3 * 600
    cases = pd.DataFrame([{"family": "rotation", "d_model": 400, "d_circuit": 4, "n_layers": 3, "n_circuits": 100**2, "width": 600,
                           "extra_width": 200, "weight_layers": 3, "parameters": P}])
    summary = pd.DataFrame([{"d_model": 400, "n_layers": 3, "n_active": z, "capacity": c, "capacity_lo": c - 5.0, "capacity_hi": c + 5.0,
                             "status": "ok", "t_min": 10.0} for z, c in ((1, 50.0), (2, 30.0), (3, 20.0))])
    r = analysis.equal_d(cases, summary).set_index("n_active")
    base = 2 * 400**2 + 3 * 400
    assert r.loc[1, "t0"] == 100 and r.loc[1, "baseline_gain"] == 0.5 and r.loc[1, "pingpong_gain"] == 100.0
    assert r.loc[1, "width_factor"] == 1.5 and r.loc[1, "parameters_ratio"] == pytest.approx(P / base)
    assert r.loc[1, "per_parameter_ratio"] == pytest.approx((10_000 / P) / (50 / base))
    assert r.loc[1, "t0_equal_parameters"] == P // (2 * 16 + 3 * 4)
    D = r.loc[1, "equal_parameter_width"]
    assert 2 * D**2 + 3 * D == pytest.approx(P)
    assert r.loc[2, "pingpong_gain"] == 0.0 and r.loc[2, "baseline_gain"] == pytest.approx(0.3)
    assert list(r.index) == [1, 2, 3] and r.loc[3, "pingpong_T"] == 0 and r.loc[3, "baseline_capacity"] == 20.0  # every z of the study
    assert set(pingpong_page.EQUAL_PARAMETERS) <= set(r.reset_index().columns) and set(analysis.EQUAL_D_NUMBERS) <= set(r.reset_index().columns)
