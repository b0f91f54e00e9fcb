import dataclasses

import numpy as np
import pandas as pd
import pytest

from cisim import construction, metrics, simulate, theory

from .conftest import tiny_spec
from .reference import embedded_input, unembedded


def layer1_estimates(network, circuits, inputs):
    """Per-circuit layer-1 read-outs (bs, T, d), the quantity the streaming metrics summarise."""
    _, a0 = simulate.initial_states(circuits, inputs.phases)
    A = np.maximum(embedded_input(network, circuits, inputs.active, a0) + network.bias, 0)
    return unembedded(network.positions[0], A), a0


def test_z1_layer1_is_exact_for_the_active_circuit_and_inactive_reads_0_or_1_over_S():
    spec = tiny_spec(d_model=1000, n_circuits=557, redundancy=6, n_layers=2)
    circuits, network = construction.build(spec, seed=0)
    inputs = simulate.sample_inputs(557, 1, 0, np.random.default_rng(1), exhaustive=True)
    est, a0 = layer1_estimates(network, circuits, inputs)
    truth = circuits.forward(inputs.active, a0, 1)[1]
    rows = np.arange(557)
    np.testing.assert_allclose(est[rows, inputs.active[:, 0]], truth[:, 0], atol=1e-6)
    alpha, _ = circuits.read(est)
    inactive = np.ones((557, 557), bool); inactive[rows, inputs.active[:, 0]] = False
    vals = alpha[inactive]
    near = np.minimum(np.abs(vals), np.abs(vals - 1 / 6))
    assert near.max() < 1e-9
    assert (np.abs(vals - 1 / 6) < 1e-9).any()  # collisions do happen at this load
    res = simulate.run(network, circuits, inputs)
    assert res.metrics["mse_x_active"][1] <= 1e-6 and res.metrics["max_x_active"][1] <= 1e-3


def test_inactive_mse_at_layer_1_matches_theory_in_the_small_noise_regime():
    # The formula ε = d/D − 1/(ST) assumes every neuron carries the same load, so use a
    # transversal design filled with whole parallel classes (3 of q = 83 at D/d = 500).
    D, T, S, z = 2000, 249, 6, 2  # T(d/D)² ≈ 0.001
    assert theory.superposition_load(D, T) <= 0.002
    spec = tiny_spec(d_model=D, n_circuits=T, redundancy=S, n_layers=1, allocation="transversal")
    circuits, network = construction.build(spec, seed=5)
    inputs = simulate.sample_inputs(T, z, 4096, np.random.default_rng(2))
    m = simulate.run(network, circuits, inputs).metrics
    predicted = theory.mse_inactive(D, T, S, z)
    assert abs(m["mse_alpha_inactive"][1] / predicted - 1) < 0.10
    assert abs(m["mse_x_inactive"][1] / predicted - 1) < 0.10
    # active circuits: layer-1 error is the overlap term 9·(z−1)·ε (eq 6.55 at l = 1); α is exact
    assert abs(m["mse_x_active"][1] / theory.mse_x_active(D, T, S, z, 1) - 1) < 0.15
    assert m["mse_alpha_active"][1] < 1e-10


def test_results_agree_across_batch_sizes_and_repeat_bit_for_bit_at_one(tiny_network):
    """The promise of docs/reliability.md: the same batch size reproduces every bit; other batch
    sizes change a GEMM's column count, hence rounding, and agree within metrics.AGREEMENT."""
    spec, circuits, network = tiny_network
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 1000, np.random.default_rng(4))
    # 1000 samples run as batches of 128, 256, 384 and 1024 (`batch_columns`: four distinct GEMM widths)
    runs = [simulate.run(network, circuits, inputs, batch_size=b).metrics for b in (128, 256, 384, 1000)]
    for other in runs[1:]:
        assert metrics.agree(runs[0], other), metrics.deviation(runs[0], other)
    again = simulate.run(network, circuits, inputs, batch_size=384).metrics
    for k in again:
        np.testing.assert_array_equal(runs[2][k], again[k], err_msg=k)
    # the tolerance is far tighter than a real change: another input draw is not "the same numbers"
    other_draw = simulate.sample_inputs(spec.n_circuits, 2, 1000, np.random.default_rng(5))
    assert not metrics.agree(runs[0], simulate.run(network, circuits, other_draw).metrics)


