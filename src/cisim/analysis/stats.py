"""Estimators shared by every page: means with 95 % confidence intervals and least-squares fits.

Two intervals, named by what they assume:
* `mean_ci(values, method="bootstrap")`: percentile bootstrap of the mean over seeds, the interval
  the figures draw (seaborn's `errorbar=("ci", 95)` with the same resamples, `plots.style.STATS`);
* `mean_ci(values, method="t")`: Student-t interval mean ± t_{0.975, n−1}·sd/√n, wider and more
  honest with the 3–5 seeds a frontier point has.
"""

from __future__ import annotations

import math

import numpy as np

N_BOOT = 1000  # bootstrap resamples of the page tables (the figures' seaborn default)
BOOT_SEED = 0
# two-sided 95 % Student-t quantiles t_{0.975, df}; between tabulated df the next smaller df is
# used (a slightly wider interval), above df = 30 the normal 1.96
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
        20: 2.086, 25: 2.060, 30: 2.042}


def t975(df: int) -> float:
    """The two-sided 95 % Student-t quantile for `df` degrees of freedom (NaN for df < 1)."""
    if df < 1:
        return float("nan")
    if df in T975:
        return T975[df]
    return T975[max(k for k in T975 if k <= df)] if df <= 30 else 1.96


def mean_ci(values, method: str = "bootstrap", n_boot: int = N_BOOT, seed: int = BOOT_SEED,
            level: float = 95.0) -> tuple[float, float, float]:
    """(mean, low, high) of `values` (one per seed).

    bootstrap: NaNs are dropped, the interval is the percentile interval of `n_boot` resampled
    means; t: any NaN makes all three NaN (a seed without a value has no mean), and a single
    value has no interval (low = high = NaN)."""
    v = np.asarray(values, dtype=float)
    if method == "bootstrap":
        v = v[~np.isnan(v)]
        if v.size == 0:
            return (math.nan,) * 3
        boots = v[np.random.default_rng(seed).integers(0, v.size, (n_boot, v.size))].mean(1)
        lo, hi = np.percentile(boots, [(100 - level) / 2, (100 + level) / 2])
        return float(v.mean()), float(lo), float(hi)
    if method != "t":
        raise ValueError(f"method={method!r} is not allowed: bootstrap or t")
    if level != 95.0:
        raise ValueError(f"level={level!r} is not allowed for method='t': 95")
    if v.size == 0 or np.isnan(v).any():
        return (math.nan,) * 3
    mean = float(v.mean())
    if v.size < 2:
        return mean, math.nan, math.nan
    half = t975(v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return mean, mean - half, mean + half


def line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Ordinary least squares y ≈ a + b·x: (a, b)."""
    A = np.stack([np.ones_like(x), x], 1)
    (a, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(a), float(b)


def slope_t_interval(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The 95 % t interval (df = n − 2) of the least-squares slope b of y ≈ a + b·x."""
    n = x.size
    if n < 3:
        return float("nan"), float("nan")
    a, b = line_fit(x, y)
    resid = y - a - b * x
    se = math.sqrt(float(resid @ resid) / (n - 2) / float(((x - x.mean()) ** 2).sum()))
    half = t975(n - 2) * se
    return b - half, b + half
