import numpy as np

from cisim import theory


def test_main_setting_predictions_match_the_reference_table():
    # docs/method.md §7: T=557, D=1000, S=6 → ε = 0.003701; active E‖δx‖² per layer and z.
    assert abs(theory.epsilon(1000, 557, 6) - 0.003701) < 5e-7
    layers = np.arange(1, 6)
    np.testing.assert_allclose(theory.mse_x_active(1000, 557, 6, 1, layers), [0, 0.0076, 0.0153, 0.0229, 0.0305], atol=6e-5)
    np.testing.assert_allclose(theory.mse_x_active(1000, 557, 6, 2, layers), [0.0333, 0.1429, 0.2525, 0.3621, 0.4717], atol=6e-5)
    np.testing.assert_allclose(theory.mse_x_active(1000, 557, 6, 3, layers), [0.0666, 0.2782, 0.4897, 0.7013, 0.9128], atol=6e-5)
    np.testing.assert_allclose(theory.mse_inactive(1000, 557, 6, np.array([1, 2, 3])), [0.0037, 0.0074, 0.0111], atol=6e-5)


def test_load_and_fraction():
    assert abs(theory.superposition_load(1000, 557) - 0.008912) < 1e-9
    np.testing.assert_allclose(theory.expected_active_fraction(1000, 6, np.array([1, 2, 3])), [0.024, 0.048, 0.072])
