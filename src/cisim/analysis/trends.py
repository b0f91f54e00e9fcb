"""The scaling study's answer: how the working threshold on T(d/D)² moves as D grows.

Per seed and (D, L, z), the threshold is the capacity frontier of `analysis.frontier` (the
largest T that still works at every layer 1..L, interpolated in (log T, log r) to the crossing
r = 1) times (d/D)², d the circuit width stored in the summary. Per (L, z) the trend is fitted as

    threshold(D) = a + b·log₂ D        (b: change of the threshold per doubling of D)
    ln threshold(D) = α + β·log₂ D     (e^β: factor per doubling of D; T* ∝ D^(2 + β/ln 2))

by least squares over every seed's value, with a stratified bootstrap over seeds (each D's
seeds resampled with replacement, `n_boot` times) giving 95 % percentile intervals for b, e^β
and the second fit's curve (the band: a power of D, which the threshold follows over decades of
D, where a straight line in log₂ D would cross zero). With a few seeds per width the bootstrap
interval is narrow, so the reported interval of b is the union of it and the ordinary least-squares t interval; a
trend is growing / shrinking when that interval excludes 0, else constant within it. Widths
where even the smallest tested T fails ("below_range") carry no threshold; widths where the
largest tested T works ("lower_bound") enter with that T (a lower bound) and are flagged.

Several S per width (the asymptotics study): per (L, z, D) the fits use the capacity at the
best S (`frontier.best_redundancy`: the tested S with the largest mean capacity T* over seeds, a
measured crossing preferred to a lower bound, ties to the smaller S), i.e. the question is
whether the construction works asymptotically when S may be chosen per width. Every seed of
that S enters the fit; where every S fails at its smallest T, the smallest S stands in (its
width is reported as having no threshold). `best_s` keeps the whole S curve for the page.

Against no superposition (`analysis.costs`): per width, the capacity T* and the gain T*/T₀ over
T₀ = D/d circuits on disjoint neurons, with the fit's band carried into both units.

The small-noise theory (post eq 6.55; `cisim.theory.mse_x_active`) gives the load at which the
active-circuit error reaches the threshold at layer L; the page draws it for comparison.

Pure pandas/numpy: the inputs are the gathered summary and the run files' attributes (read by
`cisim.datasets`); the outputs are DataFrames and sentences, nothing here touches files.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import theory
from . import costs, frontier
from .criteria import NAMES, SUFFIX, WORDS, Criteria
from .stats import chi2_q95, line_fit, mean_ci, slope_t_interval, t975, weighted_fit
from .tables import d_circuit

N_BOOT = 2000  # bootstrap resamples of each trend fit (a percentile interval needs more than a mean's)
BOOT_SEED = 0
MEASURES = {"threshold": "the applied criteria", **{f"threshold_{SUFFIX[c]}": f"{WORDS[SUFFIX[c]]} alone" for c in NAMES}}
LARGE_END = 3  # the large-D end: the fits repeated over the three largest widths (when there are four or more)
CONSTANT = "is constant within the 95 % interval"


def thresholds(ds, report: dict) -> pd.DataFrame:
    """Per (design, allocation, D, S, L, z, seed): capacity, threshold load T(d/D)² (`threshold`:
    the criteria `report.criteria` applies, `analysis.criteria.Criteria.from_report`;
    `threshold_<suffix>`: each criterion the summary can judge, alone), status, tested range."""
    seeds = frontier.per_seed(frontier.table(ds), criteria=Criteria.from_report(report))
    seeds = seeds.rename(columns={"load": "threshold"})
    factor = (d_circuit(ds) / seeds["d_model"].astype(float)) ** 2
    for c in frontier.suffixes(seeds, "capacity_"):
        seeds[f"threshold_{c}"] = seeds[f"capacity_{c}"] * factor
    return seeds.sort_values(["n_layers", "n_active", "d_model", "seed"]).reset_index(drop=True)


def measures(seeds: pd.DataFrame) -> list[str]:
    """The threshold columns of `seeds`, in MEASURES order: the applied criteria, then each alone."""
    return [m for m in MEASURES if m in seeds]


def setting(seeds: pd.DataFrame) -> dict:
    """The one design and allocation the fits run over (they group by (L, z) only), and S: the
    one redundancy, or "best of 4, 6, …" when several were tested (`best_s` picks one per width);
    S_values: every tested S."""
    out = {}
    for key, column in (("design", "design"), ("allocation", "allocation")):
        values = sorted(seeds[column].unique())
        if len(values) != 1:
            raise ValueError(f"the scaling page fits one {column}; the summary holds {values}")
        out[key] = values[0].item() if hasattr(values[0], "item") else values[0]
    s_values = [int(s) for s in sorted(seeds["redundancy"].unique())]
    out["S"] = s_values[0] if len(s_values) == 1 else "best of " + ", ".join(str(s) for s in s_values)
    out["S_values"] = s_values
    return out


def best_s(seeds: pd.DataFrame, d: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the seeds at the best S, the best S per (L, z, D)).

    `seeds`: `thresholds` rows at every tested S. The best S per (design, allocation, D, L, z) is
    `frontier.best_redundancy` of the seeds' frontier summary (with T₀ and the gain of
    `costs.with_reference`); where no S is best (below range at every S) the smallest S stands
    in. The second frame is `best_redundancy`'s, plus s_curve: the capacity at every tested S as
    text ("S = 4: 312 [290, 334]; S = 6: ≥ 350", `frontier.format_capacity`). With one S the
    seeds come back unchanged."""
    summary = costs.with_reference(frontier.summarize(seeds.rename(columns={"threshold": "load"})), d)
    best = frontier.best_redundancy(summary)
    curve = frontier.redundancy_curve(summary)
    text = {key: "; ".join(f"S = {int(r['redundancy'])}: {frontier.format_capacity(r)}" for _, r in g.iterrows())
            for key, g in curve.groupby(frontier.S_GROUP, sort=True)}
    best["s_curve"] = [text[tuple(r[c] for c in frontier.S_GROUP)] for _, r in best.iterrows()]
    chosen = best[frontier.S_GROUP].copy()
    chosen["redundancy"] = [int(r["redundancy"]) if np.isfinite(r["redundancy"]) else min(r["s_tested"]) for _, r in best.iterrows()]
    picked = seeds.merge(chosen, on=[*frontier.S_GROUP, "redundancy"], how="inner")
    picked = picked.sort_values(["n_layers", "n_active", "d_model", "seed"]).reset_index(drop=True)
    return picked[seeds.columns], best


