"""The designs comparison page: capacity frontier, per-layer curves, accounting and
sentences generated from the data that answer the four questions of the designs study
(docs/designs.md).

Inputs: the gathered summary (tables via `datasets.tidy`), the frontier tables of
`cisim.frontier`, the study's points (`config.expand_points`) for the accounting, and the
`report` config group (thresholds). Output: one self-contained HTML page (figures embedded as
base64 PNG) plus the figure files. No number on the page is typed in by hand.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import config as cisim_config  # noqa: E402
from . import datasets  # noqa: E402
from .analysis import frontier  # noqa: E402

PRETTY = {
    "baseline": "baseline",
    "redundant_indicators-embeddingshared-k3": "redundant k=3, shared",
    "redundant_indicators-embeddingindependent-k3": "redundant k=3, independent",
    "indicator_share-fraction0.3-redundancy_onNone": "indicator share 0.3",
    "indicator_share-fraction0.7-redundancy_onNone": "indicator share 0.7",
    "carried_indicators-fraction0.5": "carried pool 0.5",
    "indicator_cleanup-every2": "clean-up every 2",
}
ORDER = list(PRETTY)
CURVE_VARIABLES = ["mse_x_active", "false_on_rate", "failed_rotation_rate"]


def pretty(label: str) -> str:
    return PRETTY.get(label, label)


def order_key(label: str) -> int:
    return ORDER.index(label) if label in ORDER else len(ORDER)


# ---------------------------------------------------------------- tables
def accounting_table(points: list) -> pd.DataFrame:
    """Neurons per layer, depth, computing layers, neurons and dense parameters of every design
    at every (D, L) of the study, from each design module's `accounting` (= what its docstring
    states; checked against the built networks by tests/construction/test_contract.py)."""
    from .construction import DESIGNS

    rows = {}
    for p in points:
        spec = cisim_config.network_spec(p)
        label = frontier.design_label(cisim_config.point_label(p), p["grid"], p["allocation"])
        module = importlib.import_module(DESIGNS[spec.design].build.__module__)
        if hasattr(module, "accounting"):
            acc = module.accounting(spec)
        else:  # the baseline: D neurons, L layers, (L − 1)·D² + L·D parameters
            D, L = spec.d_model, spec.n_layers
            acc = {"neurons_per_layer": D, "depth": L, "computing_layers": L, "neurons": D * L, "parameters": (L - 1) * D**2 + L * D}
        rows[(label, spec.d_model, spec.n_layers)] = {"design": label, "d_model": spec.d_model, **acc}
    df = pd.DataFrame(list(rows.values()))
    return df.sort_values(["d_model", "computing_layers", "design"], key=lambda c: c.map(order_key) if c.name == "design" else c).reset_index(drop=True)


def curves(ds, settings: list) -> pd.DataFrame:
    """Mean over seeds of CURVE_VARIABLES per layer for matched (D, T, L, z, allocation, S) settings."""
    t = frontier.table(ds, CURVE_VARIABLES)
    t["design"] = [frontier.design_label(p, g, a) for p, g, a in zip(t["point"], t["grid"], t["allocation"])]
    out = []
    for s in settings:
        sel = t[(t["d_model"] == s["d_model"]) & (t["n_circuits"] == s["n_circuits"]) & (t["n_layers"] == s["n_layers"])
                & (t["n_active"] == s["n_active"]) & (t["allocation"] == s.get("allocation", "transversal"))
                & (t["redundancy"] == s.get("redundancy", 6)) & (t["layer"] >= 1) & (t["layer"] <= t["n_layers"])]
        g = sel.groupby(["design", "layer"])[CURVE_VARIABLES].mean().reset_index()
        for k, v in s.items():
            g[k] = v
        out.append(g)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def matched_settings(summary: pd.DataFrame, ds) -> list:
    """A few matched settings for the per-layer curves: z = 2 at the baseline's tested capacity
    (one T step past it shows the failure) for each (D, L) of the transversal S = 6 grids."""
    t = frontier.table(ds, ["mse_x_active"])
    out = []
    for (D, L), g in summary[(summary["allocation"] == "transversal") & (summary["redundancy"] == 6)
                             & (summary["design"] == frontier.BASELINE) & (summary["n_active"] == 2)].groupby(["d_model", "n_layers"]):
        tested = sorted(t[(t["d_model"] == D) & (t["n_layers"] == L) & (t["allocation"] == "transversal")]["n_circuits"].unique())
        cap = g["capacity_tested"].iloc[0]
        nxt = [x for x in tested if x > cap]
        for T in ([int(cap)] if cap == cap else []) + nxt[:1]:
            out.append({"d_model": int(D), "n_circuits": int(T), "n_layers": int(L), "n_active": 2})
    return out


# ---------------------------------------------------------------- figures
def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def frontier_figure(summary: pd.DataFrame) -> bytes:
    """Capacity T* against z per design, one panel per (D, L) (transversal, S = 6); error bars:
    95 % CI over seeds; open markers: lower bounds (the largest tested T still works)."""
    s = summary[(summary["allocation"] == "transversal") & (summary["redundancy"] == 6)]
    panels = sorted(s.groupby(["d_model", "n_layers"]).groups)
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(4.6 * max(1, len(panels)), 3.8), squeeze=False, sharey=False)
    designs = sorted(s["design"].unique(), key=order_key)
    for ax, (D, L) in zip(axes[0], panels):
        for i, d in enumerate(designs):
            g = s[(s["d_model"] == D) & (s["n_layers"] == L) & (s["design"] == d)].sort_values("n_active")
            if g.empty:
                continue
            x = g["n_active"] + (i - len(designs) / 2) * 0.05
            y = g["capacity"].where(g["status"] != "below_range", g["t_min"] * 0.8)
            err = np.vstack([(g["capacity"] - g["capacity_lo"]).fillna(0).clip(lower=0), (g["capacity_hi"] - g["capacity"]).fillna(0).clip(lower=0)])
            line = ax.errorbar(x, y, yerr=err, marker="o", ms=4, capsize=2, lw=1.2, label=pretty(d))
            lb = g["status"] != "ok"
            ax.scatter(x[lb], y[lb], s=60, facecolors="none", edgecolors=line[0].get_color(), zorder=5)
        ax.set_yscale("log")
        ax.set_xlabel("active circuits z")
        ax.set_title(f"D = {D}, L = {L}")
        ax.set_xticks([1, 2, 3, 4])
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("capacity T* (largest working T)")
    axes[0][-1].legend(fontsize=7, loc="upper right")
    fig.suptitle("Capacity frontier (open circle: bound — the largest tested T works, or the smallest fails)", fontsize=9)
    return _png(fig)


def curves_figure(cur: pd.DataFrame) -> bytes:
    """Per-layer mean error, false-on and failed-rotation rates per design at matched settings
    (values below 1e-6, including exact zeros, are drawn at 1e-6)."""
    settings = cur[["d_model", "n_circuits", "n_layers", "n_active"]].drop_duplicates().to_dict("records")
    fig, axes = plt.subplots(len(settings), 3, figsize=(13, 3.0 * len(settings)), squeeze=False)
    for row, s in zip(axes, settings):
        g = cur[(cur["d_model"] == s["d_model"]) & (cur["n_circuits"] == s["n_circuits"]) & (cur["n_layers"] == s["n_layers"]) & (cur["n_active"] == s["n_active"])]
        for ax, var in zip(row, CURVE_VARIABLES):
            for d in sorted(g["design"].unique(), key=order_key):
                h = g[g["design"] == d].sort_values("layer")
                ax.plot(h["layer"], h[var].clip(lower=1e-6), marker="o", ms=3, label=pretty(d))
            ax.set_yscale("log")
            ax.set_title(f"{var}: D={s['d_model']}, T={s['n_circuits']}, L={s['n_layers']}, z={s['n_active']}", fontsize=8)
            ax.set_xlabel("computing layer")
            ax.grid(alpha=0.3, which="both")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


# ---------------------------------------------------------------- sentences
def _cap(row) -> str:
    return frontier.format_capacity(row)


def _ratio(row) -> str:
    if not np.isfinite(row["ratio"]):
        return "–"
    ci = f" [{row['ratio_lo']:.2f}, {row['ratio_hi']:.2f}]" if np.isfinite(row.get("ratio_lo", np.nan)) else ""
    bound = " (bound)" if row["status"] != "ok" or row["baseline_status"] != "ok" else ""
    return f"×{row['ratio']:.2f}{ci}{bound}"


def _row(summary, design, D, z, L, allocation="transversal", S=6):
    g = summary[(summary["design"] == design) & (summary["d_model"] == D) & (summary["n_active"] == z)
                & (summary["n_layers"] == L) & (summary["allocation"] == allocation) & (summary["redundancy"] == S)]
    return None if g.empty else g.iloc[0]


def _compare(summary, designs, D, z, L) -> str:
    base = _row(summary, "baseline", D, z, L)
    if base is None:
        return ""
    parts = []
    for d in designs:
        r = _row(summary, d, D, z, L)
        if r is not None:
            parts.append(f"{pretty(d)}: {_cap(r)} ({_ratio(r)})")
    return f"at D = {D}, z = {z}, L = {L}: baseline {_cap(base)}; " + "; ".join(parts)


def _wins(summary, design, other="baseline") -> tuple[int, int, int]:
    """(better, worse, total) over matched (D, z, L) transversal S = 6 settings with status ok on both."""
    s = summary[(summary["allocation"] == "transversal") & (summary["redundancy"] == 6)]
    better = worse = total = 0
    for (D, z, L), g in s.groupby(["d_model", "n_active", "n_layers"]):
        a, b = g[g["design"] == design], g[g["design"] == other]
        if a.empty or b.empty:
            continue
        a, b = a.iloc[0], b.iloc[0]
        if not (np.isfinite(a["capacity"]) and np.isfinite(b["capacity"])):
            continue
        total += 1
        # a CI-separated difference only
        if a["capacity_lo"] > b["capacity_hi"]:
            better += 1
        elif a["capacity_hi"] < b["capacity_lo"]:
            worse += 1
    return better, worse, total


def false_on_at(ds, designs, D, T, L, z) -> dict:
    """Last-layer false-on rate (mean over seeds) per design at one matched point."""
    t = frontier.table(ds, ["false_on_rate"])
    t = t[(t["d_model"] == D) & (t["n_circuits"] == T) & (t["n_layers"] == L) & (t["n_active"] == z)
          & (t["layer"] == L) & (t["allocation"] == "transversal") & (t["redundancy"] == 6)]
    t = t.assign(design=[frontier.design_label(p, g, a) for p, g, a in zip(t["point"], t["grid"], t["allocation"])])
    return {d: float(t[t["design"] == d]["false_on_rate"].mean()) for d in designs if (t["design"] == d).any()}


def _short(row, c: str) -> str:
    v, st = row[f"capacity_{c}"], row[f"status_{c}"]
    if st == "below_range":
        return f"<{row['t_min']:.0f}"
    return ("≥" if st == "lower_bound" else "") + f"{v:.0f}"


def criteria_sentence(summary, designs, D, L) -> str:
    """Capacity with each criterion alone (false-on rate; mean error of x), z = 1..4."""
    parts = {"fo": [], "mse": []}
    for d in ["baseline", *designs]:
        rows = [_row(summary, d, D, z, L) for z in (1, 2, 3, 4)]
        if any(r is None for r in rows):
            continue
        for c in parts:
            parts[c].append(f"{pretty(d)} {'/'.join(_short(r, c) for r in rows)}")
    if not parts["fo"]:
        return ""
    return (f"At D = {D}, L = {L}, z = 1/2/3/4, the false-on criterion alone allows T* = " + "; ".join(parts["fo"])
            + "; the error criterion alone allows " + "; ".join(parts["mse"]) + ".")


def answers(summary: pd.DataFrame, ds, settings: list) -> dict:
    """One paragraph (list of sentences) per question of the designs study, filled from the data."""
    red = ["redundant_indicators-embeddingindependent-k3", "redundant_indicators-embeddingshared-k3"]
    share = ["indicator_share-fraction0.3-redundancy_onNone", "indicator_share-fraction0.7-redundancy_onNone"]
    carry = ["carried_indicators-fraction0.5", "indicator_cleanup-every2"]
    key = sorted({(int(r.d_model), int(r.n_layers)) for r in summary.itertuples() if r.allocation == "transversal"}, key=lambda k: (-k[0], k[1]))
    out = {}
    for q, designs in (("redundant", red), ("share", share), ("carried", carry)):
        sents = []
        for D, L in key:
            for z in (1, 2, 3, 4):
                s = _compare(summary, designs, D, z, L)
                if s:
                    sents.append(s[0].upper() + s[1:] + ".")
        for d in designs:
            b, w, n = _wins(summary, d)
            if n:
                sents.append(f"Over the {n} matched (D, z, L) settings, {pretty(d)} has a capacity CI entirely above the baseline's in {b} and entirely below in {w}.")
        for D, L in key:
            c = criteria_sentence(summary, designs, D, L)
            if c:
                sents.append(c)
        if q == "redundant":
            b, w, n = _wins(summary, red[0], red[1])
            if n:
                sents.append(f"Independent versus shared embedding of the k = 3 copies: independent higher (CI-separated) in {b}, lower in {w} of {n} settings.")
        for s in settings[:2]:
            fo = false_on_at(ds, ["baseline", *designs], s["d_model"], s["n_circuits"], s["n_layers"], s["n_active"])
            if fo:
                sents.append(f"Last-layer false-on rate at D = {s['d_model']}, T = {s['n_circuits']}, L = {s['n_layers']}, z = {s['n_active']}: "
                             + ", ".join(f"{pretty(d)} {v:.2e}" for d, v in fo.items()) + ".")
        out[q] = sents
    sents = []
    base = summary[(summary["design"] == "baseline") & (summary["d_model"] == 1000) & (summary["n_layers"] == 4)]
    by_s = base[base["allocation"] == "transversal"].sort_values(["n_active", "redundancy"])
    for z, g in by_s.groupby("n_active"):
        if g["redundancy"].nunique() > 1:
            sents.append(f"Baseline, transversal, D = 1000, L = 4, z = {z}: " + "; ".join(f"S = {int(r.redundancy)}: {_cap(r._asdict())}" for r in g.itertuples()) + ".")
    for d in ("baseline", "carried_indicators-fraction0.5"):
        g = summary[(summary["design"] == d) & (summary["d_model"] == 1000) & (summary["n_layers"] == 4) & (summary["redundancy"] == 6)]
        for z, h in g.groupby("n_active"):
            if h["allocation"].nunique() > 1:
                sents.append(f"{pretty(d)}, D = 1000, S = 6, L = 4, z = {z}: " + "; ".join(f"{r.allocation}: {_cap(r._asdict())}" for r in h.sort_values("allocation").itertuples()) + ".")
    out["redundancy"] = sents
    return out


# ---------------------------------------------------------------- page
QUESTIONS = {
    "redundant": "1. Error-correcting (redundant) on-indicators: k = 3 pairs read as their mean, shared vs independent embedding, at equal D.",
    "share": "2. A larger (or smaller) share of D for the on-indicators.",
    "carried": "3. Indicators computed once and carried in a fixed pool, or cleaned by extra layers.",
    "redundancy": "4. Larger S once an allocation without the prime-step cap is used; allocations at equal (D, S, T).",
}


def capacity_table_html(summary: pd.DataFrame, D: int, L: int, allocation="transversal", S=6) -> str:
    s = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["allocation"] == allocation) & (summary["redundancy"] == S)]
    if s.empty:
        return ""
    zs = sorted(s["n_active"].unique())
    head = "".join(f"<th>z = {z}: T* [95 % CI]</th><th>ratio</th><th>FO / MSE alone</th>" for z in zs)
    body = []
    for d in sorted(s["design"].unique(), key=order_key):
        cells = []
        for z in zs:
            r = s[(s["design"] == d) & (s["n_active"] == z)]
            cells.append("<td>–</td><td>–</td><td>–</td>" if r.empty else f"<td>{html.escape(_cap(r.iloc[0]))}</td><td>{html.escape(_ratio(r.iloc[0]))}</td>"
                         f"<td>{html.escape(_short(r.iloc[0], 'fo'))} / {html.escape(_short(r.iloc[0], 'mse'))}</td>")
        body.append(f"<tr><td>{html.escape(pretty(d))}</td>{''.join(cells)}</tr>")
    return f"<h3>D = {D}, L = {L}, {allocation}, S = {S}</h3><table><tr><th>design</th>{head}</tr>{''.join(body)}</table>"


def table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in df.itertuples(index=False))
    return f"<table><tr>{head}</tr>{rows}</table>"


def render(summary: pd.DataFrame, ds, points: list, report_cfg: dict, study: str, figures: dict, extra: dict | None = None) -> str:
    settings = matched_settings(summary, ds)
    ans = answers(summary, ds, settings)
    acc = accounting_table(points)
    acc = acc.assign(design=acc["design"].map(pretty))
    tables = []
    for D, L in sorted({(int(r.d_model), int(r.n_layers)) for r in summary.itertuples() if r.allocation == "transversal"}, key=lambda k: (-k[0], k[1])):
        tables.append(capacity_table_html(summary, D, L))
    alloc = summary[(summary["allocation"] != "transversal")]
    for d in sorted(alloc["design"].unique(), key=order_key) if not alloc.empty else []:
        for a in sorted(alloc[alloc["design"] == d]["allocation"].unique()):
            tables.append(capacity_table_html(summary[summary["design"].isin([d, "baseline"])], 1000, 4, allocation=a))
    for S in sorted(summary["redundancy"].unique()):
        if S != 6:
            tables.append(capacity_table_html(summary[summary["design"] == "baseline"], 1000, 4, S=int(S)))
    imgs = "".join(f"<figure><img src='data:image/png;base64,{base64.b64encode(b).decode()}' style='max-width:100%'><figcaption>{html.escape(c)}</figcaption></figure>"
                   for b, c in figures.values())
    qa = "".join(f"<h3>{html.escape(QUESTIONS[q])}</h3><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in ans.get(q, [])) + "</ul>" for q in QUESTIONS)
    meta = "".join(f"<li>{html.escape(k)}: {html.escape(str(v))}</li>" for k, v in (extra or {}).items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>cisim designs comparison – {html.escape(study)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}}table{{border-collapse:collapse;font-size:12px;margin:0.5em 0}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}td:first-child{{text-align:left}}</style></head><body>
<h1>Alternative indicator designs at equal width D and equal computing depth L ({html.escape(study)})</h1>
<p>A point (design, allocation, D, S, L, T, z) <em>works</em> when, at every read-out layer through the last, the mean squared
error of x of the active circuits stays below {report_cfg['mse_threshold']} and the false-on rate below {report_cfg['false_on_threshold']}.
The capacity T* is the largest working T of the sweep (interpolated in log–log between the last working and the first failing T;
"≥" marks a lower bound: the largest tested T, often the allocation's capacity, still works; "&lt;" a sweep whose smallest T fails),
per seed, then mean and 95 % Student-t CI over {int(summary['n_seeds'].max())} seeds. Ratios are to the baseline at the same (allocation, D, S, L, z),
with the t CI of the paired per-seed ratios. Method: <code>cisim.frontier</code>.</p>
<h2>Answers, generated from the data</h2>{qa}
<h2>Capacity tables</h2>{''.join(tables)}
<h2>Figures</h2>{imgs}
<h2>Fair comparison: neurons, parameters and depth</h2>
<p>L counts computing layers only; every design has width D. Depth = activation layers of the network (clean-up layers included).
Parameters count every dense weight and bias ((depth − 1)·D² + depth·D; W⁰ = I is the input embedding).</p>
{table_html(acc)}
<h2>Provenance</h2><ul>{meta}</ul></body></html>"""