def test_streaming_metrics_equal_a_one_shot_computation(tiny_network):
    """Merged batch statistics equal numpy reductions over the concatenated per-circuit read-outs."""
    spec, circuits, network = tiny_network
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 700, np.random.default_rng(8))
    m = simulate.run(network, circuits, inputs, batch_size=128, dtype=np.float64).metrics
    est, a0 = layer1_estimates(network, circuits, inputs)
    alpha, x = circuits.read(est)
    rows = np.arange(700)[:, None]
    _, x_true = circuits.read(circuits.forward(inputs.active, a0, 1)[1])
    inactive = np.ones(alpha.shape, bool); inactive[rows, inputs.active] = False
    np.testing.assert_allclose(m["mse_x_active"][1], ((x[rows, inputs.active] - x_true) ** 2).sum(-1).mean(), rtol=1e-12)
    np.testing.assert_allclose(m["mse_alpha_inactive"][1], (alpha[inactive] ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(m["max_x_inactive"][1], np.sqrt((x**2).sum(-1))[inactive].max(), rtol=1e-12)
    assert m["false_on_rate"][1] == (alpha[inactive] > 0.5).mean()


def test_same_seed_same_numbers():
    spec = tiny_spec()
    out = []
    for _ in range(2):
        circuits, network = construction.build(spec, seed=11)
        inputs = simulate.sample_inputs(spec.n_circuits, 3, 300, np.random.default_rng(11))
        out.append(simulate.run(network, circuits, inputs).metrics)
    for k in out[0]:
        np.testing.assert_array_equal(out[0][k], out[1][k])


def test_nonfinite_activations_are_reported_not_averaged_away(tiny_network):
    spec, circuits, network = tiny_network
    bad = network.weights[0].copy(); bad[5, :] = np.inf
    broken = dataclasses.replace(network, weights=(bad,) + network.weights[1:])
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 200, np.random.default_rng(0))
    m = simulate.run(broken, circuits, inputs).metrics
    assert m["nonfinite_count"][1] == 0 and m["nonfinite_count"][2] > 0
    assert np.isnan(m["max_x_inactive"][2]) and np.isfinite(m["max_x_inactive"][1])


@pytest.mark.parametrize("bad", [dict(n_active=0), dict(n_active=61), dict(n_samples=0)])
def test_bad_sampling_arguments_raise_one_line_errors(bad):
    args = dict(n_circuits=60, n_active=2, n_samples=10) | bad
    with pytest.raises(ValueError) as e:
        simulate.sample_inputs(args["n_circuits"], args["n_active"], args["n_samples"], np.random.default_rng(0))
    key = next(iter(bad))
    assert f"{key}={bad[key]}" in str(e.value) and "\n" not in str(e.value)


def test_the_embedded_input_is_the_reference_embedding_in_columns(tiny_network):
    spec, circuits, network = tiny_network
    inputs = simulate.sample_inputs(spec.n_circuits, 3, 50, np.random.default_rng(3))
    _, a0 = simulate.initial_states(circuits, inputs.phases)
    A0 = simulate.embed_input_columns(network, circuits, inputs.active, a0, 64, np.float64)
    np.testing.assert_allclose(A0[:, :50], embedded_input(network, circuits, inputs.active, a0).T, rtol=1e-15, atol=0)
    assert not A0[:, 50:].any()  # padding columns of a short batch stay zero


def overloaded_network():
    """T = 290 circuits at D = 400, S = 4 (near prime_step's capacity 295): z = 3 switches
    inactive circuits on in a third of the samples at layer 1 while the per-circuit false-on
    rate is 1.5e-3, and the network seizes by layer 3."""
    spec = tiny_spec(d_model=400, n_circuits=290, redundancy=4, n_layers=3)
    circuits, network = construction.build(spec, seed=7)
    return spec, circuits, network


def test_seizure_counts_equal_a_brute_force_count_over_every_circuit():
    """any_false_on_rate, any_false_off_rate and seizure_rate are the fractions of samples with
    ≥ 1 inactive circuit read on (α̂ > READ_ON), ≥ 1 active circuit read off (α̂ < READ_OFF), or
    either, counted here sample by sample from every circuit's read-out (`forward_layers` for the
    inactive circuits, `readouts` for the active ones)."""
    from cisim.analysis import criteria
    from cisim.metrics import READ_OFF, READ_ON

    spec, circuits, network = overloaded_network()
    T, z, n = spec.n_circuits, 3, 500
    inputs = simulate.sample_inputs(T, z, n, np.random.default_rng(3))
    m = simulate.run(network, circuits, inputs, batch_size=128, dtype=np.float64).metrics
    prepared = simulate.prepare(network, circuits, np.float64)
    on_counts = np.zeros((spec.n_layers + 1, n), dtype=np.int64)  # inactive circuits read on, per sample
    for lo in range(0, n, 128):
        active = inputs.active[lo : lo + 128]
        bs = active.shape[0]
        _, a0 = simulate.initial_states(circuits, inputs.phases[lo : lo + 128])
        inactive = np.ones((T, bs), bool)
        inactive[active.T, np.arange(bs)[None, :]] = False
        A0 = simulate.embed_input_columns(network, circuits, active, a0, 128, np.float64)
        for layer, _, channels in simulate.forward_layers(prepared, A0, np):
            on_counts[layer, lo : lo + bs] = ((channels[0][:, :bs] > READ_ON) & inactive).sum(0)
    alpha_active = simulate.readouts(network, circuits, inputs, dtype=np.float64, batch_size=128)["alpha"]  # (L+1, n, z)
    any_on = on_counts > 0
    any_off = (alpha_active < READ_OFF).any(-1)
    any_off[0] = False  # layer 0 is the exact input
    np.testing.assert_array_equal(m["any_false_on_rate"], any_on.sum(1) / n)
    np.testing.assert_array_equal(m["any_false_off_rate"], any_off.sum(1) / n)
    np.testing.assert_array_equal(m["seizure_rate"], (any_on | any_off).sum(1) / n)
    # the case the per-circuit rate hides: rare per circuit, common per sample
    assert m["false_on_rate"][1] < 2e-3 and m["seizure_rate"][1] > 0.3 and (m["any_false_off_rate"] > 0).any()
    # expected wrongly-on circuits per sample = false_on_rate · (T − z) = the mean brute-force count
    layers = pd.DataFrame({"false_on_rate": m["false_on_rate"], "n_circuits": T, "n_active": z})
    np.testing.assert_allclose(criteria.expected_wrong(layers), on_counts.mean(1), rtol=1e-12)


def test_active_neurons_is_the_mean_count_per_block_and_sample(tiny_network):
    spec, circuits, network = tiny_network
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 300, np.random.default_rng(6))
    m = simulate.run(network, circuits, inputs, batch_size=128).metrics
    np.testing.assert_allclose(m["active_neurons"], m["active_fraction"] * np.asarray(network.block_sizes)[None, :], rtol=1e-12)
    # layer 0 (the embedded input, no noise yet): at most z·S neurons per block, fewer only where circuits share one
    assert (m["active_neurons"][0] <= 2 * spec.redundancy).all() and (m["active_neurons"][0] > 1.5 * spec.redundancy).all()


