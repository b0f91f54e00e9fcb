import numpy as np
import pytest

from cisim.circuits import RotationCircuits, draw_rotation_circuits


def rotation(theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_active_circuit_rotates_exactly_and_stays_on(rng, k):
    circuits = draw_rotation_circuits(20, rng, n_indicator_pairs=k)
    phi = rng.uniform(0, 2 * np.pi, 20)
    x0 = np.stack([np.cos(phi), np.sin(phi)], -1)
    a = circuits.forward(np.arange(20), circuits.encode(np.ones(20), x0), n_layers=6)
    alpha, x = circuits.read(a)
    np.testing.assert_allclose(alpha, 1.0, atol=1e-12)
    for t in range(20):
        expected = x0[t]
        for l in range(7):
            np.testing.assert_allclose(x[l, t], expected, atol=1e-12)
            expected = rotation(circuits.angles[t]) @ expected


def test_inactive_circuit_stays_exactly_zero(rng):
    circuits = draw_rotation_circuits(10, rng)
    a = circuits.forward(np.arange(10), np.zeros((10, 4)), n_layers=5)
    assert np.all(a == 0.0)


def test_step_function_of_the_on_indicator():
    circuits = RotationCircuits(np.zeros(1))
    alpha_in = np.linspace(-0.2, 1.2, 141)
    a0 = circuits.encode(alpha_in, np.zeros((141, 2)))
    alpha_out, _ = circuits.read(circuits.forward(np.zeros(141, dtype=int), a0, 1)[1])
    expected = np.clip(2 * alpha_in - 0.5, 0, 1)
    np.testing.assert_allclose(alpha_out, expected, atol=1e-12)


def test_weights_match_post_equation_5_2(rng):
    circuits = draw_rotation_circuits(5, rng)
    for t, theta in enumerate(circuits.angles):
        c, s = np.cos(theta), np.sin(theta)
        w = np.array(
            [[2, -2, 0, 0], [2, -2, 0, 0], [2 - (c - s), -2 + (c - s), c, -s], [2 - (s + c), -2 + (s + c), s, c]]
        )
        np.testing.assert_allclose(circuits.weights(np.array(t)), w, atol=1e-12)
    np.testing.assert_array_equal(circuits.bias, [-0.5, -1.5, -1, -1])


def test_mean_weight_is_the_expectation_over_angles():
    angles = 2 * np.pi * np.arange(64) / 64  # exact quadrature of E_θ
    circuits = RotationCircuits(angles)
    np.testing.assert_allclose(circuits.diff_w.mean(0), 0.0, atol=1e-12)


def test_input_encoding_and_readout_round_trip(rng):
    circuits = draw_rotation_circuits(3, rng, n_indicator_pairs=2)
    x = rng.normal(size=(3, 2))
    a = circuits.encode(np.array([1.0, 0.0, 1.0]), x * np.array([[1], [0], [1]]))
    np.testing.assert_allclose(a[0], [1.5, 0.5, 1.5, 0.5, x[0, 0] + 1, x[0, 1] + 1])
    alpha, xr = circuits.read(a)
    np.testing.assert_allclose(alpha, [1, 0, 1])
    np.testing.assert_allclose(xr[[0, 2]], x[[0, 2]])


@pytest.mark.parametrize("k,m,gain", [(1, 3, 2.0), (3, 2, 3.0), (5, 3, 5.0), (2, 7, 2.0)])
def test_wide_circuits_rotate_every_pair_exactly(rng, k, m, gain):
    """m payload pairs, each rotated by its own angle and gated by the copies' mean; inactive stays 0."""
    circuits = draw_rotation_circuits(8, rng, n_indicator_pairs=k, n_rotation_pairs=m, step_gain=gain)
    assert circuits.d_circuit == 2 * k + 2 * m and circuits.angles.shape == (8, m)
    phi = rng.uniform(0, 2 * np.pi, (8, m))
    x0 = np.stack([np.cos(phi), np.sin(phi)], -1).reshape(8, 2 * m)
    alpha, x = circuits.read(circuits.forward(np.arange(8), circuits.encode(np.ones(8), x0), n_layers=5))
    np.testing.assert_allclose(alpha, 1.0, atol=1e-12)
    for t in range(8):
        expected = x0[t].reshape(m, 2)
        for l in range(6):
            np.testing.assert_allclose(x[l, t].reshape(m, 2), expected, atol=1e-12)
            expected = np.stack([rotation(circuits.angles[t, j]) @ expected[j] for j in range(m)])
    off = circuits.forward(np.arange(8), np.zeros((8, circuits.d_circuit)), n_layers=3)
    assert np.all(off == 0.0)


@pytest.mark.parametrize("gain", [2.0, 3.0, 8.0])
def test_step_gain_sets_the_slope_around_one_half(gain):
    """step_g(α) = clip(g(α − ½) + ½, 0, 1): g = 2 is the post's step (flat below 1/4, above 3/4)."""
    circuits = RotationCircuits(np.zeros(1), step_gain=gain)
    alpha_in = np.linspace(-0.2, 1.2, 141)
    a0 = circuits.encode(alpha_in, np.zeros((141, 2)))
    alpha_out, _ = circuits.read(circuits.forward(np.zeros(141, dtype=int), a0, 1)[1])
    np.testing.assert_allclose(alpha_out, np.clip(gain * (alpha_in - 0.5) + 0.5, 0, 1), atol=1e-12)


def test_majority_vote_of_three_copies():
    """Gain k = 3: copies holding (1, 1, 0) decode to 1 and (1, 0, 0) to 0, exactly."""
    circuits = RotationCircuits(np.zeros(1), n_indicator_pairs=3, step_gain=3.0)
    a = np.zeros((2, 8))
    a[0, [0, 2]] = 1.0  # two copies on
    a[1, [0]] = 1.0  # one copy on
    alpha, _ = circuits.read(circuits.forward(np.zeros(2, dtype=int), a, 1)[1])
    np.testing.assert_array_equal(alpha, [1.0, 0.0])
    mean = RotationCircuits(np.zeros(1), n_indicator_pairs=3)  # the post's step of the mean: 2/3 → 5/6, 1/3 → 1/6
    alpha, _ = mean.read(mean.forward(np.zeros(2, dtype=int), a, 1)[1])
    np.testing.assert_allclose(alpha, [5 / 6, 1 / 6])


def test_wide_mean_weight_is_the_expectation_over_angles():
    angles = 2 * np.pi * (np.arange(64)[:, None] + np.array([[0.0, 0.25, 0.5]])) / 64  # exact quadrature per pair
    circuits = RotationCircuits(angles, n_rotation_pairs=3)
    np.testing.assert_allclose(circuits.diff_w.mean(0), 0.0, atol=1e-12)


def test_angles_must_fit_the_rotation_pairs():
    with pytest.raises(ValueError, match="n_rotation_pairs=2"):
        RotationCircuits(np.zeros(4), n_rotation_pairs=2)
    with pytest.raises(ValueError, match="step_gain"):
        RotationCircuits(np.zeros(4), step_gain=0.5)