def theory_threshold(D: int, L: int, z: int, S: int, d: int, mse_threshold: float) -> float:
    """Load T(d/D)² at which eq 6.55's active error at layer L reaches `mse_threshold` (NaN if
    it is above the threshold for every T ≥ D/d, i.e. the overlap term 9Lε(z−1) alone exceeds it;
    +Inf if it stays below up to T = 10⁹). Bisection in log T."""
    f = lambda T: float(theory.mse_x_active(D, T, S, z, L, d_circuit=d)) - mse_threshold  # noqa: E731
    lo, hi = D / d, 1e9  # below T = D/d the overlap formula ε = d/D − 1/(ST) is not meaningful
    if f(lo) > 0:
        return float("nan")
    if f(hi) < 0:
        return float("inf")
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return lo * (d / D) ** 2


def theory_curve(seeds: pd.DataFrame, mse_threshold: float, d: int) -> pd.DataFrame:
    """`theory_threshold` at every tested width per (L, z), at the S of the seeds there (one S
    per (L, z, D): `best_s`): columns n_layers, n_active, d_model, threshold."""
    return pd.DataFrame([{"n_layers": int(L), "n_active": int(z), "d_model": float(D),
                          "threshold": theory_threshold(int(D), int(L), int(z), int(g["redundancy"].iloc[0]), d, mse_threshold)}
                         for (L, z, D), g in seeds.groupby(["n_layers", "n_active", "d_model"], sort=True)])


