"""computed_activity: the branching circuit's exact step, the active set the circuits compute
(one child per on parent, chosen by the sign of x_0), exactness without shared neurons, and the
split of false-on into wrong decisions and interference."""

import numpy as np
import pytest

from cisim import construction, simulate
from cisim.circuits import BranchingCircuits, draw_branching_circuits
from cisim.construction.computed_activity import BranchDynamics, draw_parents
from cisim.simulate.accumulate import decision_rates


def spec(routing="branch", **kw):
    base = dict(d_model=480, n_circuits=80, redundancy=1, n_layers=5, allocation="prime_step",
                design="computed_activity", design_options={"routing": routing})
    base.update(kw)
    return construction.NetworkSpec(**base)


def truth(network, circuits, inputs):
    x0, a0 = simulate.initial_states(circuits, inputs.phases)
    return simulate.true_states(network, circuits, inputs.active, a0)


def test_own_step_rotates_gates_and_decides_exactly():
    """One step of a circuit on its own state: α' = step(α), x' = R x, β' = [(R x)_0 > 0] outside
    the undecided band |(R x)_0| < 1/(2G); an off circuit stays exactly 0."""
    rng = np.random.default_rng(0)
    c = draw_branching_circuits(200, rng, decision_gain=4.0)
    phi = rng.uniform(0, 2 * np.pi, 200)
    x = np.stack([np.cos(phi), np.sin(phi)], -1)
    a = c.forward(np.arange(200), c.encode(np.ones(200), x), 1)[1]
    alpha, x1 = c.read(a)
    rx = np.einsum("tij,tj->ti", c.rotations, x)
    np.testing.assert_allclose(alpha, 1.0, atol=1e-12)
    np.testing.assert_allclose(x1, rx, atol=1e-12)
    decided = np.abs(rx[:, 0]) > 1 / (2 * c.decision_gain)
    np.testing.assert_allclose(c.decision(a)[decided], (rx[decided, 0] > 0).astype(float), atol=1e-12)
    assert (~decided).any() and np.all((c.decision(a)[~decided] > 0) & (c.decision(a)[~decided] < 1))
    off = c.forward(np.arange(200), c.encode(np.zeros(200), np.zeros((200, 2))), 3)
    assert np.all(off == 0.0)
    with pytest.raises(ValueError, match="decision_gain"):
        BranchingCircuits(np.zeros(3), decision_gain=0.0)


def test_the_circuits_compute_which_child_runs():
    """Exact dynamics: every decided on parent switches on exactly the child its sign names, whose
    vector is R_child x_parent; the passed-over sibling stays exactly 0."""
    s = spec()
    circuits, network = construction.build(s, 3)
    inputs = simulate.sample_inputs(s.n_circuits, 1, 0, np.random.default_rng(0), exhaustive=True)
    states = truth(network, circuits, inputs)
    dyn = network.dynamics
    checked = 0
    for layer in range(2, s.n_layers + 1):
        rows, cols, alpha, x = states[layer - 1]
        nrows, ncols, nalpha, nx = states[layer]
        for r in range(s.n_circuits):
            parent = np.flatnonzero((rows == r) & (alpha == 1.0))
            if parent.size != 1:
                continue  # a lineage that stopped on an undecided step
            p, xp = cols[parent[0]], x[parent[0]]
            if abs(xp[0]) < 1 / (2 * circuits.decision_gain) or abs(np.linalg.norm(xp) - 1) > 1e-9:
                continue  # an undecided step now or earlier in the lineage (fractional truths distort x)
            plus, minus = dyn.children(layer, [p])[0]
            chosen, passed = (plus, minus) if xp[0] > 0 else (minus, plus)
            mine = nrows == r
            on = ncols[mine & (nalpha > 0.5)]
            assert list(on) == [chosen]
            assert passed not in ncols[mine]  # exactly zero
            k = np.flatnonzero(mine & (ncols == chosen))[0]
            np.testing.assert_allclose(nx[k], circuits.rotations[chosen] @ xp, atol=1e-12)
            checked += 1
    assert checked > 150