def test_every_criterion_is_at_its_noise_free_value_in_the_exact_regime():
    """z = 1 on a disjoint allocation (S = 1, T = D/d: every neuron belongs to one circuit): no
    circuit is ever read wrongly, so expected_wrong and seizure are 0, and the busiest block holds
    exactly its noise-free z·S = 1 active neuron (neuron ratio 1)."""
    from cisim import datasets
    from cisim.analysis import criteria, frontier

    spec = tiny_spec(d_model=400, n_circuits=100, redundancy=1, n_layers=3)
    circuits, network = construction.build(spec, seed=7)
    assert all(len(np.unique(p[:, 0, 0])) == 100 for p in network.positions)  # disjoint
    inputs = simulate.sample_inputs(100, 1, 0, np.random.default_rng(3), exhaustive=True)
    result = simulate.run(network, circuits, inputs)
    point = {"grid": "g", "design": "baseline", "allocation": "prime_step", "d_model": 400, "n_circuits": 100,
             "redundancy": 1, "n_layers": 3, "chi_scale": 1.0}
    diag = {0: dict.fromkeys(("max_overlap", "mean_squared_overlap", "mean_squared_overlap_formula", "load_min", "load_max"), 0.0)}
    ds = datasets.run_to_dataset(point, "g-baseline-prime_step-D400-T100-S1-L3", {(0, 1): result}, diag, {})
    for v in ("seizure_rate", "any_false_on_rate", "any_false_off_rate"):
        assert ds[v].dims == ds["false_on_rate"].dims and float(ds[v].max()) == 0.0
    assert ds["active_neurons"].dims == ds["active_fraction"].dims
    every = criteria.Criteria(applied=criteria.NAMES)
    layers = criteria.layer_margins(frontier.table(ds).query("layer >= 1"), every)
    assert (layers[["r_fo", "r_expected_wrong", "r_seizure"]] == 0).all().all()
    np.testing.assert_array_equal(layers["r_neurons"], 1 / every.neuron_threshold)
    assert layers["r_mse"].max() < 1e-12 and criteria.works(layers["r"]).all()