def fit_trend(seeds: pd.DataFrame, n_boot: int = N_BOOT, seed: int = BOOT_SEED, grid=None, column: str = "threshold",
              min_width: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fits per (L, z), bootstrap band per (L, z, D on `grid`)).

    fits columns: measure, n_layers, n_active, n_widths, widths, below_range (widths without a
    threshold), lower_bound (any width flagged), verdict, intercept, slope (b per doubling),
    slope_lo/hi (the union of slope_boot_lo/hi and slope_t_lo/hi), relative_slope (b over the
    mean threshold), factor (e^β per doubling), factor_lo/hi (likewise a union). bands columns:
    n_layers, n_active, d_model, fit, lo, hi: the fit exp(α + β·log₂ D) and its bootstrap band. `column`: threshold (both criteria) or
    threshold_mse / threshold_fo (one criterion; its status column is status_mse / status_fo);
    `min_width`: fit only D ≥ min_width (the large-D end of the range)."""
    rng = np.random.default_rng(seed)
    status = "status" if column == "threshold" else "status_" + column.removeprefix("threshold_")
    seeds = seeds.rename(columns={column: "_value", status: "_status"})[["n_layers", "n_active", "d_model", "seed", "_value", "_status"]]
    seeds = seeds.rename(columns={"_value": "threshold", "_status": "status"})
    seeds = seeds[seeds["d_model"] >= min_width]
    label = column if not min_width else f"{column} (D ≥ {min_width})"
    fits, bands = [], []
    for (L, z), g in seeds.groupby(["n_layers", "n_active"], sort=True):
        usable = g[g["status"] != "below_range"]
        usable = usable[np.isfinite(usable["threshold"]) & (usable["threshold"] > 0)]
        widths = sorted(usable["d_model"].unique())
        row = {"measure": label, "n_layers": int(L), "n_active": int(z), "n_widths": len(widths),
               "widths": ",".join(str(int(w)) for w in widths),
               "below_range": ",".join(str(int(w)) for w in sorted(set(g["d_model"]) - set(widths))),
               "lower_bound": bool((usable["status"] == "lower_bound").any())}
        if len(widths) < 2:
            fits.append({**row, "verdict": "not enough widths with a threshold"})
            continue
        if (usable["status"] == "lower_bound").all():
            fits.append({**row, "verdict": "works up to the largest tested T at every width (lower bounds only)"})
            continue
        x = np.log2(usable["d_model"].to_numpy(float))
        y = usable["threshold"].to_numpy(float)
        a, b = line_fit(x, y)
        alpha, beta = line_fit(x, np.log(y))
        beta_lo, beta_hi = slope_t_interval(x, np.log(y))
        by_width = [usable[usable["d_model"] == w]["threshold"].to_numpy(float) for w in widths]
        xs = [np.full(v.size, math.log2(w)) for v, w in zip(by_width, widths)]
        gx = np.log2(np.asarray(grid if grid is not None else widths, dtype=float))
        xb = np.concatenate(xs)  # resampling within widths keeps every x in place
        boot_b, boot_beta, boot_curve = [], [], []
        for _ in range(n_boot):
            yb = np.concatenate([v[rng.integers(v.size, size=v.size)] for v in by_width])
            boot_b.append(line_fit(xb, yb)[1])
            alpha_b, beta_b = line_fit(xb, np.log(yb))
            boot_beta.append(beta_b)
            boot_curve.append(np.exp(alpha_b + beta_b * gx))
        boot_lo, boot_hi = np.percentile(boot_b, [2.5, 97.5])
        t_lo, t_hi = slope_t_interval(x, y)
        # A few seeds per width make the bootstrap interval narrow: the verdict uses the wider
        # of the bootstrap and the OLS t interval.
        lo, hi = np.nanmin([boot_lo, t_lo]), np.nanmax([boot_hi, t_hi])
        blo, bhi = np.percentile(boot_beta, [2.5, 97.5])
        flo, fhi = math.exp(np.nanmin([blo, beta_lo])), math.exp(np.nanmax([bhi, beta_hi]))
        verdict = "grows" if lo > 0 else ("shrinks" if hi < 0 else CONSTANT)
        mean_y = float(np.mean(y))
        fits.append({**row, "intercept": a, "slope": b, "slope_lo": float(lo), "slope_hi": float(hi),
                     "slope_boot_lo": float(boot_lo), "slope_boot_hi": float(boot_hi), "slope_t_lo": t_lo, "slope_t_hi": t_hi,
                     "relative_slope": b / mean_y, "factor": math.exp(beta), "factor_lo": float(flo), "factor_hi": float(fhi),
                     "verdict": verdict})
        curve = np.array(boot_curve)
        for k, D in enumerate(2.0**gx):
            bands.append({"n_layers": int(L), "n_active": int(z), "d_model": float(D), "fit": math.exp(alpha + beta * gx[k]),
                          "lo": float(np.percentile(curve[:, k], 2.5)), "hi": float(np.percentile(curve[:, k], 97.5))})
    return pd.DataFrame(fits), pd.DataFrame(bands)


def fit_all(seeds: pd.DataFrame, n_boot: int = N_BOOT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every fit, the band of the both-criteria fit on the tested widths).

    The fits, in this order: both criteria over every width, then at the large-D end (the
    `LARGE_END` largest widths, when more widths were tested); then each criterion alone
    over every width and at the large-D end."""
    grid = sorted(seeds["d_model"].unique())
    fits, bands = fit_trend(seeds, n_boot, grid=grid)
    large = grid[-LARGE_END] if len(grid) > LARGE_END else 0
    parts = [fits]
    for column in measures(seeds):
        if column != "threshold":
            parts.append(fit_trend(seeds, n_boot, grid=grid, column=column)[0])
        if large:
            parts.append(fit_trend(seeds, n_boot, grid=grid, column=column, min_width=large)[0])
    return pd.concat(parts, ignore_index=True), bands


LAWS = ("constant", "power", "log_factor")  # T* ∝ D², D^a, D²/(log D)^k (`laws`)
MAX_LOG2_D = 40  # how far `laws` extrapolates the fitted laws to find where they part


def _law_design(law: str, x: np.ndarray) -> np.ndarray:
    """Design matrix of a law of log y against x = log₂ D (`laws`)."""
    one = np.ones_like(x)
    return {"constant": one[:, None], "power": np.stack([one, x], 1), "log_factor": np.stack([one, -np.log(x)], 1)}[law]


