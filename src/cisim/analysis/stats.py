"""Estimators shared by every page: means with 95 % confidence intervals and least-squares fits.

Two intervals, named by what they assume:
* `mean_ci(values, method="bootstrap")`: percentile bootstrap of the mean over seeds, the interval
  the figures draw (seaborn's `errorbar=("ci", 95)` with the same resamples, `plots.style.STATS`);
* `mean_ci(values, method="t")`: Student-t interval mean ± t_{0.975, n−1}·sd/√n, wider and more
  honest with the 3–5 seeds a frontier point has.
"""

from __future__ import annotations

import functools
import math

import numpy as np

N_BOOT = 1000  # bootstrap resamples of the page tables (the figures' seaborn default)
BOOT_SEED = 0


def _t_cdf_half(x: float, df: int, steps: int = 4000) -> float:
    """P(0 ≤ T ≤ x) for Student's t with `df` degrees of freedom (Simpson's rule on the density)."""
    logc = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    t = np.linspace(0.0, x, steps + 1)
    f = np.exp(logc - (df + 1) / 2 * np.log1p(t * t / df))
    return float((x / steps) / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()))


@functools.lru_cache(maxsize=None)
def t975(df: int) -> float:
    """The two-sided 95 % Student-t quantile t_{0.975, df} (NaN for df < 1), to about 1e-6:
    the x with P(0 ≤ T ≤ x) = 0.475, found by bisection (12.7062 for df = 1, 2.0423 for df = 30)."""
    if df < 1:
        return float("nan")
    lo, hi = 0.0, 20.0 if df > 1 else 15.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _t_cdf_half(mid, df) < 0.475 else (lo, mid)
    return (lo + hi) / 2


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


def weighted_fit(A: np.ndarray, y: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least squares y ≈ A·c with independent errors of standard deviation `se`:
    (c, covariance of c, χ² = Σ ((y − A·c)/se)²). A: (n, p); y, se: (n,)."""
    w = 1.0 / np.asarray(se, dtype=float)
    Aw, yw = A * w[:, None], y * w
    c, *_ = np.linalg.lstsq(Aw, yw, rcond=None)
    resid = yw - Aw @ c
    return c, np.linalg.pinv(Aw.T @ Aw), float(resid @ resid)


@functools.lru_cache(maxsize=None)
def chi2_q95(df: int, noise_df: int | None = None, draws: int = 400_000) -> float:
    """The 95 % quantile of the χ² of a weighted fit with `df` residual degrees of freedom; with
    `noise_df`, when its standard errors are themselves estimated with `noise_df` degrees of
    freedom, that of df·F(df, noise_df). By a seeded Monte Carlo of `draws` draws (±1 %;
    3.84 and 5.99 for df = 1, 2 without noise_df). NaN for df < 1."""
    if df < 1:
        return float("nan")
    rng = np.random.default_rng(BOOT_SEED)
    stat = rng.chisquare(df, draws)
    if noise_df:
        stat = stat / (rng.chisquare(noise_df, draws) / noise_df)
    return float(np.quantile(stat, 0.95))
