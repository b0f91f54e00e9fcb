"""The two χ conventions against an independent dense re-implementation of the construction.

The reference below is written from the post's equations (eqs 5.4, 5.17, 5.20–5.30) and
docs/reproduction.md with plain float64 numpy; it takes only the allocation (`network.positions`)
and the circuits' w̄ and Δw from cisim, and builds C, U, P, χ', M, W, the forward pass and the
read-outs itself:

    C  = clamp(E_lᵀ E_{l−1}, max 1)                pair[t, u] = e_t^l · C · e_u^{l−1}
    post       U = Σ_{t≠u} pair[t, u],  P = T(T−1)·S²
    published  U = Σ_{t<u} pair[t, u],  P = T(T−1)/2·S²
    χ' = U/(P − U),  M = C − (1 − C)·χ',  W[block i, block j] = (Σ_t Δw_t,ij e_t^l ⊗ e_t^{l−1} + w̄_ij M)/S
"""

import numpy as np
import pytest

from cisim import config, construction, datasets, simulate
from cisim.jobs.allocate import allocate_point
from cisim.pages import paper as paper_page
from cisim.jobs.simulate import simulate_point
from cisim.construction.capped import StructuredLayer, capped_weights, suppression_constant, suppression_constant_sparse

from .construction import designs_util
from .test_report import CFG as REPORT_CFG
from .test_report import make_summary

D, L, N_SAMPLES = 400, 3, 200
BIAS = np.array([-0.5, -1.5, -1.0, -1.0])  # post eq 5.3 with b = 1
SIZES = [(60, 4), (80, 6)]  # (T, S)
_BUILT = {}


def built(T, S, convention):
    """(circuits, network) of the baseline at D = 400, L = 3, seed 11 (cached per module)."""
    key = (T, S, convention)
    if key not in _BUILT:
        spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, chi_convention=convention)
        _BUILT[key] = construction.build(spec, seed=11)
    return _BUILT[key]


# ---------------------------------------------------------------- the reference
def one_hot(local, n):
    e = np.zeros((local.shape[0], n))
    for t, row in enumerate(local):
        e[t, row] = 1.0
    return e


def embeddings(positions, n):
    """e_t^l (L, T, n): all four small neurons of a circuit share local positions (post eq 5.14)."""
    local = positions[..., 0, :]
    for i in range(positions.shape[2]):
        np.testing.assert_array_equal(positions[..., i, :] - i * n, local)
    return np.stack([one_hot(local[l], n) for l in range(positions.shape[0])])


def reference_weights(mean_w, diff_w, E, S, convention):
    """[(χ, W (D, D))] for weight layers l = 1..L−1 (post eqs 5.20–5.24, docs/reproduction.md)."""
    T, n = E.shape[1:]
    out = []
    for l in range(1, E.shape[0]):
        e_out, e_in = E[l], E[l - 1]
        C = np.minimum(e_out.T @ e_in, 1.0)
        pair = e_out @ C @ e_in.T
        if convention == "post":
            U, P = pair.sum() - np.trace(pair), T * (T - 1) * S**2
        else:
            U, P = np.triu(pair, 1).sum(), T * (T - 1) / 2 * S**2
        chi_prime = U / (P - U)
        M = C - (1.0 - C) * chi_prime
        W = (np.einsum("tij,tn,tm->injm", diff_w, e_out, e_in).reshape(4 * n, 4 * n) + np.kron(mean_w, M)) / S
        out.append((chi_prime / S, W))
    return out