def laws(seeds: pd.DataFrame, column: str = "threshold") -> pd.DataFrame:
    """Per (L, z): which growth law of the capacity T* the measured widths support, and whether
    they can tell the laws apart. Three laws of the threshold y = T*·(d/D)², x = log₂ D:

        constant     ln y = a                  T* ∝ D² (the threshold holds)
        power        ln y = a + β·ln 2·x       T* ∝ D^(2+β); the gain T*/T₀ ∝ D^(1+β)
        log_factor   ln y = a − k·ln x         T* ∝ D²/(log D)^k ("log factors")

    each fitted by weighted least squares (`stats.weighted_fit`) to the per-width mean of ln y
    over seeds, weighted by its standard error se = s/√n (s: the standard deviation of ln y over
    seeds, pooled over widths: one relative noise level, with Σ(n − 1) degrees of freedom). Only
    widths where every seed has a measured crossing enter (a lower bound is not a measurement of
    the law, and dropping single seeds would keep a width's lowest values); the others are listed
    in `left_out`. Per law: χ² and `<law>_fits`, whether χ² stays below its 95 % quantile
    (`stats.chi2_q95`: df·F(df, Σ(n − 1))); None where the seeds show no spread (nothing to test
    against). Where even the better two-parameter law scatters beyond the seeds' errors
    (χ²/dof > 1), the errors are inflated by `inflation` = √(χ²/dof) for the intervals and the
    separation below.

    `separation`: the largest difference of the power and log-factor fits over the tested widths,
    in (inflated) standard errors; `apart_from`: the smallest width 2^m (m ≤ MAX_LOG2_D) where the
    extrapolated fits differ by 2√2 (inflated) standard errors — the range a study would need
    (optimistic: it ignores the extrapolation's own uncertainty).

    Columns: n_layers, n_active, measure, widths, n_widths, left_out, se (median, in ln y),
    exponent (2+β) with exponent_lo/hi (95 % t: Σ(n − 1) dof, or n − 2 when inflated),
    gain_factor (2^(1+β): the gain's factor per doubling of D) with gain_factor_lo/hi, k, per law
    <law>_chi2, <law>_df, <law>_fits; inflation, separation, apart_from; exponent_end with
    exponent_end_lo/hi: the local exponent of T* between the two largest widths.

    Out of sample (with at least HOLDOUT + 3 widths): each two-parameter law fitted to all but the
    HOLDOUT largest widths predicts those; `holdout` names them and `<law>_holdout_chi2` is the
    χ² of the misses against their covariance (the fit's prediction covariance, inflated by that
    fit's own scatter about the law when χ²/dof > 1, plus the held-out means' standard errors),
    `<law>_predicts` whether it stays below its 95 % quantile (HOLDOUT dof). Extrapolation is
    where D^a and log factors part, so this is the sharper test of the two at the large-D end."""
    rows = []
    status = "status" if column == "threshold" else "status_" + column.removeprefix("threshold_")
    for (L, z), g in seeds.groupby(["n_layers", "n_active"], sort=True):
        good = (g[status] == "ok") & np.isfinite(g[column]) & (g[column] > 0)
        whole = good.groupby(g["d_model"]).all()
        g = g[g["d_model"].isin(whole[whole].index)]
        stats = g.assign(logy=np.log(g[column])).groupby("d_model")["logy"].agg(["mean", "std", "count"]).sort_index()
        if len(stats) < 3:
            continue
        x = np.log2(stats.index.to_numpy(float))
        y = stats["mean"].to_numpy(float)
        n = stats["count"].to_numpy(float)
        noise_df = int((n - 1).sum())
        spread = np.nan_to_num(stats["std"].to_numpy(float)) ** 2 * (n - 1)
        testable = noise_df > 0 and spread.sum() > 0
        pooled = math.sqrt(spread.sum() / noise_df) if testable else 1.0  # untestable: unit weights, no verdicts
        se = pooled / np.sqrt(n)
        typical = float(np.median(se))
        row = {"n_layers": int(L), "n_active": int(z), "measure": column, "widths": ",".join(str(int(w)) for w in stats.index),
               "n_widths": len(x), "left_out": ",".join(str(int(w)) for w in whole[~whole].index), "se": typical if testable else math.nan}
        curves, covs = {}, {}
        for law in LAWS:
            A = _law_design(law, x)
            c, cov, chi2 = weighted_fit(A, y, se)
            df = len(x) - A.shape[1]
            fits = bool(chi2 <= chi2_q95(df, noise_df)) if df >= 1 and testable else None
            row.update({f"{law}_chi2": chi2 if testable else math.nan, f"{law}_df": df, f"{law}_fits": fits})
            curves[law], covs[law] = c, cov
            if law == "log_factor":
                row["k"] = float(c[1])
        df2 = len(x) - 2
        ratio = min(row["power_chi2"], row["log_factor_chi2"]) / df2 if testable else math.nan
        inflate = math.sqrt(ratio) if ratio > 1 else 1.0
        # errors from the seeds alone: Σ(n − 1) dof; inflated by the scatter about the law: n − 2 dof
        t = t975(df2) if inflate > 1 or not testable else t975(noise_df)
        half = t * math.sqrt(max(covs["power"][1, 1], 0.0)) * inflate / math.log(2)  # ln y slope is β·ln 2
        beta = float(curves["power"][1]) / math.log(2)
        row.update(exponent=2 + beta, exponent_lo=2 + beta - half, exponent_hi=2 + beta + half,
                   gain_factor=2.0 ** (1 + beta), gain_factor_lo=2.0 ** (1 + beta - half), gain_factor_hi=2.0 ** (1 + beta + half),
                   inflation=inflate)
        diff = lambda xx: np.abs(_law_design("power", xx) @ curves["power"] - _law_design("log_factor", xx) @ curves["log_factor"])  # noqa: E731
        row["separation"] = float(diff(x).max() / (typical * inflate))
        ahead = np.arange(int(x.max()) + 1, MAX_LOG2_D + 1, dtype=float)
        apart = ahead[diff(ahead) > 2 * math.sqrt(2) * typical * inflate]
        row["apart_from"] = float(2.0 ** apart[0]) if apart.size else math.nan
        # the local exponent between the two largest widths: where the large-D end is heading
        step = (x[-1] - x[-2]) * math.log(2)
        end, end_half = 2 + (y[-1] - y[-2]) / step, t * math.sqrt(se[-1] ** 2 + se[-2] ** 2) * inflate / step
        row.update(exponent_end=end, exponent_end_lo=end - end_half, exponent_end_hi=end + end_half)
        row.update(_holdout(x, y, se, noise_df if testable else 0))
        rows.append(row)
    return pd.DataFrame(rows)