def test_batches_are_spread_over_the_samples_with_little_padding(tiny_network):
    """A run pads its last batch with all-zero samples up to a multiple of CHUNK: 300 samples at
    batch_size 1024 run as one batch of 384 (not 1024), 1100 as two of 640, 55,700 as 55 of 1024;
    the batch never exceeds the requested one (rounded up to CHUNK) and is a multiple of CHUNK."""
    spec, circuits, network = tiny_network
    prepared = simulate.prepare(network, circuits, np.dtype(np.float32))
    cols = lambda b, n: simulate.batch_columns(b, prepared.plan, network, prepared.R.shape[0], np.float32, n)  # noqa: E731
    assert [cols(1024, n) for n in (300, 1100, 55_700, 128, 1)] == [384, 640, 1024, 128, 128]
    assert cols(1024, None) == 1024 and cols(100, 300) == 128
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 300, np.random.default_rng(5))
    assert simulate.run(network, circuits, inputs, batch_size=1024, prepared=prepared, dtype=np.float32).batch_size == 384


def test_batches_side_by_side_give_the_numbers_of_one_worker(tiny_network):
    """Workers run whole batches (one BLAS thread each) and merge them in sample order: with the
    GEMMs on one thread either way, 2 or 3 workers reproduce one worker bit for bit."""
    from cisim import backend

    spec, circuits, network = tiny_network
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 1000, np.random.default_rng(4))
    with backend.one_blas_thread():
        runs = [simulate.run(network, circuits, inputs, batch_size=128, workers=w) for w in (1, 2, 3)]
    for other in runs[1:]:
        for k in runs[0].metrics:
            np.testing.assert_array_equal(runs[0].metrics[k], other.metrics[k], err_msg=k)
        np.testing.assert_array_equal(runs[0].x_est, other.x_est)
    with pytest.raises(ValueError, match="workers=0 is not allowed"):
        simulate.run(network, circuits, inputs, workers=0)
    assert backend.cpu_workers("numpy", 4, 3) == 3 and backend.cpu_workers("cupy", 4, 9) == 1


def test_weight_layers_indexed_side_by_side_equal_those_indexed_one_by_one():
    """With two BLAS threads the structured layers' index tables are built in two threads
    (`backend.side_by_side`): the same tables and forward pass as one thread, bit for bit, in layer order."""
    import threading

    from threadpoolctl import threadpool_limits

    from cisim import backend

    spec = tiny_spec(n_layers=5)
    circuits, network = construction.build(spec, seed=3)
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 200, np.random.default_rng(1))
    built = {}
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            assert backend.cpu_threads("numpy", None) == threads
            prepared = simulate.prepare(network, circuits, np.float32, "structured")
            built[threads] = prepared, simulate.run(network, circuits, inputs, dtype=np.float32, forward="structured",
                                                    prepared=prepared, workers=1)
    (p1, r1), (p2, r2) = built[1], built[2]
    for op1, op2 in zip(p1.plan.ops, p2.plan.ops):
        assert [m["blocks"] for m in op1.means] == [m["blocks"] for m in op2.means]
        for m1, m2 in zip(op1.means, op2.means):
            for t1, t2 in zip(m1["table"], m2["table"]):
                np.testing.assert_array_equal(t1, t2)
    for k in r1.metrics:
        np.testing.assert_array_equal(r1.metrics[k], r2.metrics[k], err_msg=k)
    both = threading.Barrier(2, timeout=30)  # passes only if items 0 and 1 run at the same time
    order = backend.side_by_side(lambda k: (k < 2 and both.wait(), k)[1], range(5), workers=2)
    assert order == list(range(5))


