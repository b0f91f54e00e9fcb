"""One contract for every registered design (construction.DESIGNS): its record and config node,
shapes, determinism, accounting, layer-1 exactness and silent inactive circuits."""

import dataclasses

import numpy as np
import pytest

from cisim import config, construction, simulate
from cisim.schema import DesignConf

from .designs_util import disjoint_spec, spec

DESIGNS = sorted(construction.DESIGNS)
STATIC = {"baseline", "redundant_indicators", "indicator_share", "carried_indicators", "indicator_cleanup", "indicator_correction"}


def built(name, seed=0, **kw):
    s = spec(name, **kw)
    return s, *construction.build(s, seed)


@pytest.mark.parametrize("name", DESIGNS)
def test_record_options_are_the_config_node(name):
    """DESIGNS[name] is the module's DESIGN; its Options is the design group's schema for `name`
    (registered in Hydra as base_<name>), loads conf/design/<name>.yaml, and builds a spec."""
    design = construction.DESIGNS[name]
    module = __import__(design.build.__module__, fromlist=["DESIGN"])
    assert module.DESIGN is design and module.Options is design.Options and design.name == name
    assert dataclasses.is_dataclass(design.Options) and issubclass(design.Options, DesignConf)
    assert design.Options().name == name
    assert config.bases("design")[name] is design.Options
    assert all(callable(f) for f in (design.blocks, design.allocate, design.build, design.accounting)) and design.summary
    option = config.load_option("design", name)  # conf/design/<name>.yaml against this schema
    assert set(option) == {f.name for f in dataclasses.fields(design.Options)}
    point_options = {k: v for k, v in option.items() if k not in ("name", "chi_scale", "chi_convention")}
    assert spec(name, point_options).options(design.Options) == design.Options(**point_options)


@pytest.mark.parametrize("name", DESIGNS)
def test_positions_shape_dtype_and_range(name):
    s, circuits, net = built(name)
    L, T, d = s.n_layers, s.n_circuits, circuits.d_circuit
    assert net.positions.dtype == np.int64 and net.positions.shape[:3] == (L, T, d)
    assert net.input_embedding().shape == net.positions.shape[1:] and net.input_embedding().dtype == np.int64
    assert 0 <= net.positions.min() and net.positions.max() < s.d_model
    assert sum(net.block_sizes) == s.d_model == net.d_model  # equal total width D
    # small neuron i lives in block i
    from cisim.construction.layout import block_offsets
    off = block_offsets(net.block_sizes)
    for i in range(d):
        assert np.all((net.positions[:, :, i] >= off[i]) & (net.positions[:, :, i] < off[i + 1]))
    assert len(net.readouts()) == L and net.readouts()[-1] == net.n_activation_layers
    assert all(w.shape == (s.d_model, s.d_model) for w in net.weights)


@pytest.mark.parametrize("name", DESIGNS)
def test_deterministic_per_seed(name):
    _, c1, a = built(name, seed=3)
    _, c2, b = built(name, seed=3)
    _, _, c = built(name, seed=4)
    np.testing.assert_array_equal(c1.angles, c2.angles)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    assert not all(np.array_equal(x, y) for x, y in zip(a.weights, c.weights))


@pytest.mark.parametrize("name", DESIGNS)
def test_neuron_and_parameter_accounting(name):
    s, _, net = built(name)
    N, D = net.n_activation_layers, s.d_model
    assert net.n_neurons == N * D
    assert net.n_parameters == (N - 1) * D**2 + N * D
    acc = construction.DESIGNS[name].accounting(s)  # what the module docstring states
    assert set(acc) == {"neurons_per_layer", "depth", "computing_layers", "neurons", "parameters"}
    assert (acc["neurons"], acc["parameters"], acc["depth"], acc["computing_layers"]) == (net.n_neurons, net.n_parameters, N, s.n_layers)
    assert acc["neurons_per_layer"] == D


@pytest.mark.parametrize("name", sorted(STATIC & set(DESIGNS)))
def test_z1_layer1_is_exact(name):
    s, circuits, net = built(name)
    inputs = simulate.sample_inputs(s.n_circuits, 1, 0, np.random.default_rng(0), exhaustive=True)
    m = simulate.run(net, circuits, inputs, dtype=np.float64).metrics
    assert m["mse_x_active"][1] < 1e-24 and m["mse_alpha_active"][1] < 1e-24


@pytest.mark.parametrize("name", sorted(STATIC & set(DESIGNS)))
def test_inactive_indicators_read_exactly_zero_without_shared_neurons(name):
    """Layer 1, z = 3: every small neuron sharing no large neuron with an active circuit reads exactly
    0 (so an inactive circuit sharing none reads α̂ = 0, x̂ = 0); with a disjoint allocation this holds at every layer and the active ones are exact."""
    s, circuits, net = built(name)
    rng = np.random.default_rng(1)
    inputs = simulate.sample_inputs(s.n_circuits, 3, 64, rng)
    if net.readouts()[0] == 1:
        pos0 = net.input_embedding()
        for active, phases in zip(inputs.active[:16], inputs.phases[:16]):
            x0 = np.stack([np.cos(phases), np.sin(phases)], -1)
            pre = np.einsum("zij,zj->zi", circuits.weights(active), circuits.encode(np.ones(3), x0))
            A0 = np.zeros(s.d_model)
            for t in range(3):
                for i in range(circuits.d_circuit):
                    np.add.at(A0, pos0[active[t], i], pre[t, i])
            A1 = np.maximum(A0 + net.bias_of(1), 0.0)
            est = A1[net.positions[0]].mean(-1)  # (T, d): every small neuron's read-out
            used = np.zeros(s.d_model, bool)
            used[pos0[active].ravel()] = True
            clear = ~used[net.positions[0]].any(-1)  # small neurons sharing no large neuron with an active circuit
            assert clear.sum() > 0
            assert np.all(est[clear] == 0.0)
            whole = clear.all(-1)  # circuits sharing nothing: indicator and vector read exactly 0
            alpha, x = circuits.read(est)
            assert np.all(alpha[whole] == 0.0) and np.all(x[whole] == 0.0)
    d = disjoint_spec(name)
    circuits, net = construction.build(d, 0)
    m = simulate.run(net, circuits, simulate.sample_inputs(d.n_circuits, 3, 128, rng), dtype=np.float64).metrics
    assert m["mse_alpha_inactive"].max() == 0.0 and m["mse_x_inactive"].max() == 0.0 and m["false_on_rate"].max() == 0.0
    assert m["mse_x_active"].max() < 1e-24 and m["mse_alpha_active"].max() < 1e-24