@pytest.mark.parametrize("z", [1, 3])
def test_exact_without_shared_neurons(z):
    """T = D/d with S = 1 (prime_step: disjoint): the large network computes the active set and the
    vectors of the exact dynamics, merges and undecided steps included."""
    circuits, network = construction.build(spec(), 0)
    inputs = simulate.sample_inputs(80, z, 300, np.random.default_rng(z))
    m = simulate.run(network, circuits, inputs, dtype=np.float64).metrics
    assert m["mse_x_active"].max() < 1e-24 and m["mse_alpha_active"].max() < 1e-24 and m["mse_alpha_inactive"].max() < 1e-24
    assert m["false_on_rate"].max() == 0.0 and m["false_off_rate"].max() == 0.0
    assert m["decision_false_on_rate"].max() == 0.0


def test_static_routing_is_the_own_step_every_layer():
    """routing=static: the same circuits and embedding with the post's static framework (no dynamics)."""
    circuits, network = construction.build(spec("static"), 0)
    assert network.dynamics is None
    branch_circuits, branch = construction.build(spec("branch"), 0)
    np.testing.assert_array_equal(circuits.angles, branch_circuits.angles)
    np.testing.assert_array_equal(network.positions, branch.positions)
    m = simulate.run(network, circuits, simulate.sample_inputs(80, 2, 200, np.random.default_rng(1)), dtype=np.float64).metrics
    assert m["mse_x_active"].max() < 1e-24 and "decision_false_on_rate" not in m


@pytest.mark.parametrize("T", [3, 50, 100])
def test_children_invert_the_parents(T):
    """Both roles are permutations with σ⁺(t) ≠ σ⁻(t), also when many clashes are swapped away (small T)."""
    parents = draw_parents(T, 4, np.random.default_rng(T))
    dyn = BranchDynamics(parents)
    for layer in (2, 3, 4):
        assert all(np.array_equal(np.sort(parents[layer - 2][:, r]), np.arange(T)) for r in (0, 1))
        assert np.all(parents[layer - 2][:, 0] != parents[layer - 2][:, 1])
        kids = dyn.children(layer, np.arange(T))
        assert np.array_equal(parents[layer - 2][kids[:, 0], 0], np.arange(T))
        assert np.array_equal(parents[layer - 2][kids[:, 1], 1], np.arange(T))
        assert np.all(kids[:, 0] != kids[:, 1])  # every parent's two children differ


def test_false_on_splits_into_decisions_and_interference():
    """With superposition, wrong decisions and interference add up to every false-on circuit, and a
    passed-over child is switched on far more often than an inactive circuit without an on parent."""
    s = spec(d_model=1200, n_circuits=200, redundancy=6, n_layers=4, allocation="transversal")
    circuits, network = construction.build(s, 0)
    inputs = simulate.sample_inputs(200, 2, 600, np.random.default_rng(0))
    m = simulate.run(network, circuits, inputs).metrics
    last = -1
    assert m["false_on_rate"][last] > 0
    assert m["decision_false_on_rate"][last] > 10 * m["interference_false_on_rate"][last]
    # the decomposition: n_inactive·false_on = passed·decision + (n_inactive − passed)·interference
    share = m["decision_false_on_share"][last]
    assert 0 < share < 1
    rates = decision_rates(np.array([[0, 0], [0, 0], [10, 3]]), np.array([0, 0, 7]), np.array([100, 100, 100]))
    np.testing.assert_allclose(rates["decision_false_on_rate"], [0, 0, 0.3])
    np.testing.assert_allclose(rates["interference_false_on_rate"], [0, 0, 4 / 90])
    np.testing.assert_allclose(rates["decision_false_on_share"], [0, 0, 3 / 7])
