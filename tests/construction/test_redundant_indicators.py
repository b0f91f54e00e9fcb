"""redundant_indicators: k = 1 shared is the baseline; independent copies collide with different circuits."""

import numpy as np
import pytest

from cisim import construction, simulate
from cisim.construction.redundant_indicators import accounting

from .designs_util import spec


def test_k1_shared_is_bit_identical_to_the_baseline():
    base = spec("baseline", allocation="prime_step")
    red = spec("redundant_indicators", {"k": 1, "embedding": "shared"}, allocation="prime_step")
    cb, nb = construction.build(base, 5)
    cr, nr = construction.build(red, 5)
    np.testing.assert_array_equal(cb.angles, cr.angles)
    np.testing.assert_array_equal(nb.positions, nr.positions)
    np.testing.assert_array_equal(nb.bias, nr.bias)
    assert all(np.array_equal(a, b) for a, b in zip(nb.weights, nr.weights))


def test_widths_and_shared_positions():
    s = spec("redundant_indicators", {"k": 3, "embedding": "shared"})
    circuits, net = construction.build(s, 0)
    assert circuits.d_circuit == 8 and net.block_sizes == (60,) * 8  # D/(2k+2) each, total D
    local = net.positions - np.arange(8)[None, None, :, None] * 60
    assert all(np.array_equal(local[:, :, 0], local[:, :, i]) for i in range(8))


def collision_sets(net, layer, neuron):
    """For each circuit: the set of other circuits sharing a large neuron with its small neuron."""
    pos = net.positions[layer][:, neuron]
    T = pos.shape[0]
    return [frozenset(u for u in range(T) if u != t and np.intersect1d(pos[t], pos[u]).size) for t in range(T)]


def test_independent_copies_collide_with_different_circuits():
    s = spec("redundant_indicators", {"k": 3, "embedding": "independent"}, n_circuits=60)
    _, net = construction.build(s, 0)
    for layer in range(s.n_layers):
        sets = [collision_sets(net, layer, 2 * p) for p in range(3)] + [collision_sets(net, layer, 6)]
        differ = [sum(a[t] != b[t] for t in range(60)) for a, b in [(sets[0], sets[1]), (sets[0], sets[2]), (sets[1], sets[2]), (sets[0], sets[3])]]
        assert min(differ) >= 55, differ  # almost every circuit sees a different collision set per copy
        # both neurons of a copy share positions
        np.testing.assert_array_equal(net.positions[layer][:, 0] - 0, net.positions[layer][:, 1] - 60)
    shared = construction.build(spec("redundant_indicators", {"k": 3, "embedding": "shared"}, n_circuits=60), 0)[1]
    a, b = collision_sets(shared, 1, 0), collision_sets(shared, 1, 2)
    assert all(a[t] == b[t] for t in range(60))


def test_mean_of_the_copies_is_what_the_next_layer_reads():
    """Layer 2, z = 1, no collisions (disjoint): every copy and the rotation read ᾱ exactly."""
    s = spec("redundant_indicators", {"k": 3, "embedding": "independent"}, n_circuits=12, redundancy=4, allocation="prime_step")
    circuits, net = construction.build(s, 0)
    inputs = simulate.sample_inputs(12, 2, 64, np.random.default_rng(0))
    m = simulate.run(net, circuits, inputs, dtype=np.float64).metrics
    assert m["mse_x_active"].max() < 1e-24 and m["mse_alpha_inactive"].max() == 0.0


def test_accounting_and_options():
    s = spec("redundant_indicators", {"k": 3, "embedding": "shared"}, n_layers=4)
    _, net = construction.build(s, 0)
    acc = accounting(s)
    assert acc == {"neurons_per_layer": 480, "depth": 4, "computing_layers": 4, "neurons": 1920, "parameters": 3 * 480**2 + 4 * 480}
    assert (net.n_neurons, net.n_parameters) == (acc["neurons"], acc["parameters"])
    with pytest.raises(ValueError, match="embedding"):
        construction.build(spec("redundant_indicators", {"k": 3, "embedding": "mixed"}), 0)
    with pytest.raises(ValueError, match="multiple of the circuit width d_circuit=14"):
        construction.get_design("redundant_indicators").blocks(spec("redundant_indicators", {"k": 6, "embedding": "shared"}))


@pytest.mark.parametrize("opts", [{"k": 1, "rotation_pairs": 3}, {"k": 5, "rotation_pairs": 3, "decode": "majority"},
                                  {"k": 2, "rotation_pairs": 2, "embedding": "shared"}])
def test_wide_circuits_are_exact_without_collisions(opts):
    """Disjoint allocation, z = 3: payload pairs and copies read out exactly at every layer."""
    d = 2 * opts["k"] + 2 * opts["rotation_pairs"]
    s = spec("redundant_indicators", {"embedding": "independent", **opts}, n_circuits=10, allocation="prime_step", d_model=96 * d)
    circuits, net = construction.build(s, 0)
    assert circuits.d_circuit == d and net.block_sizes == (96,) * d
    inputs = simulate.sample_inputs(10, 3, 128, np.random.default_rng(0), n_rotation_pairs=circuits.n_rotation_pairs)
    m = simulate.run(net, circuits, inputs, dtype=np.float64).metrics
    assert m["mse_x_active"].max() < 1e-24 and m["mse_alpha_inactive"].max() == 0.0 and m["false_on_rate"].max() == 0.0


def test_majority_decoding_is_the_gain_k_step():
    s = spec("redundant_indicators", {"k": 3, "decode": "majority"})
    circuits, _ = construction.build(s, 0)
    assert circuits.step_gain == 3.0
    np.testing.assert_allclose(circuits.bias[:2], [-1.0, -2.0])
    assert construction.build(spec("redundant_indicators", {"k": 3}), 0)[0].step_gain == 2.0
