"""carried_indicators: a fixed pool, carried exactly; never recomputed from the rotation neurons."""

import numpy as np

from cisim import construction, simulate

from .designs_util import spec


def test_pool_embedding_is_fixed_and_rotation_is_permuted():
    s = spec("carried_indicators", {"fraction": 0.6}, n_layers=4)
    _, net = construction.build(s, 0)
    assert net.block_sizes == (144, 144, 96, 96)
    for l in range(4):
        np.testing.assert_array_equal(net.positions[l][:, :2], net.positions[0][:, :2])
    assert not np.array_equal(net.positions[1][:, 2], net.positions[0][:, 2])


def test_pool_reads_only_the_pool_through_a_neuron_wise_step():
    s = spec("carried_indicators", {"fraction": 0.5})
    _, net = construction.build(s, 0)
    n = 120
    for w in net.weights:
        np.testing.assert_array_equal(w[: 2 * n, 2 * n :], 0.0)  # never recomputed from rotation neurons
        np.testing.assert_array_equal(w[:n, :n], 2 * np.eye(n))
        np.testing.assert_array_equal(w[n : 2 * n, :n], 2 * np.eye(n))
        np.testing.assert_array_equal(w[:n, n : 2 * n], -2 * np.eye(n))
        assert np.any(w[2 * n :, : 2 * n] != 0)  # rotation neurons read their gate from the pool


def test_pool_keeps_exact_indicators_without_collisions():
    d = spec("carried_indicators", {"fraction": 0.5}, n_circuits=10, allocation="prime_step", n_layers=5)
    circuits, net = construction.build(d, 0)
    m = simulate.run(net, circuits, simulate.sample_inputs(10, 3, 128, np.random.default_rng(0)), dtype=np.float64).metrics
    assert m["mse_alpha_active"].max() == 0.0 and m["mse_alpha_inactive"].max() == 0.0


def test_indicator_error_does_not_grow_with_depth_under_collisions():
    """With collisions the pool read-out of an inactive circuit is (shared neurons)/S at every layer."""
    s = spec("carried_indicators", {"fraction": 0.5}, n_circuits=120, n_layers=5)
    circuits, net = construction.build(s, 0)
    m = simulate.run(net, circuits, simulate.sample_inputs(120, 2, 256, np.random.default_rng(0)), dtype=np.float64).metrics
    assert m["mse_alpha_inactive"][1] > 0
    np.testing.assert_allclose(m["mse_alpha_inactive"][1:], m["mse_alpha_inactive"][1], rtol=1e-12)
    assert m["mse_alpha_active"].max() < 1e-24
