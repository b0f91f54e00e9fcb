"""The forward pass's layer operators: dense GEMM and factored ("structured") capped weights.

Both paths must give the same numbers to float tolerance on the same seed, for everything a
`Network` can express; the factored form must reproduce `capped_weights` and χ bit for bit.
Parametrised over numpy and array_api_strict so the GPU path stays within the standard.
"""

import dataclasses
import tracemalloc

import numpy as np
import pytest

from cisim import construction, metrics, simulate
from cisim.backend import namespace
from cisim.circuits import draw_rotation_circuits
from cisim.construction.capped import StructuredLayer, capped_weights
from cisim.construction.layout import layer_positions
from cisim.construction.network import LazyWeights, assemble
from cisim.simulate import operators
from cisim.simulate.readout import ChannelReadout, readout_matrix

from .conftest import tiny_spec

BACKENDS = ["numpy", "array_api_strict"]


def per_neuron_network(seed=0, block_sizes=(90, 110, 100, 100), n_circuits=70, redundancy=4, n_layers=3):
    """Every small neuron at its own random positions, blocks of unequal sizes."""
    rng = np.random.default_rng(seed)
    circuits = draw_rotation_circuits(n_circuits, rng)
    offsets = np.concatenate([[0], np.cumsum(block_sizes)])
    positions = np.empty((n_layers, n_circuits, 4, redundancy), dtype=np.int64)
    for l in range(n_layers):
        for i, n in enumerate(block_sizes):
            positions[l, :, i] = np.stack([np.sort(rng.choice(n, redundancy, replace=False)) for _ in range(n_circuits)]) + offsets[i]
    return circuits, assemble(circuits, positions, block_sizes, chi_scale=0.8)


def networks():
    out = {}
    for name, spec in {
        "prime_step": tiny_spec(),
        "transversal": tiny_spec(d_model=800, n_circuits=300, redundancy=5, allocation="transversal"),
        "chi_scale": tiny_spec(chi_scale=1.7),
    }.items():
        out[name] = construction.build(spec, seed=4)
    out["per_neuron_unequal"] = per_neuron_network()
    return out


NETWORKS = networks()


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_factored_layers_reproduce_capped_weights_and_chi_bit_for_bit(name):
    circuits, network = NETWORKS[name]
    assert isinstance(network.weights, LazyWeights) and all(isinstance(s, StructuredLayer) for s in network.structure)
    for l in range(1, network.n_layers):
        w, chi = capped_weights(circuits.mean_w, circuits.diff_w, network.positions[l], network.positions[l - 1],
                                network.block_sizes, network.structure[l - 1].chi_scale)
        assert np.array_equal(network.weights[l - 1], w)
        assert np.array_equal(network.chi[l - 1], chi)
        np.testing.assert_allclose(operators.dense_matrix(network.structure[l - 1], np.float64), w, rtol=0, atol=1e-14)


@pytest.mark.parametrize("xp_name", BACKENDS)
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_structured_operator_equals_the_dense_product(name, xp_name):
    xp = namespace(xp_name)
    circuits, network = NETWORKS[name]
    X = np.maximum(np.random.default_rng(1).standard_normal((network.d_model, 128)), 0.0)
    for rows in (None, readout_matrix(circuits)):
        op = operators.StructuredOperator(network.structure[0], np.float64, xp, readout_rows=rows)
        Y = np.from_dlpack(op(xp.asarray(X)))
        np.testing.assert_allclose(Y, network.weights[0] @ X, rtol=0, atol=1e-12)


@pytest.mark.parametrize("xp_name", BACKENDS)
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_dense_operator_skips_the_indicator_rows_zero_blocks(name, xp_name):
    """The on-indicator neurons never read the rotation neurons (post eq 5.1), so the dense GEMM
    multiplies (n₀ + n₁)² + (n₂ + n₃)·D entries — 3/4 of D² for equal blocks — and still gives W X."""
    xp = namespace(xp_name)
    circuits, network = NETWORKS[name]
    n0, n1, n2, n3 = network.block_sizes
    D = network.d_model
    op = operators.DenseOperator(network.structure[0], np.float64, xp, network.block_sizes)
    assert [band[:4] for band in op.bands] == [(0, n0 + n1, 0, n0 + n1), (n0 + n1, D, 0, D)]
    assert op.multiply_adds == (n0 + n1) ** 2 + (n2 + n3) * D
    X = np.maximum(np.random.default_rng(1).standard_normal((D, 96)), 0.0)
    np.testing.assert_allclose(np.from_dlpack(op(xp.asarray(X))), network.weights[0] @ X, rtol=0, atol=1e-12)
    whole = operators.DenseOperator(np.asarray(network.weights[0]), np.float64, xp)  # no block sizes: one GEMM
    assert whole.multiply_adds == D * D


