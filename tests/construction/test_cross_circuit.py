"""cross_circuit: identity = baseline exactly; permutation keeps z and layer 1 exact;
the network's own active set (α̂ > 0.5) follows the routing when noise is small; χ under fan-out."""

import numpy as np
import pytest

from cisim import construction, simulate
from cisim.construction.cross_circuit import (
    ROUTINGS,
    draw_routing,
    routing_of,
)
from cisim.construction.capped import capped_weights, routed_weights, suppression_constant

from ..reference import embedded_input, unembedded


def spec(routing="permutation", **kw):
    base = dict(d_model=1000, n_circuits=200, redundancy=6, n_layers=4, allocation="transversal",
                design="cross_circuit", design_options={"routing": routing, "fan_out": 2})
    base.update(kw)
    return construction.NetworkSpec(**base)


def run(spec_, seed, z, n=256, dtype=np.float64):
    circuits, network = construction.build(spec_, seed)
    inputs = simulate.sample_inputs(spec_.n_circuits, z, n, np.random.default_rng([seed, z]), exhaustive=z == 1)
    return circuits, network, inputs, simulate.run(network, circuits, inputs, dtype=dtype)


@pytest.mark.parametrize("z", [1, 2, 3])
def test_identity_routing_reproduces_the_baseline_exactly(z):
    s = spec("identity")
    base = construction.NetworkSpec(**{**s.__dict__, "design": "baseline", "design_options": {}})
    _, net_c, _, res_c = run(s, 5, z, dtype=np.float32)
    _, net_b, _, res_b = run(base, 5, z, dtype=np.float32)
    for wc, wb in zip(net_c.weights, net_b.weights, strict=True):
        assert np.array_equal(wc, wb)
    assert np.array_equal(net_c.positions, net_b.positions)
    for key, v in res_b.metrics.items():
        assert np.array_equal(res_c.metrics[key], v, equal_nan=True), key
    assert np.array_equal(res_c.x_est, res_b.x_est)


def test_identity_dynamics_agree_with_the_static_truth():
    """The routed truth with π = id is the post's static truth (the dynamics code path itself)."""
    from cisim.construction.cross_circuit import RoutedDynamics

    s = spec("identity")
    circuits, network = construction.build(s, 2)
    routing = draw_routing("identity", s.n_circuits, s.n_layers, np.random.default_rng(0))
    dynamic = network.__class__(**{**network.__dict__, "dynamics": RoutedDynamics(routing)})
    inputs = simulate.sample_inputs(s.n_circuits, 3, 300, np.random.default_rng(1))
    a = simulate.run(network, circuits, inputs, dtype=np.float64).metrics
    b = simulate.run(dynamic, circuits, inputs, dtype=np.float64).metrics
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-12, atol=1e-15, err_msg=key)


def test_permutation_routing_z1_layer1_active_error_is_zero_and_z_is_constant():
    s = spec("permutation", d_model=1000, n_circuits=400)
    circuits, network, inputs, res = run(s, 0, 1, dtype=np.float64)
    assert res.metrics["mse_x_active"][1] < 1e-28  # exact up to float64 rounding of the read-out
    assert res.metrics["mse_alpha_active"][1] < 1e-28
    routing = routing_of(network)
    assert routing.kind == "permutation"
    for on in routing.active_sets(inputs.active):
        assert np.all(on.sum(1) == 1)  # constant z


def test_routing_is_seeded_and_recorded():
    a = routing_of(construction.build(spec("fan_out"), 3)[1])
    b = routing_of(construction.build(spec("fan_out"), 3)[1])
    c = routing_of(construction.build(spec("fan_out"), 4)[1])
    assert np.array_equal(a.parents, b.parents) and not np.array_equal(a.parents, c.parents)
    # fan_out 2: T/2 parents per layer, two children each
    counts = a.children_counts()
    assert np.all(np.isin(counts, [0, 2])) and np.all(counts.sum(1) == 200)
    r = draw_routing("fan_in_2", 50, 5, np.random.default_rng(0))
    assert r.parents.shape == (4, 50, 2) and np.all(r.parents[..., 0] != r.parents[..., 1])
    for p in r.parents:  # both parent roles are permutations
        assert np.array_equal(np.sort(p[:, 0]), np.arange(50)) and np.array_equal(np.sort(p[:, 1]), np.arange(50))
    with pytest.raises(ValueError, match="routing"):
        draw_routing("bogus", 10, 3, np.random.default_rng(0))


def network_active_sets(network, circuits, inputs):
    """α̂ > 0.5 per circuit layer, from an independent float64 forward pass of the large network."""
    active = inputs.active
    x0 = np.stack([np.cos(inputs.phases), np.sin(inputs.phases)], -1)
    a0 = circuits.encode(np.ones(active.shape), x0)
    A = embedded_input(network, circuits, active, a0)
    out = []
    for n in range(1, network.n_activation_layers + 1):
        if n >= 2:
            A = A @ network.weights[n - 2].T
        A = np.maximum(A + network.bias_of(n), 0.0)
        alpha, _ = circuits.read(unembedded(network.positions[n - 1], A))
        out.append(alpha > 0.5)
    return out