def reference_readouts(mean_w, diff_w, E, weights, active, phases):
    """Per-sample α̂ (L+1, bs, z), x̂ (L+1, bs, z, 2) of the active circuits and the inactive MSEs."""
    n_layers, T, n = E.shape
    S = int(E[0, 0].sum())
    bs, z = active.shape
    a0 = np.stack([np.full(phases.shape, 1.5), np.full(phases.shape, 0.5), np.cos(phases) + 1, np.sin(phases) + 1], -1)  # eq 5.4
    A = np.zeros((bs, 4 * n))
    for b in range(bs):
        for k in range(z):
            t = active[b, k]
            pre = (mean_w + diff_w[t]) @ a0[b, k]
            for i in range(4):
                A[b, i * n : (i + 1) * n] += pre[i] * E[0, t]  # eq 5.25
    bias = np.repeat(BIAS, n)
    alpha = np.zeros((n_layers + 1, bs, z))
    x = np.zeros((n_layers + 1, bs, z, 2))
    alpha[0], x[0] = 1.0, np.stack([np.cos(phases), np.sin(phases)], -1)
    mse_alpha, mse_x = np.zeros(n_layers + 1), np.zeros(n_layers + 1)
    inactive = np.ones((bs, T), dtype=bool)
    inactive[np.arange(bs)[:, None], active] = False
    for layer in range(1, n_layers + 1):
        A = np.maximum(A + bias if layer == 1 else A @ weights[layer - 2][1].T + bias, 0.0)  # eqs 5.17, 5.27
        est = np.stack([A[:, i * n : (i + 1) * n] @ E[layer - 1].T / S for i in range(4)], -1)  # (bs, T, 4), eq 5.30
        a_hat = est[..., 0] - est[..., 1]
        x_hat = est[..., 2:] - a_hat[..., None]
        alpha[layer] = np.take_along_axis(a_hat, active, 1)
        x[layer] = np.take_along_axis(x_hat, active[..., None], 1)
        mse_alpha[layer] = (a_hat[inactive] ** 2).mean()
        mse_x[layer] = (x_hat[inactive] ** 2).sum(-1).mean()
    return alpha, x, mse_alpha, mse_x


# ---------------------------------------------------------------- cisim against the reference
@pytest.mark.parametrize("convention", ["post", "published"])
@pytest.mark.parametrize("T,S", SIZES)
def test_chi_and_dense_weights_equal_the_reference(T, S, convention):
    circuits, network = built(T, S, convention)
    E = embeddings(network.positions, D // 4)
    nonzero = circuits.mean_w != 0
    for k, (chi, W) in enumerate(reference_weights(circuits.mean_w, circuits.diff_w, E, S, convention)):
        np.testing.assert_allclose(network.chi[k][nonzero], chi, rtol=1e-12)
        assert np.all(network.chi[k][~nonzero] == 0)
        np.testing.assert_allclose(network.weights[k], W, rtol=0, atol=1e-12)


@pytest.mark.parametrize("convention", ["post", "published"])
@pytest.mark.parametrize("T,S", SIZES)
@pytest.mark.parametrize("z", [1, 2])
def test_readouts_equal_the_reference_forward_pass(T, S, convention, z):
    circuits, network = built(T, S, convention)
    E = embeddings(network.positions, D // 4)
    weights = reference_weights(circuits.mean_w, circuits.diff_w, E, S, convention)
    inputs = simulate.sample_inputs(T, z, N_SAMPLES, np.random.default_rng([T, z]))
    got = simulate.readouts(network, circuits, inputs, dtype=np.float64)
    alpha, x, mse_alpha, mse_x = reference_readouts(circuits.mean_w, circuits.diff_w, E, weights, inputs.active, inputs.phases)
    assert got["alpha"].shape == (L + 1, N_SAMPLES, z) and got["x"].shape == (L + 1, N_SAMPLES, z, 2)
    np.testing.assert_allclose(got["alpha"], alpha, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got["x"], x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got["mse_alpha_inactive"], mse_alpha, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(got["mse_x_inactive"], mse_x, rtol=1e-9, atol=1e-15)
    assert np.abs(x[-1] - x[0]).max() > 1e-3  # the check has teeth: the read-out has moved off the input


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-6), (np.float64, 1e-12)])
@pytest.mark.parametrize("convention", ["post", "published"])
def test_readouts_agree_with_the_run_metrics(convention, dtype, rtol):
    circuits, network = built(80, 6, convention)
    inputs = simulate.sample_inputs(80, 2, 300, np.random.default_rng(5))
    got = simulate.readouts(network, circuits, inputs, dtype=dtype, batch_size=256)
    m = simulate.run(network, circuits, inputs, dtype=dtype).metrics
    x0 = np.stack([np.cos(inputs.phases), np.sin(inputs.phases)], -1)
    _, x_true = circuits.read(circuits.forward(inputs.active, circuits.encode(np.ones(inputs.active.shape), x0), L))
    np.testing.assert_allclose(((got["x"] - x_true) ** 2).sum(-1).mean((1, 2)), m["mse_x_active"], rtol=rtol)
    np.testing.assert_allclose(((got["alpha"] - 1.0) ** 2).mean((1, 2)), m["mse_alpha_active"], rtol=rtol, atol=1e-30)
    for key in ("mse_x_inactive", "mse_alpha_inactive"):
        np.testing.assert_allclose(got[key], m[key], rtol=rtol)


