"""The scaling study's answer: how the working threshold on T(d/D)² moves as D grows.

Per seed and (D, L, z), the threshold is the capacity frontier of `cisim.frontier` (the largest
T that still works at every layer 1..L, interpolated in (log T, log r) to the crossing r = 1)
times (d/D)². Per (L, z) the trend is fitted as

    threshold(D) = a + b·log₂ D        (b: change of the threshold per doubling of D)
    log threshold(D) = α + β·log₂ D    (2^β: factor per doubling of D)

by least squares over every seed's value, with a stratified bootstrap over seeds (each D's
seeds resampled with replacement, `n_boot` times) giving 95 % percentile intervals for b, 2^β
and the fitted curve (the band). With a few seeds per width the bootstrap interval is narrow,
so the reported interval of b is the union of it and the ordinary least-squares t interval; a
trend is growing / shrinking when that interval excludes 0, else constant within it. Widths where even the smallest
tested T fails ("below_range") carry no threshold; widths where the largest tested T works
("lower_bound") enter with that T (a lower bound) and are flagged.

The small-noise theory (post eq 6.55; `cisim.theory.mse_x_active`) gives the load at which the
active-circuit error reaches the threshold at layer L; it is drawn for comparison.

Inputs: the gathered summary and the run files (wall time, memory and forward path per point).
Output: a self-contained HTML page, a figure and CSV tables. No number is typed in by hand.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import theory  # noqa: E402
from .analysis import frontier  # noqa: E402
from .analysis.stats import t975  # noqa: E402

D_CIRCUIT = 4
CRITERIA = {"mse": "active-circuit error only", "fo": "false-on rate only"}


def thresholds(ds, report_cfg: dict) -> pd.DataFrame:
    """Per (d_model, n_layers, n_active, seed): capacity, threshold load, status, tested range."""
    seeds = frontier.per_seed(frontier.table(ds), float(report_cfg["mse_threshold"]), float(report_cfg["false_on_threshold"]))
    seeds = seeds.rename(columns={"load": "threshold"})
    factor = (D_CIRCUIT / seeds["d_model"].astype(float)) ** 2
    for crit in CRITERIA:  # the frontier of each criterion alone, when the frontier module provides it
        if f"capacity_{crit}" in seeds:
            seeds[f"threshold_{crit}"] = seeds[f"capacity_{crit}"] * factor
    return seeds.sort_values(["n_layers", "n_active", "d_model", "seed"]).reset_index(drop=True)


def theory_threshold(D: int, L: int, z: int, S: int = 6, mse_threshold: float = 0.1) -> float:
    """Load T(d/D)² at which eq 6.55's active error at layer L reaches `mse_threshold` (NaN if
    it is above the threshold for every T ≥ D/d, i.e. the overlap term 9Lε(z−1) alone exceeds it)."""
    f = lambda T: float(theory.mse_x_active(D, T, S, z, L)) - mse_threshold  # noqa: E731
    lo, hi = D / D_CIRCUIT, 1e9  # below T = D/d the overlap formula ε = d/D − 1/(ST) is not meaningful
    if f(lo) > 0:
        return float("nan")
    if f(hi) < 0:
        return float("inf")
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return lo * (D_CIRCUIT / D) ** 2


def _slope_t_interval(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Ordinary least-squares 95 % t interval of the slope (df = n − 2)."""
    n = x.size
    if n < 3:
        return float("nan"), float("nan")
    a, b = _fit(x, y)
    resid = y - a - b * x
    se = math.sqrt(float(resid @ resid) / (n - 2) / float(((x - x.mean()) ** 2).sum()))
    half = t975(n - 2) * se
    return b - half, b + half


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    A = np.stack([np.ones_like(x), x], 1)
    (a, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(a), float(b)


def fit_trend(seeds: pd.DataFrame, n_boot: int = 2000, seed: int = 0, grid=None, column: str = "threshold",
              min_width: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fits per (L, z), bootstrap band per (L, z, D on `grid`)).

    fits columns: n_layers, n_active, n_widths, slope (b per doubling), slope_lo/hi, factor
    (2^β per doubling), factor_lo/hi, intercept, verdict, lower_bound (any width flagged),
    below_range (widths without a threshold). `column`: threshold (both criteria) or
    threshold_mse / threshold_fo (one criterion; its status column is status_mse / status_fo);
    `min_width`: fit only D ≥ min_width (the large-D end of the range). The interval of 2^β is,
    like that of b, the union of the bootstrap and the t interval."""
    rng = np.random.default_rng(seed)
    status = "status" if column == "threshold" else f"status_{column.split('_')[-1]}"
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
        a, b = _fit(x, y)
        _, beta = _fit(x, np.log(y))
        beta_lo, beta_hi = _slope_t_interval(x, np.log(y))
        by_width = [usable[usable["d_model"] == w]["threshold"].to_numpy(float) for w in widths]
        xs = [np.full(v.size, math.log2(w)) for v, w in zip(by_width, widths)]
        gx = np.log2(np.asarray(grid if grid is not None else widths, dtype=float))
        boot_b, boot_beta, boot_curve = [], [], []
        for _ in range(n_boot):
            yb = np.concatenate([v[rng.integers(v.size, size=v.size)] for v in by_width])
            xb = np.concatenate(xs)
            ab, bb = _fit(xb, yb)
            boot_b.append(bb)
            boot_beta.append(_fit(xb, np.log(yb))[1])
            boot_curve.append(ab + bb * gx)
        boot_lo, boot_hi = np.percentile(boot_b, [2.5, 97.5])
        t_lo, t_hi = _slope_t_interval(x, y)
        # A few seeds per width make the bootstrap interval narrow: the verdict uses the wider
        # of the bootstrap and the OLS t interval.
        lo, hi = np.nanmin([boot_lo, t_lo]), np.nanmax([boot_hi, t_hi])
        blo, bhi = np.percentile(boot_beta, [2.5, 97.5])
        flo, fhi = 2.0 ** np.nanmin([blo, beta_lo]), 2.0 ** np.nanmax([bhi, beta_hi])
        verdict = "grows" if lo > 0 else ("shrinks" if hi < 0 else "is constant within the 95 % interval")
        mean_y = float(np.mean(y))
        fits.append({**row, "intercept": a, "slope": b, "slope_lo": float(lo), "slope_hi": float(hi),
                     "slope_boot_lo": float(boot_lo), "slope_boot_hi": float(boot_hi), "slope_t_lo": t_lo, "slope_t_hi": t_hi,
                     "relative_slope": b / mean_y, "factor": 2.0**beta, "factor_lo": float(flo), "factor_hi": float(fhi),
                     "verdict": verdict})
        curve = np.array(boot_curve)
        for k, D in enumerate(2.0**gx):
            bands.append({"n_layers": int(L), "n_active": int(z), "d_model": float(D), "fit": a + b * gx[k],
                          "lo": float(np.percentile(curve[:, k], 2.5)), "hi": float(np.percentile(curve[:, k], 97.5))})
    return pd.DataFrame(fits), pd.DataFrame(bands)


def shape_comparison(seeds: pd.DataFrame, column: str = "threshold") -> pd.DataFrame:
    """Per (L, z): how well the seed-mean threshold follows a power of D (log y linear in log D)
    versus a power of log D (log y linear in log log D, i.e. "log factors"): fitted exponents,
    rms residuals in log space, and the successive factors per doubling of D."""
    rows = []
    for (L, z), g in seeds.groupby(["n_layers", "n_active"], sort=True):
        m = g.groupby("d_model")[column].mean()
        m = m[np.isfinite(m) & (m > 0)]
        if len(m) < 3:
            continue
        x = np.log2(m.index.to_numpy(float))
        y = np.log(m.to_numpy(float))
        out = {"n_layers": int(L), "n_active": int(z), "measure": column}
        for name, xx in (("power_of_D", x), ("power_of_log_D", np.log(x))):
            a, b = _fit(xx, y)
            out[f"{name}_exponent"] = b / (math.log(2) if name == "power_of_D" else 1.0)
            out[f"{name}_rms"] = float(np.sqrt(np.mean((y - a - b * xx) ** 2)))
        out["factors_per_doubling"] = " ".join(f"{r:.2f}" for r in np.exp(np.diff(y)))
        rows.append(out)
    return pd.DataFrame(rows)


def summary_table(seeds: pd.DataFrame) -> pd.DataFrame:
    """Mean threshold and 95 % t interval over seeds per (L, z, D), with the worst status."""
    rows = []
    for (L, z, D), g in seeds.groupby(["n_layers", "n_active", "d_model"], sort=True):
        mean, lo, hi = frontier._mean_ci(g["threshold"].to_numpy(float))
        row = {"n_layers": int(L), "n_active": int(z), "d_model": int(D), "threshold": mean, "lo": lo, "hi": hi,
               "capacity": float(g["capacity"].mean()), "n_seeds": int(len(g)),
               "status": max(g["status"], key=frontier.STATUS_ORDER.get)}
        for crit in CRITERIA:
            if f"threshold_{crit}" in g:
                row[f"threshold_{crit}"] = float(g[f"threshold_{crit}"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def figure(seeds: pd.DataFrame, bands: pd.DataFrame, report_cfg: dict) -> bytes:
    """Threshold load vs D per L (columns) and z (colour). Top: both criteria (seeds, fit and
    bootstrap band, small-noise theory). Bottom, when available: each criterion alone (mean over
    seeds; solid: active-circuit error, dashed: false-on rate)."""
    layers = sorted(seeds["n_layers"].unique())
    zs = sorted(seeds["n_active"].unique())
    colors = dict(zip(zs, plt.cm.viridis(np.linspace(0, 0.85, len(zs)))))
    per_criterion = all(f"threshold_{c}" in seeds for c in CRITERIA)
    n_rows = 2 if per_criterion else 1
    fig, axes = plt.subplots(n_rows, len(layers), figsize=(5.2 * len(layers), 4.0 * n_rows), sharey=True, sharex=True, squeeze=False)
    widths = np.array(sorted(seeds["d_model"].unique()), dtype=float)
    for ax, L in zip(axes[0], layers):
        for z in zs:
            g = seeds[(seeds["n_layers"] == L) & (seeds["n_active"] == z)]
            ok = g[g["status"] == "ok"]
            lb = g[g["status"] == "lower_bound"]
            jitter = 1 + 0.03 * (z - np.mean(zs))
            ax.scatter(ok["d_model"] * jitter, ok["threshold"], s=14, color=colors[z], alpha=0.8)
            ax.scatter(lb["d_model"] * jitter, lb["threshold"], s=22, color=colors[z], marker="^")
            b = bands[(bands["n_layers"] == L) & (bands["n_active"] == z)] if len(bands) else bands
            if len(b):
                ax.plot(b["d_model"], b["fit"], color=colors[z], label=f"z = {z}")
                ax.fill_between(b["d_model"], b["lo"], b["hi"], color=colors[z], alpha=0.2, linewidth=0)
            th = [theory_threshold(int(D), int(L), int(z), mse_threshold=float(report_cfg["mse_threshold"])) for D in widths]
            ax.plot(widths, th, color=colors[z], linestyle=":", linewidth=1)
        ax.set_title(f"L = {L}: both criteria (fit ± 95 % bootstrap band)")
    if per_criterion:
        for ax, L in zip(axes[1], layers):
            for z in zs:
                g = seeds[(seeds["n_layers"] == L) & (seeds["n_active"] == z)].groupby("d_model")
                ax.plot(g["threshold_mse"].mean().index, g["threshold_mse"].mean(), color=colors[z], marker="o", ms=3)
                ax.plot(g["threshold_fo"].mean().index, g["threshold_fo"].mean(), color=colors[z], marker="s", ms=3, linestyle="--")
            ax.set_title(f"L = {L}: each criterion alone (— error of x, -- false-on)")
    for ax in axes.ravel():
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    for ax in axes[-1]:
        ax.set_xlabel("D (neurons per layer)")
    for row in axes:
        row[0].set_ylabel("working threshold on T(d/D)²")
    axes[0][-1].legend(fontsize=8, loc="upper right")
    fig.text(0.5, -0.01, f"dots: seeds (▲ lower bound: the largest tested T still works); dotted: small-noise theory (eq 6.55, "
             f"error of x = {report_cfg['mse_threshold']} at layer L)", ha="center", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def run_costs(run_attrs: dict) -> pd.DataFrame:
    """Per point: job seconds, peak memory, simulated seconds and the forward paths that ran."""
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


def _fmt(v, digits=3) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def _table(df: pd.DataFrame, columns: dict) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for t in columns.values())
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in columns) + "</tr>" for _, r in df.iterrows())
    return f"<table border='1' cellspacing='0' cellpadding='3'><tr>{head}</tr>{body}</table>"


MEASURES = {"threshold": "both criteria", "threshold_mse": "active-circuit error alone", "threshold_fo": "false-on rate alone"}


def measure_label(m: str) -> str:
    base, _, rest = m.partition(" ")
    return MEASURES.get(base, base) + (f" {rest}" if rest else "")


def overall(fits: pd.DataFrame, label: str) -> str | None:
    """One sentence: how many settings grow / shrink / stay, and the median factor per doubling."""
    fitted = fits[fits["verdict"].isin(["grows", "shrinks"]) | fits["verdict"].str.startswith("is constant")]
    if not len(fitted):
        return None
    counts = fitted["verdict"].str.replace("is constant within the 95 % interval", "constant", regex=False).value_counts().to_dict()
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


def render(seeds, fits, table, costs, fig_png: bytes, study: str, report_cfg: dict, extra: dict, shapes=None) -> str:
    img = base64.b64encode(fig_png).decode()
    sentences = "".join(f"<li>{html.escape(s)}</li>" for s in answer(fits))
    fit_cols = {"measure": "measure", "n_layers": "L", "n_active": "z", "widths": "widths", "slope": "b per doubling", "slope_lo": "b lo", "slope_hi": "b hi",
                "factor": "×/doubling", "factor_lo": "lo", "factor_hi": "hi", "verdict": "verdict", "below_range": "no threshold at"}
    tab_cols = {"n_layers": "L", "n_active": "z", "d_model": "D", "threshold": "threshold T(d/D)²", "lo": "95 % lo", "hi": "95 % hi",
                "capacity": "T", "threshold_mse": "error of x alone", "threshold_fo": "false-on alone", "n_seeds": "seeds", "status": "status"}
    tab_cols = {k: v for k, v in tab_cols.items() if k in table.columns}
    slow = costs.sort_values("job_seconds", ascending=False).head(8) if len(costs) else costs
    recorded = int(costs["job_seconds"].notna().sum()) if len(costs) else 0
    cost_cols = {"point": "point", "n_samples": "samples", "job_seconds": "job s", "simulate_seconds": "simulate s",
                 "peak_rss_mb": "peak MB", "forward": "forward", "batch": "batch"}
    paths = costs.groupby(["d_model", "forward"]).size().unstack(fill_value=0) if len(costs) else pd.DataFrame()
    paths_html = paths.to_html() if len(paths) else ""
    meta = "".join(f"<li>{html.escape(k)}: {html.escape(str(v))}</li>" for k, v in extra.items())
    shapes_html = _table(shapes, {c: c.replace("_", " ") for c in shapes.columns}) if shapes is not None and len(shapes) else ""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>cisim scaling – {html.escape(study)}</title></head>
<body style="font-family: sans-serif; max-width: 1100px">
<h1>Does the working threshold on T(d/D)² hold as D grows? ({html.escape(study)})</h1>
<p>A setting works when, at every layer 1..L, the active circuits' mean squared error of x stays below
{report_cfg['mse_threshold']} and the false-on rate of inactive circuits below {report_cfg['false_on_threshold']}.
Its threshold is the largest working T (interpolated to the crossing) times (d/D)²; baseline construction,
transversal allocation, S = 6. Trend: threshold = a + b·log₂ D, bootstrap over seeds.</p>
<h2>Answer</h2><ul>{sentences}</ul>
<figure><img src="data:image/png;base64,{img}" style="max-width:100%"><figcaption>Threshold load vs D; lines: fit a + b·log₂D
with its 95 % bootstrap band (drawn on log axes); dotted: small-noise theory.</figcaption></figure>
<h2>Trend fits (measure: threshold = both criteria; _mse / _fo = one criterion alone)</h2>{_table(fits, {k: v for k, v in fit_cols.items() if k in fits.columns})}
<h2>Power of D or log factors?</h2><p>Seed-mean thresholds fitted as a power of D (y ∝ D^k) and as a power of
log D (y ∝ (log D)^k, "log factors"); rms residuals of log y. Log factors would make the factor per doubling
approach 1 as D grows (×0.91–0.93 per doubling for 1/log D at these widths).</p>{shapes_html}
<h2>Thresholds per width (mean over seeds, 95 % t interval)</h2>{_table(table, tab_cols)}
<h2>What ran</h2><p>{len(costs)} points; forward path per width (points):</p>{paths_html}
<p>Slowest points (whole job: build, prepare and every seed and z), among the {recorded} points whose run file
records the job's time and memory (runs written before these attributes existed do not; `benchmarks/scaling_points.py`
reads every point's time from the logs):</p>{_table(slow, cost_cols)}
<h2>Provenance</h2><ul>{meta}</ul></body></html>"""