@pytest.mark.parametrize("routing", ["permutation", "fan_out", "fan_in_2"])
@pytest.mark.parametrize("z", [1, 2, 3])
def test_network_active_set_follows_the_routing_when_noise_is_small(routing, z):
    # T(d/D)² = 5e-4 with overlaps (T·S > D/d); S = 8 keeps even z = 3 overlaps at α̂ ≤ 3/8 < 0.5
    s = spec(routing, d_model=2000, n_circuits=120, redundancy=8, n_layers=5)
    if routing == "fan_out" and z == 3:
        pytest.skip("fan-out grows z = 3 to up to 14 active circuits per sample: read-out aliasing reaches 6/8")
    circuits, network = construction.build(s, 11)
    inputs = simulate.sample_inputs(s.n_circuits, z, 400, np.random.default_rng(z))
    implied = routing_of(network).active_sets(inputs.active)
    computed = network_active_sets(network, circuits, inputs)
    for layer, (want, got) in enumerate(zip(implied, computed, strict=True), start=1):
        assert np.array_equal(got, want), f"layer {layer}: {np.sum(got != want)} circuits differ"
    if routing == "fan_out":  # the active count changes with depth
        assert len({int(on.sum()) for on in implied}) > 1


def test_dynamics_truth_matches_the_routing():
    """The small-circuit truth is on exactly where the routing says, with x = R_t x_parent."""
    s = spec("fan_in_2", n_circuits=30, d_model=400, n_layers=5)
    circuits, network = construction.build(s, 1)
    inputs = simulate.sample_inputs(30, 12, 200, np.random.default_rng(0))
    x0 = np.stack([np.cos(inputs.phases), np.sin(inputs.phases)], -1)
    truth = simulate.true_states(network, circuits, inputs.active, circuits.encode(np.ones(inputs.active.shape), x0))
    implied = routing_of(network).active_sets(inputs.active)
    for layer in range(1, 6):
        rows, cols, alpha, x = truth[layer]
        on = np.zeros((200, 30), dtype=bool)
        on[rows[alpha > 0.5], cols[alpha > 0.5]] = True
        assert np.array_equal(on, implied[layer - 1])
        np.testing.assert_allclose(alpha, 1.0)  # only exactly-on circuits are non-zero
        np.testing.assert_allclose(np.linalg.norm(x, axis=-1), 1.0)
    assert any(implied[l].sum() > 0 for l in range(2, 5))  # some AND children do switch on at z = 12


def test_routed_chi_cancels_mean_interference_from_non_parents():
    """Under fan-out, Σ_t Σ_{v ≠ π(t)} ⟨e_t|𝒲|e_v⟩ = 0 with the routed χ (not with capped_weights' own)."""
    rng = np.random.default_rng(0)
    n, T, S = 60, 150, 3
    pos_in_all = np.stack([rng.choice(n, S, replace=False) for _ in range(T)])
    pos_out = np.stack([rng.choice(n, S, replace=False) for _ in range(T)])
    parents = draw_routing("fan_out", T, 2, rng, fan_out=3).parents[0, :, 0]
    mean_w = np.ones((1, 1))
    W, chi = routed_weights(mean_w, np.zeros((T, 1, 1)), pos_out[:, None], pos_in_all[:, None], parents, [n])
    W_capped, _ = capped_weights(mean_w, np.zeros((T, 1, 1)), pos_out[:, None], pos_in_all[parents][:, None], [n])
    e_out = np.zeros((T, n)); np.put_along_axis(e_out, pos_out, 1.0, 1)
    e_in = np.zeros((T, n)); np.put_along_axis(e_in, pos_in_all, 1.0, 1)
    mask = np.ones((T, T), dtype=bool); mask[np.arange(T), parents] = False
    assert abs((e_out @ W @ e_in.T)[mask].mean()) < 1e-12
    assert abs((e_out @ W_capped @ e_in.T)[mask].mean()) > 1e-4  # the unrouted χ would not cancel it
    np.testing.assert_allclose(np.diag(e_out @ W @ e_in[parents].T) / S, 1.0)  # own parent read exactly
    assert chi[0, 0] == pytest.approx(suppression_constant(pos_out, pos_in_all[parents], n, n, inputs=pos_in_all)[1] / S)


def test_all_routings_are_registered_and_buildable():
    assert "cross_circuit" in construction.DESIGNS
    for r in ROUTINGS:
        circuits, network = construction.build(spec(r, n_circuits=50, d_model=400, n_layers=3), 0)
        assert network.n_layers == 3 and len(network.weights) == 2