def test_readouts_need_static_activity():
    spec = construction.NetworkSpec(d_model=D, n_circuits=60, redundancy=4, n_layers=L, design="cross_circuit",
                                    design_options={"routing": "permutation"})
    circuits, network = construction.build(spec, seed=0)
    with pytest.raises(ValueError, match="static activity"):
        simulate.readouts(network, circuits, simulate.sample_inputs(60, 1, 4, np.random.default_rng(0)))


# ---------------------------------------------------------------- the two conventions
def test_conventions_differ_from_the_first_weight_layer_on():
    _, post = built(80, 6, "post")
    _, published = built(80, 6, "published")
    np.testing.assert_array_equal(post.positions, published.positions)
    for k in range(L - 1):
        nonzero = post.chi[k] != 0
        assert np.all(published.chi[k][nonzero] != post.chi[k][nonzero]), k
        assert not np.array_equal(post.weights[k], published.weights[k])


def test_conventions_coincide_when_both_layers_share_the_embedding():
    """e^l = e^{l−1}: C and the pair sums are symmetric, so U_{t<u} is exactly half of U_{t≠u},
    as is P, and χ' is the same to the last bit."""
    _, network = built(80, 6, "post")
    local = network.positions[1][:, 0]
    chi_post = suppression_constant(local, local, D // 4, D // 4, "post")[1]
    assert chi_post > 0
    assert suppression_constant(local, local, D // 4, D // 4, "published")[1] == chi_post


@pytest.mark.parametrize("convention", ["post", "published"])
def test_dense_and_factored_paths_are_bit_identical(convention):
    circuits, network = built(80, 6, convention)
    n = D // 4
    for k in range(L - 1):
        out, inp = network.positions[k + 1], network.positions[k]
        chi_dense = suppression_constant(out[:, 0], inp[:, 0], n, n, convention)[1]
        assert suppression_constant_sparse(out[:, 0], inp[:, 0], n, n, convention)[0] == chi_dense
        W, chi = capped_weights(circuits.mean_w, circuits.diff_w, out, inp, [n] * 4, 1.0, convention)
        layer = StructuredLayer(circuits.mean_w, circuits.diff_w, out, inp, [n] * 4, 1.0, convention)
        np.testing.assert_array_equal(layer.chi, chi)
        np.testing.assert_array_equal(network.chi[k], chi)
        np.testing.assert_array_equal(network.weights[k], W)
    inputs = simulate.sample_inputs(80, 2, 128, np.random.default_rng(2))
    dense = simulate.readouts(network, circuits, inputs, dtype=np.float64, forward="dense")
    structured = simulate.readouts(network, circuits, inputs, dtype=np.float64, forward="structured")
    for key in dense:
        np.testing.assert_allclose(structured[key], dense[key], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name,options", [
    ("redundant_indicators", None), ("indicator_share", None), ("indicator_share", {"fraction": 0.5, "redundancy_on": 3}),
    ("carried_indicators", None), ("indicator_cleanup", None), ("cross_circuit", {"routing": "identity"}),
    ("cross_circuit", {"routing": "permutation"}), ("cross_circuit", {"routing": "fan_in_2"}),
])
def test_every_design_builds_with_both_conventions(name, options):
    """The convention reaches every weight path (shared, mixed-redundancy and routed): the
    same network, only χ and the −χ filler of 𝒲 change."""
    post = construction.build(designs_util.spec(name, options), seed=1)[1]
    published = construction.build(designs_util.spec(name, options, chi_convention="published"), seed=1)[1]
    np.testing.assert_array_equal(post.positions, published.positions)
    assert np.any(post.chi != 0) and np.array_equal(post.chi == 0, published.chi == 0)
    assert np.any(post.chi != published.chi)
    if name == "cross_circuit" and options["routing"] == "identity":  # exactly the baseline, convention included
        baseline = construction.build(designs_util.spec("baseline", chi_convention="published"), seed=1)[1]
        np.testing.assert_array_equal(published.chi, baseline.chi)


def test_fan_out_routing_allows_only_the_post_convention():
    with pytest.raises(ValueError, match="fan_out"):
        construction.build(designs_util.spec("cross_circuit", {"routing": "fan_out", "fan_out": 2}, chi_convention="published"), seed=1)


# ---------------------------------------------------------------- config, datasets, report
def test_bad_convention_is_one_config_line():
    with pytest.raises(config.ConfigError) as e:
        config.compose("tiny", ["design.chi_convention=foo"])
    assert str(e.value) == "design.chi_convention='foo' is not allowed: post or published"
    with pytest.raises(ValueError, match="chi_convention='foo'"):
        construction.NetworkSpec(d_model=D, n_circuits=60, redundancy=4, n_layers=L, chi_convention="foo")


@pytest.mark.parametrize("design", sorted(p.stem for p in (config.CONF_DIR / "design").glob("*.yaml")))
def test_every_design_takes_the_published_convention(design):
    width = designs_util.tiny_sweep_overrides(design)
    overrides = [f"design={design}", "design.chi_convention=published", *width]
    if design == "cross_circuit_fan_out":  # routed children share parents: no t < u pairing (cross_circuit.py)
        with pytest.raises(config.ConfigError, match=r"design\.chi_convention='published' is not allowed with design\.routing=fan_out"):
            config.compose("tiny", overrides)
        return
    cfg = config.compose("tiny", overrides)
    points = config.expand_points(cfg)
    assert all(p["chi_convention"] == "published" and "chi_convention" not in p["design_options"] for p in points)
    assert all(config.point_label(p).endswith("-chipublished") for p in points)
    default = config.expand_points(config.compose("tiny", [f"design={design}", *width]))
    assert all(p["chi_convention"] == "post" and not config.point_label(p).endswith("-chipublished") for p in default)
    assert config.network_spec(points[0]).chi_convention == "published"


def test_run_files_record_the_convention_and_gather_keeps_it(tmp_path):
    cfg = config.compose("tiny", ["design.chi_convention=published", "sim.seeds=[0]", "sim.n_samples=8", "sweep.grids.main.n_samples=8"])
    point = next(p for p in config.expand_points(cfg) if p["grid"] == "main")
    keys = ("design", "design_options", "allocation", "allocation_options", "d_model", "n_circuits", "redundancy", "chi_scale")
    allocations, _ = allocate_point({"point": {**{k: point[k] for k in keys}, "n_layers": 1}, "seeds": [0]})
    results, diagnostics, _ = simulate_point({"point": point, "sim": cfg["sim"], "backend": cfg["backend"], "seeds": [0]}, allocations)
    label = config.point_label(point)
    ds = datasets.run_to_dataset(point, label, results, diagnostics, datasets.provenance(config.to_json(point)))
    assert ds.attrs["chi_convention"] == "published"
    datasets.write(ds, tmp_path / f"{label}.nc")
    summary = datasets.gather([tmp_path / f"{label}.nc"])
    assert summary["chi_convention"].values.tolist() == ["published"]
    assert summary.attrs["chi_convention"] == "published"


def test_report_page_states_the_convention():
    summary = make_summary()
    assert "χ convention <code>post</code> (pairs t ≠ u, post eq 5.24)" in paper_page.render(summary, REPORT_CFG, "unit")
    marked = summary.assign_coords(chi_convention=("point", ["published"] * summary.sizes["point"]))
    assert "χ convention <code>published</code> (pairs t &lt; u, as the published code)" in paper_page.render(marked, REPORT_CFG, "unit")
