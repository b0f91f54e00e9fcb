"""The copy and neuron error correlations (cisim.simulate.noise): the estimator, and its limits."""

import numpy as np

from cisim import construction, simulate
from cisim.simulate.noise import NoiseCorrelation

from .construction.designs_util import spec


def test_pooled_correlation_recovers_a_known_correlation():
    """Members e_p = c + u_p (c shared, variance ρ; u_p independent, variance 1 − ρ) give ρ."""
    rng = np.random.default_rng(0)
    _, net = construction.build(spec("redundant_indicators", {"k": 3}), 0)
    circuits = construction.build(spec("redundant_indicators", {"k": 3}), 0)[0]
    acc = NoiseCorrelation(net, circuits, np.float64, np)
    rho = 0.3
    for _ in range(4):
        common = rng.normal(0.5, np.sqrt(rho), (200, 100))
        members = [common + rng.normal(0, np.sqrt(1 - rho), (200, 100)) for _ in range(3)]
        acc._add("copy_correlation", 1, members, np.ones((200, 100), bool))
    assert abs(acc.finalize()["copy_correlation"][1] - rho) < 0.02


def test_shared_copies_are_perfectly_correlated_and_k1_has_no_copy_correlation():
    runs = {}
    for name, opts in (("shared", {"k": 3, "embedding": "shared"}), ("independent", {"k": 3, "embedding": "independent"}),
                       ("k1", {"k": 1})):
        s = spec("redundant_indicators", opts, n_circuits=300, d_model=960 if opts["k"] == 3 else 480)
        circuits, net = construction.build(s, 0)
        runs[name] = simulate.run(net, circuits, simulate.sample_inputs(300, 2, 256, np.random.default_rng(1)), noise=True).metrics
    np.testing.assert_allclose(runs["shared"]["copy_correlation"][1:], 1.0, atol=1e-6)
    assert np.all(np.abs(runs["independent"]["copy_correlation"][1:]) < 0.2)  # different collision sets per copy
    assert np.isnan(runs["k1"]["copy_correlation"]).all()
    for m in runs.values():
        assert np.isnan(m["neuron_correlation"][0]) and np.all(np.abs(m["neuron_correlation"][1:]) <= 1.0)