@pytest.mark.parametrize("xp_name", BACKENDS)
def test_zero_block_rows_and_columns_are_skipped_exactly(xp_name):
    """Block rows with no input are zero; consecutive block rows reading the same span share a band."""
    xp = namespace(xp_name)
    sizes = (3, 2, 4, 1)
    rng = np.random.default_rng(5)
    W = rng.standard_normal((10, 10))
    W[0:3, 5:10] = 0.0  # block row 0 reads blocks 0–1
    W[3:5, :] = 0.0  # block row 1 reads nothing
    W[5:10, 0:3] = 0.0  # block rows 2 and 3 read blocks 1–3
    W[5:9, 9:10] = 0.0  # ... row 2 only up to block 2
    assert operators.zero_block_bands(W, sizes) == [(0, 3, 0, 5), (3, 5, 0, 0), (5, 9, 3, 9), (9, 10, 3, 10)]
    W[9, 9] = 0.0  # now rows 2 and 3 read the same span: one band
    assert operators.zero_block_bands(W, sizes) == [(0, 3, 0, 5), (3, 5, 0, 0), (5, 10, 3, 9)]
    op = operators.DenseOperator(W, np.float64, xp, sizes)
    X = rng.standard_normal((10, 7))
    Y = np.from_dlpack(op(xp.asarray(X)))
    np.testing.assert_allclose(Y, W @ X, rtol=0, atol=1e-13)
    assert np.all(Y[3:5] == 0.0)


def test_read_out_basis_gives_the_channel_readout_bit_for_bit():
    circuits, network = NETWORKS["prime_step"]
    xp = namespace("numpy")
    R = readout_matrix(circuits)
    X = np.maximum(np.random.default_rng(2).standard_normal((network.d_model, 128)), 0.0).astype(np.float32)
    op = operators.StructuredOperator(network.structure[1], np.float32, xp, readout_rows=R)
    assert op.n_channels == 3
    reader = ChannelReadout(network.positions[1], network.block_sizes, R, np.float32, xp, strategy="gather")
    for a, b in zip(op.channels(op.gather(X)), reader(X)):
        assert np.array_equal(a, b)


def test_lazy_weights_behave_like_the_tuple():
    circuits, network = NETWORKS["prime_step"]
    first = network.weights[0]
    assert len(network.weights) == network.n_layers - 1
    assert isinstance(network.weights[1:], LazyWeights) and len(network.weights[1:]) == len(network.weights) - 1
    mixed = (first.copy(),) + network.weights[1:]
    assert isinstance(mixed, LazyWeights) and mixed.layers[0] is not None
    assert all(np.array_equal(a, b) for a, b in zip(mixed, network.weights))
    assert [type(x).__name__ for x in (network.weights + (first,)).layers][-1] == "ndarray"
    edited = dataclasses.replace(network, weights=tuple(network.weights))
    assert edited.structure is None
    paths, reasons = operators.choose(edited.weights, np.float32)
    assert paths == ["dense"] * len(paths) and "design" in reasons[0]


def metrics_of(network, circuits, n_samples=384, z=2, seed=3, **kw):
    inputs = simulate.sample_inputs(network.n_circuits, z, n_samples, np.random.default_rng(seed))
    return simulate.run(network, circuits, inputs, **kw)


def assert_metrics_close(a, b, rtol):
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_dense_and_structured_paths_give_the_same_metrics(name):
    circuits, network = NETWORKS[name]
    runs = {fw: metrics_of(network, circuits, forward=fw, dtype=np.float64) for fw in ("dense", "structured")}
    assert runs["dense"].forward == "dense" and runs["structured"].forward == "structured"
    assert_metrics_close(runs["dense"].metrics, runs["structured"].metrics, rtol=1e-9)
    f32 = metrics_of(network, circuits, forward="structured", dtype=np.float32)
    for k in ("mse_x_active", "mse_x_inactive", "mse_alpha_inactive"):
        np.testing.assert_allclose(f32.metrics[k], runs["dense"].metrics[k], rtol=2e-4, atol=1e-9, err_msg=k)


