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
