import numpy as np

from cisim.metrics import AGREEMENT, agree, deviation
from cisim.simulate.accumulate import CHUNK, chunked_sum


def test_chunked_sum_is_independent_of_how_samples_are_split(rng):
    values = rng.exponential(size=CHUNK * 7 + 13)
    one = chunked_sum(0.0, values)
    for split in (CHUNK, 2 * CHUNK, 5 * CHUNK):
        total = 0.0
        for lo in range(0, values.size, split):
            total = chunked_sum(total, values[lo : lo + split])
        assert total == one
    np.testing.assert_allclose(one, values.sum(), rtol=1e-13)


def test_agreement_allows_rounding_and_rejects_real_changes():
    a = {"mse_x_active": np.array([0.0, 0.01, 0.5]), "max_x_active": np.array([0.0, 0.3, np.nan]),
         "false_on_rate": np.array([0.0, 1e-3, 0.2]), "nonfinite_count": np.array([0, 0, 4])}
    rounded = {**a, "mse_x_active": a["mse_x_active"] * (1 + 1e-7), "false_on_rate": a["false_on_rate"] + 1e-7}
    assert agree(a, rounded) and deviation(a, rounded)["relative"] < AGREEMENT["relative"]
    assert not agree(a, {**a, "mse_x_active": a["mse_x_active"] * (1 + 1e-3)})
    assert not agree(a, {**a, "false_on_rate": a["false_on_rate"] + 1e-4})
    assert not agree(a, {**a, "max_x_active": np.array([0.0, 0.3, 1.0])})  # a NaN that went away
    assert not agree(a, {**a, "nonfinite_count": np.array([0, 0, 5])})
    # NaN where a (point, z) did not run, in both: agreement; in one only: not
    missing = {**a, "false_on_rate": np.array([0.0, 1e-3, np.nan])}
    assert agree(missing, {**missing}) and not agree(a, missing)