def test_one_batch_split_over_row_threads_gives_the_numbers_of_one_thread(monkeypatch):
    """A single batch given two workers splits its gathers' row tiles over two threads
    (`operators.row_threads`): the metrics and read-outs are those of one thread, bit for bit."""
    from cisim.simulate import operators

    monkeypatch.setattr(operators, "TILE_BYTES", 4096)  # 16-row tiles: many tiles in a tiny network
    split = []
    plain = operators.over_tiles
    monkeypatch.setattr(operators, "over_tiles", lambda n, tile, work: (split.append(operators._ROW_POOL.get() is not None and n > tile),
                                                                         plain(n, tile, work)))
    spec = tiny_spec(n_layers=4)
    circuits, network = construction.build(spec, seed=2)
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 100, np.random.default_rng(8))
    runs = {w: simulate.run(network, circuits, inputs, forward="structured", workers=w) for w in (1, 2)}
    assert any(split) and runs[2].batch_size == runs[1].batch_size >= inputs.n_samples  # one batch, split
    for k in runs[1].metrics:
        np.testing.assert_array_equal(runs[1].metrics[k], runs[2].metrics[k], err_msg=k)
    np.testing.assert_array_equal(runs[1].x_est, runs[2].x_est)


def test_numpy_in_place_kernels_equal_the_array_api_ones():
    """The numpy fast paths (gathers into one buffer, listed cells cleared in place, block
    combinations summed in place) give the array-API paths' values bit for bit, NaN and inf
    included, across statistic tiles."""
    import array_api_compat.numpy as xp

    from cisim.backend import namespace
    from cisim.simulate import accumulate, operators

    rng = np.random.default_rng(0)
    T, bs = accumulate.STAT_TILE + 300, 64
    channels = [rng.standard_normal((T, bs)).astype(np.float32) for _ in range(5)]  # α̂ and two rotation pairs
    rows, cols = rng.integers(T, size=200), rng.integers(bs, size=200)
    channels[0][rows[:3], cols[:3]] = [np.nan, np.inf, 7.0]  # listed cells: must not count
    channels[2][5, 7] = np.nan  # an unlisted NaN propagates into the maxima
    inactive = np.ones((T, bs), bool)
    inactive[rows, cols] = False
    masked = accumulate.device_statistics(xp, channels, inactive)
    cleared = accumulate.device_statistics(xp, channels, inactive, (rows, cols))
    assert masked.keys() == cleared.keys()
    for k in masked:
        np.testing.assert_array_equal(masked[k], cleared[k], err_msg=k)
    strict = namespace("array_api_strict")
    blocks = [rng.standard_normal((300, bs)).astype(np.float32) for _ in range(4)]
    originals = [b.copy() for b in blocks]
    for row in ([1.0, -1.0, 0.0, 0.0], [-1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.5, -1.0], [2.0, 0.0, -1.0, 1.0]):
        strict_blocks = [strict.asarray(b) for b in blocks]
        np.testing.assert_array_equal(operators.combine(blocks, row), np.from_dlpack(operators.combine(strict_blocks, row)))
    assert all(np.array_equal(b, o) for b, o in zip(blocks, originals))  # the blocks themselves are never written
    source = rng.standard_normal((300, bs)).astype(np.float32)
    idx = [rng.integers(300, size=T) for _ in range(6)]
    expected = operators.tiled(xp, T, 100, lambda lo, hi: operators.gather_sum(xp, source, idx, lo, hi))
    np.testing.assert_array_equal(operators.gathered(xp, source, idx, T, 100), expected)
    parts = [(T, lambda lo, hi: source[idx[0][lo:hi]] * 2.0), (0, None), (1, lambda lo, hi: source[:1] - 1.0)]
    zero = np.zeros((1, bs), np.float32)
    expected = np.concatenate([operators.tiled(xp, T, 100, parts[0][1]), parts[2][1](0, 1), zero])
    np.testing.assert_array_equal(operators.stacked(xp, parts, 100, zero), expected)