HOLDOUT = 2  # widths `laws` holds out at the large-D end for its out-of-sample test


def _holdout(x: np.ndarray, y: np.ndarray, se: np.ndarray, noise_df: int) -> dict:
    """The out-of-sample columns of `laws` for the per-width means y (ln threshold) with standard
    errors se at x = log₂ D (sorted): each of power and log_factor fitted to x[:-HOLDOUT], its
    misses at x[-HOLDOUT:] judged by χ² = rᵀC⁻¹r, C = k²·A_h·cov·A_hᵀ + diag(se_h²) (k: the fit's
    inflation √(χ²/dof) when above 1). Empty without enough widths or without spread."""
    fit_n = len(x) - HOLDOUT
    if fit_n < 3 or noise_df < 1:
        return {}
    out = {"holdout": ",".join(str(int(round(2.0 ** v))) for v in x[fit_n:]), "holdout_df": HOLDOUT}
    for law in ("power", "log_factor"):
        A = _law_design(law, x)
        c, cov, chi2 = weighted_fit(A[:fit_n], y[:fit_n], se[:fit_n])
        scale = max(chi2 / (fit_n - A.shape[1]), 1.0)
        miss = y[fit_n:] - A[fit_n:] @ c
        C = scale * A[fit_n:] @ cov @ A[fit_n:].T + np.diag(se[fit_n:] ** 2)
        stat = float(miss @ np.linalg.solve(C, miss))
        out.update({f"{law}_holdout_chi2": stat, f"{law}_predicts": bool(stat <= chi2_q95(HOLDOUT, noise_df))})
    return out


def law_sentences(table: pd.DataFrame, d: int) -> list[str]:
    """One sentence per row of `laws`: the fitted growth of T* and of the gain over no
    superposition, which laws the data reject, and whether they tell power and log factors apart
    (decided by the χ² verdicts: one law rejected and the other not separates them)."""
    out = []
    verdict = lambda ok: "consistent with the seeds' spread" if ok else "rejected"  # noqa: E731
    for _, r in table.iterrows():
        widths = r["widths"].split(",")
        s = (f"L = {r['n_layers']}, z = {r['n_active']} ({MEASURES.get(r['measure'], r['measure'])}; D = {widths[0]} … {widths[-1]}, "
             f"{r['n_widths']} widths): T* grows like D^{r['exponent']:.2f} [95 %: {r['exponent_lo']:.2f}, {r['exponent_hi']:.2f}], "
             f"so the gain T*/(D/{d}) changes ×{r['gain_factor']:.2f} [{r['gain_factor_lo']:.2f}, {r['gain_factor_hi']:.2f}] per "
             f"doubling of D; between the two largest widths T* grows like D^{r['exponent_end']:.2f} "
             f"[{r['exponent_end_lo']:.2f}, {r['exponent_end_hi']:.2f}]. ")
        if isinstance(r.get("left_out"), str) and r["left_out"]:
            s += f"(Left out, some seed without a measured crossing: D = {r['left_out'].replace(',', ', ')}.) "
        power, logf = r["power_fits"], r["log_factor_fits"]
        if power is None or logf is None:
            out.append(s + "The seeds show no spread at these widths, so no law can be tested against it.")
            continue
        s += (f"T* ∝ D² is {verdict(r['constant_fits'])} (χ² = {r['constant_chi2']:.1f}, {r['constant_df']} dof); D^a is "
              f"{verdict(power)} (χ² = {r['power_chi2']:.1f}) and D²/(log D)^k (k = {r['k']:.2f}) is {verdict(logf)} "
              f"(χ² = {r['log_factor_chi2']:.1f}, {r['power_df']} dof each). ")
        inflated = f" (errors ×{r['inflation']:.1f}, the scatter about the better law)" if r["inflation"] > 1 else ""
        if power != logf:
            s += f"The widths prefer {'D^a' if power else 'D²/(log D)^k'}: the other law is rejected."
        elif not power:
            s += ("Neither two-parameter law follows the widths within the seeds' spread: the means scatter about either law "
                  "more than the seeds allow")
        else:
            s += "Both laws describe the widths: they cannot be told apart here"
        if power == logf:
            s += (f"; their fits differ by at most {r['separation']:.1f} standard errors inside the range{inflated}, and, "
                  f"extrapolated, by 2√2 standard errors only from D ≈ 2^{math.log2(r['apart_from']):.0f} on."
                  if np.isfinite(r["apart_from"]) else
                  f"; their fits differ by at most {r['separation']:.1f} standard errors inside the range{inflated}, and, "
                  f"extrapolated, stay within 2√2 standard errors up to D = 2^{MAX_LOG2_D}.")
        if isinstance(r.get("holdout"), str):
            held = r["holdout"].split(",")
            predict = lambda law: ("predicts them within their errors" if r[f"{law}_predicts"] else "misses them")  # noqa: E731
            s += (f" Out of sample: fitted without D = {', '.join(held)}, D^a {predict('power')} (χ² = {r['power_holdout_chi2']:.1f}) "
                  f"and D²/(log D)^k {predict('log_factor')} (χ² = {r['log_factor_holdout_chi2']:.1f}, {r['holdout_df']} dof each).")
        out.append(s)
    return out


