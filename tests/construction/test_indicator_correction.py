"""indicator_correction: circuit-level correction layers map a clean state to itself, erase an
injected indicator error, and are counted in the depth."""

import numpy as np
import pytest

from cisim import construction, simulate
from cisim.construction.indicator_correction import accounting, correction_layer

from .designs_util import layer1_state, read, spec


@pytest.mark.parametrize("n_layers,every,depth,readouts", [(4, 2, 5, (1, 2, 4, 5)), (4, 1, 7, (1, 3, 5, 7)), (4, 4, 4, (1, 2, 3, 4))])
def test_depth_and_readout_layers(n_layers, every, depth, readouts):
    s = spec("indicator_correction", {"every": every}, n_layers=n_layers)
    _, net = construction.build(s, 0)
    assert net.n_activation_layers == depth and net.readouts() == readouts
    assert accounting(s)["depth"] == depth and accounting(s)["computing_layers"] == n_layers
    assert net.n_parameters == (depth - 1) * 480**2 + depth * 480


def test_without_correction_layers_it_is_redundant_indicators():
    """every ≥ L adds no layer: the network is `redundant_indicators` with the same options, bit for bit."""
    opts = {"k": 2, "rotation_pairs": 2, "embedding": "independent", "decode": "mean"}
    _, a = construction.build(spec("redundant_indicators", opts, d_model=480, n_layers=3), 2)
    _, b = construction.build(spec("indicator_correction", {**opts, "every": 3}, d_model=480, n_layers=3), 2)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))


@pytest.mark.parametrize("opts", [{"every": 1}, {"every": 1, "reembed": False}, {"every": 1, "k": 3, "rotation_pairs": 3, "decode": "majority"}])
def test_clean_states_pass_exactly(opts):
    """Disjoint allocation, z = 3: every read-out is exact through the correction layers."""
    d = 2 * opts.get("k", 1) + 2 * opts.get("rotation_pairs", 1)
    s = spec("indicator_correction", opts, n_circuits=10, allocation="prime_step", n_layers=4, d_model=96 * d)
    circuits, net = construction.build(s, 0)
    inputs = simulate.sample_inputs(10, 3, 128, np.random.default_rng(0), n_rotation_pairs=circuits.n_rotation_pairs)
    m = simulate.run(net, circuits, inputs, dtype=np.float64).metrics
    assert m["mse_x_active"].max() < 1e-24 and m["mse_alpha_inactive"].max() == 0.0 and m["mse_x_inactive"].max() == 0.0


@pytest.mark.parametrize("reembed", [True, False])
def test_a_correction_layer_removes_an_injected_indicator_error(reembed):
    """An inactive circuit whose indicator reads 0.2 (and payload 0.1) is read as exactly off
    after the layer; an active one whose indicator reads 0.8 is restored to 1, its payload gated
    as every computing layer gates it: x' = ReLU(x + 2ᾱ − 1) − 1 (the indicator's error moves into x)."""
    s = spec("indicator_correction", {"every": 1, "reembed": reembed}, n_circuits=10, allocation="prime_step", n_layers=2)
    circuits, net = construction.build(s, 0)
    layer = net.weights.layers[0]
    rng = np.random.default_rng(3)
    A = layer1_state(circuits, net, [4], rng.uniform(0, 2 * np.pi, 1))  # circuit 4 active, exact
    alpha, x = read(net, circuits, A, 1)
    pos = net.positions[0]
    A[pos[7, 0]] += 0.2  # circuit 7 (inactive): its indicator pair reads 0.2 on every neuron
    A[pos[7, 2:]] += 0.2 + 0.1  # its rotation neurons x + α = 0.1 + 0.2
    A[pos[4, 1]] += 0.2  # circuit 4 (active): α̂ = 1 − 0.2, rotation neurons shifted with it
    A[pos[4, 2:]] -= 0.2
    out = np.maximum(layer.dense() @ A + net.bias_of(2), 0.0)
    corr_pos = layer.pos_out
    a_out, x_out = circuits.read(out[corr_pos].mean(-1))
    assert a_out[7] == 0.0 and np.all(x_out[7] == 0.0)
    assert abs(a_out[4] - 1.0) < 1e-12 and np.allclose(x_out[4], np.maximum(x[4] + 2 * 0.8 - 1, 0.0) - 1.0, atol=1e-12)
    assert np.array_equal(corr_pos, net.positions[0]) != reembed


def test_correction_layer_is_the_identity_circuit_of_the_capped_construction():
    s = spec("indicator_correction", {"every": 1, "reembed": False}, n_layers=2)
    circuits, net = construction.build(s, 0)
    w = correction_layer(circuits, net.positions[0], net.positions[0], net.block_sizes, 1.0, "post")
    np.testing.assert_array_equal(w.dense(), net.weights[0])
    assert np.all(w.diff_w == 0.0)
    np.testing.assert_allclose(w.mean_w, [[2, -2, 0, 0], [2, -2, 0, 0], [1, -1, 1, 0], [1, -1, 0, 1]])