def test_mixed_networks_with_readout_layers_and_layer_biases():
    """A dense clean-up-like layer between factored ones; read-outs skip it (readout_layers)."""
    circuits, network = NETWORKS["prime_step"]
    D = network.d_model
    eye = np.eye(D)
    weights = network.weights[:1] + (eye,) + network.weights[1:]
    biases = (network.bias, np.zeros(D), network.bias, network.bias)
    mixed = dataclasses.replace(network, weights=weights, readout_layers=(1, 3, 4), layer_bias=biases)
    runs = {fw: metrics_of(mixed, circuits, forward=fw, dtype=np.float64) for fw in ("dense", "structured")}
    assert runs["structured"].forward == "mixed" and "layer 2: dense" in runs["structured"].forward_detail
    assert_metrics_close(runs["dense"].metrics, runs["structured"].metrics, rtol=1e-9)


def test_structured_results_agree_across_batch_sizes():
    circuits, network = NETWORKS["transversal"]
    runs = [metrics_of(network, circuits, n_samples=700, forward="structured", batch_size=b).metrics for b in (128, 256, 5000)]
    for other in runs[1:]:
        assert metrics.agree(runs[0], other), metrics.deviation(runs[0], other)


def test_automatic_choice_is_deterministic_and_reported():
    circuits, network = NETWORKS["transversal"]
    a, b = (metrics_of(network, circuits) for _ in range(2))
    assert a.forward == b.forward and a.forward in ("dense", "structured") and "s to build the matrix" in a.forward_detail
    for k in a.metrics:
        np.testing.assert_array_equal(a.metrics[k], b.metrics[k])


def test_the_plan_weighs_building_the_dense_matrix_against_the_samples_it_saves(monkeypatch):
    """With a known sample count the dense path also pays for expanding each factored layer once
    (`layer_costs`' dense_build): few samples cannot repay it, many can, when dense is cheaper per sample."""
    _, network = NETWORKS["transversal"]
    items = operators.layer_items(network.weights)
    c = operators.layer_costs(items[0], np.float32)
    assert c["dense_build"] > 0
    if c["dense"] >= c["structured"]:  # make dense the cheaper path per sample, as at high load
        c = {**c, "structured": 2 * c["dense"]}
    break_even = c["dense_build"] / (c["structured"] - c["dense"])
    few, many = max(1, int(break_even / 2)), int(4 * break_even) + 1
    monkeypatch.setattr(operators, "layer_costs", lambda item, dtype, rows=None: c)
    assert operators.choose(items, np.float32)[0][0] == "dense"  # per sample only: dense is cheaper
    paths, reasons = operators.choose(items, np.float32, n_samples=few)
    assert paths[0] == "structured" and f"model for {few} samples" in reasons[0] and "to build the matrix" in reasons[0]
    assert operators.choose(items, np.float32, n_samples=many)[0][0] == "dense"


def test_dense_budget_sends_large_networks_to_the_structured_path(monkeypatch):
    _, network = NETWORKS["prime_step"]
    monkeypatch.setattr(operators, "DENSE_BUDGET_BYTES", 1000)
    paths, reasons = operators.choose(network.weights, np.float32)
    assert set(paths) == {"structured"} and "budget" in reasons[0]
    with pytest.raises(ValueError, match="sim.forward='sparse' is not allowed"):
        operators.choose(network.weights, np.float32, "sparse")


@pytest.mark.parametrize("fw", ["dense", "structured"])
def test_core_forward_pass_on_array_api_strict_matches_numpy(fw):
    circuits, network = NETWORKS["per_neuron_unequal"]
    ref = metrics_of(network, circuits, n_samples=256, forward=fw, dtype=np.float64)
    strict = metrics_of(network, circuits, n_samples=256, forward=fw, dtype=np.float64, backend="array_api_strict")
    assert strict.backend == "array_api_strict"
    assert_metrics_close(ref.metrics, strict.metrics, rtol=1e-12)
    np.testing.assert_allclose(ref.x_est, strict.x_est, rtol=1e-12)


def test_a_wide_network_is_assembled_and_simulated_without_d_squared_memory():
    """D = 65,536: the dense weights would need 17 GB per layer in float32."""
    D, T, S, L = 65536, 3000, 6, 3
    spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, allocation="transversal")
    tracemalloc.start()
    circuits, network = construction.build(spec, seed=0)
    result = metrics_of(network, circuits, n_samples=128, z=2, batch_size=128)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.forward == "structured"
    assert peak < 400 * 2**20, peak
    assert result.metrics["mse_x_active"][1] < 1e-3  # almost no overlap at this load