def theory_sentences(seeds: pd.DataFrame, theory_curve: pd.DataFrame, applied: tuple) -> list[str]:
    """Where measurement leaves the small-noise theory, one sentence per (L, z): the measured
    threshold of the active-circuit error alone (`threshold_mse`) over eq 6.55's at the smallest
    and the largest width ("≥" where a seed's crossing lies above the tested T), and which applied criterion binds (the smallest threshold alone) at each
    end. `applied`: the criteria names `report.criteria` applies (`analysis.criteria.NAMES`). The
    theory's inactive read-out error z·ε (post eq 6.57, ε ≈ d/D) says nothing about a false-on
    rate: inactive circuits switch on through the tail of their noise, which it does not model."""
    out = []
    alone = [f"threshold_{SUFFIX[c]}" for c in applied if f"threshold_{SUFFIX[c]}" in seeds]
    for (L, z), g in seeds.groupby(["n_layers", "n_active"], sort=True):
        th = theory_curve[(theory_curve["n_layers"] == L) & (theory_curve["n_active"] == z)].set_index("d_model")["threshold"]
        means = g.groupby("d_model")[list(dict.fromkeys(c for c in ["threshold_mse", *alone] if c in g))].mean()
        widths = [D for D in means.index if D in th.index]
        if "threshold_mse" not in means or not widths:
            continue
        parts = []
        for D in (widths[0], widths[-1]) if len(widths) > 1 else widths[:1]:
            bound = "≥ " if "status_mse" in g and (g.loc[g["d_model"] == D, "status_mse"] == "lower_bound").any() else ""
            binds = means.loc[D, alone].astype(float).idxmin() if alone and means.loc[D, alone].notna().any() else None
            bind = f", binding: {WORDS[binds.removeprefix('threshold_')]}" if binds else ""
            measured, predicted = means.loc[D, "threshold_mse"], th.loc[D]
            if not np.isfinite(measured):
                what = "no measured threshold (the smallest tested T fails)"
            elif np.isnan(predicted):
                what = "eq 6.55 has no threshold (its overlap term alone exceeds it)"
            elif np.isinf(predicted):
                what = "eq 6.55 stays below the threshold up to 10⁹ circuits"
            else:
                what = f"{bound}×{measured / predicted:.2f} of it"
            parts.append(f"at D = {int(D)} {what}{bind}")
        out.append(f"L = {L}, z = {z}: the measured threshold of the active-circuit error alone against eq 6.55's: " + "; ".join(parts) + ".")
    return out


def log_factor_range(widths) -> tuple[float, float]:
    """(smallest, largest) factor per doubling of D that a threshold ∝ 1/log D would show between
    successive tested widths: (log D / log D')^(1/log₂(D'/D))."""
    w = np.log2(np.asarray(sorted(widths), dtype=float))
    f = (w[:-1] / w[1:]) ** (1.0 / (w[1:] - w[:-1]))
    return float(f.min()), float(f.max())


