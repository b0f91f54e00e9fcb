"""analysis.stats: the t quantile, both mean intervals and the line fit, against known values."""

import math

import numpy as np
import pytest

from cisim.analysis import stats


@pytest.mark.parametrize("df, quantile", [(1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (9, 2.2622), (30, 2.0423), (120, 1.9799)])
def test_t975_matches_the_tabulated_student_quantiles(df, quantile):
    assert stats.t975(df) == pytest.approx(quantile, abs=2e-4)
    assert math.isnan(stats.t975(0))


def test_t_interval_of_three_seeds_and_its_missing_cases():
    mean, lo, hi = stats.mean_ci([1.0, 2.0, 3.0], "t")
    assert mean == 2.0 and hi - mean == pytest.approx(stats.t975(2) * 1.0 / math.sqrt(3))
    assert all(math.isnan(v) for v in stats.mean_ci([1.0, np.nan], "t"))
    assert stats.mean_ci([4.0], "t")[0] == 4.0 and math.isnan(stats.mean_ci([4.0], "t")[1])


def test_bootstrap_interval_covers_the_mean_and_drops_nans():
    mean, lo, hi = stats.mean_ci([1.0, 2.0, np.nan, 3.0, 10.0])
    assert mean == 4.0 and 1.0 <= lo < mean < hi <= 10.0
    assert stats.mean_ci([1.0, 2.0, 3.0]) == stats.mean_ci([1.0, 2.0, 3.0])  # fixed resampling seed
    with pytest.raises(ValueError, match="method='normal' is not allowed"):
        stats.mean_ci([1.0], "normal")


def test_line_fit_and_slope_interval_recover_a_noisy_line():
    rng = np.random.default_rng(1)
    x = np.linspace(0, 10, 40)
    y = 2.0 + 0.5 * x + rng.normal(0, 0.1, x.size)
    a, b = stats.line_fit(x, y)
    lo, hi = stats.slope_t_interval(x, y)
    assert a == pytest.approx(2.0, abs=0.1) and lo < 0.5 < hi and hi - lo < 0.05


def test_chi2_q95_matches_tabulated_quantiles():
    """χ²₀.₉₅ for 1, 2, 5 dof: 3.841, 5.991, 11.070; with estimated errors, 3·F₀.₉₅(3, 12) = 3·3.490."""
    for df, q in ((1, 3.841), (2, 5.991), (5, 11.070)):
        assert stats.chi2_q95(df) == pytest.approx(q, rel=0.01)
    assert stats.chi2_q95(3, 12) == pytest.approx(3 * 3.490, rel=0.01)
    assert np.isnan(stats.chi2_q95(0))


def test_weighted_fit_recovers_a_line_and_its_chi2():
    x = np.arange(6.0)
    se = np.array([1.0, 2.0, 1.0, 2.0, 1.0, 2.0])
    y = 1.0 + 0.5 * x + np.array([1.0, -2.0, -1.0, 2.0, 0.0, 0.0]) * 0.1
    c, cov, chi2 = stats.weighted_fit(np.stack([np.ones_like(x), x], 1), y, se)
    assert c == pytest.approx([1.0, 0.5], abs=0.1) and cov.shape == (2, 2) and cov[1, 1] > 0
    resid = (y - c[0] - c[1] * x) / se
    assert chi2 == pytest.approx(float(resid @ resid))
