import dataclasses

import numpy as np
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
    runs = [simulate.run(network, circuits, inputs, batch_size=b).metrics for b in (128, 256, 1000, 5000)]
    for other in runs[1:]:
        assert metrics.agree(runs[0], other), metrics.deviation(runs[0], other)
    again = simulate.run(network, circuits, inputs, batch_size=1000).metrics
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