def summary_table(seeds: pd.DataFrame) -> pd.DataFrame:
    """Mean threshold and 95 % t interval over seeds per (L, z, D), with the worst status."""
    rows = []
    for (L, z, D), g in seeds.groupby(["n_layers", "n_active", "d_model"], sort=True):
        mean, lo, hi = mean_ci(g["threshold"].to_numpy(float), "t")
        row = {"n_layers": int(L), "n_active": int(z), "d_model": int(D), "threshold": mean, "lo": lo, "hi": hi,
               "capacity": float(g["capacity"].mean()), "n_seeds": int(len(g)),
               "status": max(g["status"], key=frontier.STATUS_ORDER.get)}
        for m in measures(g)[1:]:
            row[m] = float(g[m].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def gains(seeds: pd.DataFrame, bands: pd.DataFrame, d: int) -> pd.DataFrame:
    """Per (L, z, D): capacity T* (mean and 95 % t interval over seeds), the no-superposition
    reference T₀ = ⌊D/d⌋ (`analysis.costs`), the gain T*/T₀ with its interval, the worst status,
    and the trend fit's bootstrap band in both units (fit/lo/hi of the threshold band times
    (D/d)² for T*, times D/d for the gain — T* = threshold·(D/d)²: the same percentiles).
    Columns: n_layers, n_active, d_model, t0, capacity, capacity_lo, capacity_hi, gain, gain_lo,
    gain_hi, status, band_capacity, band_capacity_lo, band_capacity_hi, band_gain, band_gain_lo,
    band_gain_hi (NaN where no fit)."""
    rows = []
    for (L, z, D), g in seeds.groupby(["n_layers", "n_active", "d_model"], sort=True):
        usable = g[g["status"] != "below_range"]["capacity"].to_numpy(float)
        mean, lo, hi = mean_ci(usable, "t") if usable.size else (np.nan, np.nan, np.nan)
        t0 = costs.reference(int(D), d)
        gm, glo, ghi = costs.gain(mean, lo, hi, t0)
        row = {"n_layers": int(L), "n_active": int(z), "d_model": int(D), "t0": t0, "capacity": mean, "capacity_lo": lo,
               "capacity_hi": hi, "gain": float(gm), "gain_lo": float(glo), "gain_hi": float(ghi),
               "status": max(g["status"], key=frontier.STATUS_ORDER.get)}
        b = bands[(bands["n_layers"] == L) & (bands["n_active"] == z) & (bands["d_model"] == float(D))] if len(bands) else bands
        for k in ("", "_lo", "_hi"):
            value = float(b[{"": "fit", "_lo": "lo", "_hi": "hi"}[k]].iloc[0]) if len(b) else np.nan
            row[f"band_capacity{k}"], row[f"band_gain{k}"] = value * (D / d) ** 2, value * D / d
        rows.append(row)
    return pd.DataFrame(rows)


def gain_sentences(g: pd.DataFrame) -> list[str]:
    """One sentence per (L, z): the gain T*/T₀ over no superposition at the smallest and the
    largest D with a capacity, and whether superposition pays there (the interval above 1)."""
    out = []
    for (L, z), h in g.groupby(["n_layers", "n_active"], sort=True):
        h = h[np.isfinite(h["gain"])].sort_values("d_model")
        if h.empty:
            out.append(f"L = {L}, z = {z}: no width has a capacity (the smallest tested T fails everywhere).")
            continue
        ends = [h.iloc[0]] if len(h) == 1 else [h.iloc[0], h.iloc[-1]]
        words = []
        for r in ends:
            ci = f" [{r['gain_lo']:.2f}, {r['gain_hi']:.2f}]" if np.isfinite(r["gain_lo"]) else ""
            verdict = ("above 1" if r["gain_lo"] > 1 else "below 1" if r["gain_hi"] < 1 else "not separated from 1") \
                if np.isfinite(r["gain_lo"]) else ("a lower bound" if r["status"] == "lower_bound" else "one seed")
            bound = "≥ " if r["status"] == "lower_bound" else ""
            words.append(f"at D = {r['d_model']} (T₀ = {r['t0']}) {bound}×{r['gain']:.2f}{ci}, {verdict}")
        out.append(f"L = {L}, z = {z}: gain T*/T₀ over no superposition " + "; ".join(words) + ".")
    return out


def run_costs(run_attrs: dict) -> pd.DataFrame:
    """Per point (`run_attrs`: point label → a run file's attributes, `datasets.run_attrs`): job
    seconds, peak memory, simulated seconds and the forward paths that ran."""
    rows = []
    for label, attrs in run_attrs.items():
        cfg = json.loads(attrs.get("config_json", "{}")).get("point", {})
        fw = json.loads(attrs.get("forward_json", "{}"))
        rows.append({"point": label, "d_model": cfg.get("d_model"), "n_circuits": cfg.get("n_circuits"),
                     "n_layers": cfg.get("n_layers"), "n_samples": cfg.get("n_samples"),
                     "job_seconds": attrs.get("job_seconds", np.nan), "peak_rss_mb": attrs.get("peak_rss_mb", np.nan),
                     "simulate_seconds": attrs.get("wall_time_seconds", np.nan),
                     "forward": attrs.get("forward", ""), "batch": sorted({v.get("batch_size") for v in fw.values()})})
    return pd.DataFrame(rows).sort_values(["d_model", "n_circuits", "n_layers"]).reset_index(drop=True)


def forward_paths(costs: pd.DataFrame) -> pd.DataFrame:
    """Points per (D, forward path): one row per D, one column per path."""
    if not len(costs):
        return pd.DataFrame()
    return costs.groupby(["d_model", "forward"]).size().unstack(fill_value=0).reset_index().rename_axis(columns=None)


def slowest(costs: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """The `n` points with the longest jobs (batch sizes as text)."""
    out = costs.sort_values("job_seconds", ascending=False).head(n).copy() if len(costs) else costs.copy()
    if len(out):
        out["batch"] = out["batch"].map(str)
    return out


def measure_label(m: str) -> str:
    """'threshold_mse (D ≥ 4096)' → 'active-circuit error alone (D ≥ 4096)'."""
    base, _, rest = m.partition(" ")
    return MEASURES.get(base, base) + (f" {rest}" if rest else "")


def overall(fits: pd.DataFrame, label: str) -> str | None:
    """One sentence: how many settings grow / shrink / stay, and the median factor per doubling."""
    fitted = fits[fits["verdict"].isin(["grows", "shrinks"]) | fits["verdict"].str.startswith("is constant")]
    if not len(fitted):
        return None
    counts = fitted["verdict"].str.replace(CONSTANT, "constant", regex=False).value_counts().to_dict()
    parts = ", ".join(f"{v} in {n}" for v, n in sorted(counts.items()))
    return (f"{label}: over the {len(fitted)} (L, z) settings the threshold {parts}; median factor per doubling of D "
            f"×{float(np.median(fitted['factor'])):.2f} (range ×{fitted['factor'].min():.2f} … ×{fitted['factor'].max():.2f}).")


def answer(fits: pd.DataFrame) -> list[str]:
    """Sentences answering the question: one overall per measure, then one per (L, z) for both criteria."""
    out = []
    measures = fits["measure"].unique() if "measure" in fits else ["threshold"]
    for m in measures:
        label = measure_label(m)
        line = overall(fits[fits["measure"] == m] if "measure" in fits else fits, label[0].upper() + label[1:])
        if line:
            out.append(line)
    main = fits[fits["measure"] == "threshold"] if "measure" in fits else fits
    for _, f in main.iterrows():
        if not np.isfinite(f.get("slope", np.nan)):
            out.append(f"L = {f['n_layers']}, z = {f['n_active']}: {f['verdict']} (widths with a threshold: {f['widths'] or 'none'}).")
            continue
        s = (f"L = {f['n_layers']}, z = {f['n_active']}: the threshold {f['verdict']} — {f['slope']:+.2e} per doubling of D "
             f"[95 %: {f['slope_lo']:+.2e}, {f['slope_hi']:+.2e}] ({100 * f['relative_slope']:+.0f} % of its mean), i.e. ×{f['factor']:.2f} "
             f"per doubling [{f['factor_lo']:.2f}, {f['factor_hi']:.2f}], over D = {f['widths'].replace(',', ', ')}")
        if isinstance(f["below_range"], str) and f["below_range"]:
            s += f"; no T works at D = {f['below_range'].replace(',', ', ')}"
        if f["lower_bound"]:
            s += "; some widths are lower bounds (the largest tested T still works)"
        out.append(s + ".")
    return out


@dataclass
class Trends:
    """Everything the scaling page shows, from one summary and the run files' attributes."""

    seeds: pd.DataFrame  # `thresholds` at the best S (`best_s`): one row per (D, L, z, seed)
    fits: pd.DataFrame  # `fit_all`
    bands: pd.DataFrame  # the both-criteria fit's bootstrap band per (L, z, D)
    theory: pd.DataFrame  # `theory_curve`
    table: pd.DataFrame  # `summary_table`
    laws: pd.DataFrame  # `laws` of the applied criteria's threshold
    costs: pd.DataFrame  # `run_costs`
    setting: dict  # `setting`: design, allocation, S
    d_circuit: int
    n_boot: int
    gains: pd.DataFrame  # `gains`: capacity and gain T*/T₀ per (L, z, D) with the fit's band
    best: pd.DataFrame  # `best_s`: the best S per (L, z, D) with T*, T₀, the gain and the S curve


def trends(ds, run_attrs: dict, report: dict, n_boot: int = N_BOOT) -> Trends:
    """The scaling page's numbers from the gathered summary `ds`, the run files' attributes
    (point label → attrs) and the `report` config group (mse_threshold, false_on_threshold)."""
    d = d_circuit(ds)
    every = thresholds(ds, report)
    seeds, best = best_s(every, d)
    fits, bands = fit_all(seeds, n_boot)
    return Trends(seeds=seeds, fits=fits, bands=bands, theory=theory_curve(seeds, float(report["mse_threshold"]), d),
                  table=summary_table(seeds), laws=laws(seeds), costs=run_costs(run_attrs),
                  setting=setting(every), d_circuit=d, n_boot=n_boot, gains=gains(seeds, bands, d), best=best)
