"""indicator_share: fraction 0.5 is the baseline; unequal blocks; an own redundancy S_on."""

import numpy as np
import pytest

from cisim import construction, simulate
from cisim.construction import layout
from cisim.construction.capped import capped_weights, capped_weights_mixed

from .designs_util import spec


@pytest.mark.parametrize("allocation", ["prime_step", "transversal", "random_subsets"])
def test_fraction_half_equals_the_baseline(allocation):
    cb, nb = construction.build(spec("baseline", allocation=allocation), 2)
    cs, ns = construction.build(spec("indicator_share", {"fraction": 0.5, "redundancy_on": None}, allocation=allocation), 2)
    np.testing.assert_array_equal(cb.angles, cs.angles)
    np.testing.assert_array_equal(nb.positions, ns.positions)
    assert all(np.array_equal(a, b) for a, b in zip(nb.weights, ns.weights))


def test_unequal_blocks_hold_the_fraction():
    _, net = construction.build(spec("indicator_share", {"fraction": 0.7, "redundancy_on": None}), 0)
    assert net.block_sizes == (168, 168, 72, 72) and sum(net.block_sizes[:2]) == 0.7 * 480
    with pytest.raises(ValueError, match="whole number"):
        construction.get_design("indicator_share").blocks(spec("indicator_share", {"fraction": 0.33, "redundancy_on": None}))


def test_mixed_weights_equal_capped_weights_for_one_redundancy(rng):
    T, S, n = 30, 4, 50
    circuits = construction.build(spec("baseline", n_circuits=T, d_model=4 * n, redundancy=S), 0)[0]
    out = np.stack([rng.permuted(np.tile(np.arange(n), (T, 1)), axis=1)[:, :S] + i * n for i in range(4)], 1)
    inp = np.stack([rng.permuted(np.tile(np.arange(n), (T, 1)), axis=1)[:, :S] + i * n for i in range(4)], 1)
    w1, c1 = capped_weights(circuits.mean_w, circuits.diff_w, out, inp, [n] * 4)
    w2, c2 = capped_weights_mixed(circuits.mean_w, circuits.diff_w, list(out.transpose(1, 0, 2)), list(inp.transpose(1, 0, 2)), [n] * 4)
    np.testing.assert_allclose(w1, w2, atol=1e-12)
    np.testing.assert_allclose(c1, c2, atol=1e-15)


def test_own_indicator_redundancy():
    """S_on = 6 with S = 4: read-outs average the right positions and layer 1 is exact for z = 1;
    a disjoint allocation is exact at every layer for any z."""
    s = spec("indicator_share", {"fraction": 0.5, "redundancy_on": 6})
    circuits, net = construction.build(s, 0)
    assert net.positions.shape[-1] == 12
    assert all(np.unique(net.positions[0, t, 0]).size == 6 and np.unique(net.positions[0, t, 2]).size == 4 for t in range(40))
    # lcm(6, 4) = 12 slots: every block is padded, its last neuron is the never-on sink
    assert np.flatnonzero(net.bias == layout.SINK_BIAS).tolist() == [119, 239, 359, 479]
    assert not np.isin([119, 239, 359, 479], net.positions).any()
    m = simulate.run(net, circuits, simulate.sample_inputs(40, 1, 0, np.random.default_rng(0), exhaustive=True), dtype=np.float64).metrics
    assert m["mse_x_active"][1] < 1e-24 and m["mse_alpha_active"][1] < 1e-24
    d = spec("indicator_share", {"fraction": 0.5, "redundancy_on": 6}, n_circuits=10, allocation="prime_step")
    circuits, net = construction.build(d, 0)
    m = simulate.run(net, circuits, simulate.sample_inputs(10, 3, 64, np.random.default_rng(0)), dtype=np.float64).metrics
    assert m["mse_x_active"].max() < 1e-24 and m["mse_alpha_inactive"].max() == 0.0
