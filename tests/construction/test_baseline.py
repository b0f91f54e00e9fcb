import numpy as np
import pytest

from cisim import construction, simulate
from cisim.construction.capped import suppression_constant

from ..conftest import tiny_spec


def test_mean_interference_between_different_circuits_is_zero(tiny_network):
    """Post eq 5.24: Σ_{t≠u} ⟨e_t^l|𝒲^l|e_u^{l−1}⟩ = 0, checked by brute force over all pairs."""
    spec, circuits, network = tiny_network
    n = spec.d_model // 4
    for l in range(1, spec.n_layers):
        out, inp = network.positions[l][:, 0], network.positions[l - 1][:, 0]  # block 0, global = local
        used, chi_prime = suppression_constant(out, inp, n, n)
        pattern = np.where(used, 1.0, -chi_prime) / spec.redundancy
        e_out = np.zeros((spec.n_circuits, n)); np.put_along_axis(e_out, out, 1.0, 1)
        e_in = np.zeros((spec.n_circuits, n)); np.put_along_axis(e_in, inp, 1.0, 1)
        pair = e_out @ pattern @ e_in.T
        off = pair[~np.eye(spec.n_circuits, dtype=bool)]
        assert abs(off.mean()) < 1e-12
        np.testing.assert_allclose(np.diag(pair) / spec.redundancy, 1.0 / spec.redundancy * spec.redundancy, atol=1e-12)
        assert chi_prime > 0
        np.testing.assert_allclose(network.chi[l - 1][network.chi[l - 1] != 0], chi_prime / spec.redundancy)


def test_every_circuit_reads_its_own_weights_exactly(tiny_network):
    """(1/S²) Σ_{s,s'} W[e_t^l, e_t^{l−1}] = w_t + (1/S²)·Σ_{u≠t} shared-pair Δw_u: exact when no pair is shared."""
    spec, circuits, network = tiny_network
    S = spec.redundancy
    l = 1
    W = network.weights[l - 1]
    pos_out, pos_in = network.positions[l], network.positions[l - 1]
    for t in range(spec.n_circuits):
        self_w = W[pos_out[t][:, :, None, None], pos_in[t][None, None, :, :]].sum((1, 3)) / S
        # pairs (n, m) of t that another circuit u also uses in the same (out, in) roles add Δw_u/S
        extra = np.zeros((4, 4))
        for u in range(spec.n_circuits):
            if u == t:
                continue
            shared_out = np.isin(pos_out[u][0], pos_out[t][0]).sum()
            shared_in = np.isin(pos_in[u][0], pos_in[t][0]).sum()
            extra += shared_out * shared_in * circuits.diff_w[u] / S**2
        np.testing.assert_allclose(self_w, circuits.weights(np.array(t)) + extra, atol=1e-10)


def test_disjoint_circuits_are_computed_exactly_for_any_z():
    """With T·S ≤ D/d the prime-step allocation is disjoint, χ = 0 and nothing interferes."""
    spec = tiny_spec(d_model=400, n_circuits=25, redundancy=4, n_layers=4)
    circuits, network = construction.build(spec, seed=3)
    assert np.all(network.chi == 0)
    inputs = simulate.sample_inputs(25, 5, 256, np.random.default_rng(0))
    res = simulate.run(network, circuits, inputs, dtype=np.float64)
    assert res.metrics["mse_x_active"].max() < 1e-20
    assert res.metrics["mse_alpha_inactive"].max() < 1e-20
    assert res.metrics["false_on_rate"].max() == 0


def test_bias_on_every_neuron_of_its_block(tiny_network):
    spec, _, network = tiny_network
    np.testing.assert_array_equal(network.bias.reshape(4, -1), np.array([-0.5, -1.5, -1, -1])[:, None] * np.ones((1, 100)))


def test_same_seed_same_network_and_different_seed_differs():
    spec = tiny_spec()
    _, a = construction.build(spec, seed=1)
    _, b = construction.build(spec, seed=1)
    _, c = construction.build(spec, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_parameter_and_neuron_accounting(tiny_network):
    spec, _, network = tiny_network
    assert network.n_parameters == (spec.n_layers - 1) * spec.d_model**2 + spec.n_layers * spec.d_model
    assert network.n_neurons == spec.n_layers * spec.d_model


def test_d_model_must_be_a_multiple_of_the_circuit_width():
    with pytest.raises(ValueError, match=r"d_model=402 .* multiple of the circuit width d_circuit=4"):
        construction.build(tiny_spec(d_model=402), seed=0)
