"""indicator_cleanup: clean-up layers map a clean state to itself; depth and read-out layers."""

import numpy as np
import pytest

from cisim import construction, simulate
from cisim.construction.indicator_cleanup import accounting, cleanup_layer

from .designs_util import layer1_state, read, spec


@pytest.mark.parametrize("n_layers,every,depth,readouts", [(4, 2, 5, (1, 2, 4, 5)), (8, 2, 11, (1, 2, 4, 5, 7, 8, 10, 11)), (4, 1, 7, (1, 3, 5, 7)), (4, 4, 4, (1, 2, 3, 4))])
def test_depth_and_readout_layers(n_layers, every, depth, readouts):
    s = spec("indicator_cleanup", {"every": every}, n_layers=n_layers)
    _, net = construction.build(s, 0)
    assert net.n_activation_layers == depth and net.readouts() == readouts
    assert accounting(s)["depth"] == depth and accounting(s)["computing_layers"] == n_layers
    assert net.n_parameters == (depth - 1) * 480**2 + depth * 480


def test_computing_layers_are_the_baselines():
    _, base = construction.build(spec("baseline", n_layers=4), 1)
    _, net = construction.build(spec("indicator_cleanup", {"every": 2}, n_layers=4), 1)
    for a, b in zip(base.weights, [net.weights[0], net.weights[2], net.weights[3]]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(base.positions, net.positions)


def test_cleanup_maps_a_clean_state_to_itself():
    """z = 1 and disjoint z = 3 layer-1 states (indicator neurons (1.5, 0.5), rotation x + 1) are fixed points."""
    s = spec("indicator_cleanup", {"every": 1}, n_circuits=10, allocation="prime_step")
    circuits, net = construction.build(s, 0)
    w, b = cleanup_layer(net.block_sizes)
    rng = np.random.default_rng(0)
    for z in (1, 3):
        active = rng.choice(10, z, replace=False)
        A = layer1_state(circuits, net, active, rng.uniform(0, 2 * np.pi, z))
        assert np.array_equal(np.maximum(w @ A + b, 0.0), A)
    # a noisy indicator neuron below 0.25 is erased, above 0.75 restored
    A = np.zeros(480)
    A[0], A[120] = 0.2, 0.0
    A[1], A[121] = 0.9, 0.0
    out = np.maximum(w @ A + b, 0.0)
    assert out[0] - out[120] == 0.0 and out[1] - out[121] == 1.0


def test_cleanup_leaves_clean_readouts_unchanged():
    s = spec("indicator_cleanup", {"every": 1}, n_circuits=10, allocation="prime_step", n_layers=4)
    circuits, net = construction.build(s, 0)
    m = simulate.run(net, circuits, simulate.sample_inputs(10, 3, 128, np.random.default_rng(0)), dtype=np.float64).metrics
    assert m["mse_x_active"].max() < 1e-24 and m["mse_alpha_inactive"].max() == 0.0
