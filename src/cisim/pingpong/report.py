"""The report pages of the dynamic and ping-pong studies: static vs dynamic activity, and
ping-pong vs the baseline.

Every number on the pages is computed here from the gathered summary (`datasets.tidy`), the
ping-pong case files (`datasets.pingpong_tables`) and the capacity frontier of `cisim.frontier`
(largest T with mse_x_active < 0.1 and false-on < 1e-3 at every layer 1..L, per seed,
interpolated between the tested T; mean and 95 % t-interval over seeds). Each `*_page`
returns (html, numbers) — `numbers` is the same content as JSON-able dicts.
"""

from __future__ import annotations

import base64
import html
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .. import datasets  # noqa: E402
from ..analysis import frontier  # noqa: E402

STATIC = "baseline"
CURVE_VARS = ["mse_x_active", "false_on_rate", "false_off_rate"]
STYLE = """<style>body{font-family:sans-serif;max-width:1150px;margin:auto;padding:1em;line-height:1.4}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}figcaption{font-size:12px;color:#444}code{font-size:12px}</style>"""


# ---------------------------------------------------------------- formatting
def fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, (int, np.integer)) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    return f"{float(x):.{digits}g}"


def table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v if isinstance(v, str) else fmt(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def figure_html(data: bytes, caption: str) -> str:
    return (f"<figure><img src='data:image/png;base64,{base64.b64encode(data).decode()}' style='max-width:100%'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def page(title: str, body: str, footer: dict) -> str:
    foot = "".join(f"<li>{html.escape(k)}: <code>{html.escape(str(v))}</code></li>" for k, v in footer.items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>{STYLE}</head>"
            f"<body><h1>{html.escape(title)}</h1>{body}<h2>Provenance</h2><ul>{foot}</ul></body></html>")


def capacity_text(row) -> str:
    return frontier.format_capacity(row)


# ---------------------------------------------------------------- shared: tidy tables and the frontier
def labelled(ds, variables) -> pd.DataFrame:
    t = frontier.table(ds, variables)
    t["design"] = [frontier.design_label(p, g, a) for p, g, a in zip(t["point"], t["grid"], t["allocation"])]
    return t


def kind(label: str) -> str:
    """'static' (baseline), the routing of a cross_circuit label, or the label itself."""
    if label == STATIC:
        return "static"
    for r in ("permutation", "fan_out", "fan_in_2", "identity"):
        if f"routing{r}" in label:
            return r
    return label


def capacities(ds, report_cfg: dict, kinds=("static", "permutation")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-seed, summary) frontier of the designs whose `kind` is in `kinds`; summary gets `kind`."""
    t = labelled(ds, ["mse_x_active", "false_on_rate"])
    t = t[[kind(d) in kinds for d in t["design"]]].drop(columns="design")
    seeds, summary = frontier.frontier(t, report_cfg)
    summary["kind"] = [kind(d) for d in summary["design"]]
    seeds["kind"] = [kind(d) for d in seeds["design"]]
    return seeds, summary


# ---------------------------------------------------------------- static vs dynamic
def dynamic_curves(ds, summary: pd.DataFrame) -> pd.DataFrame:
    """Per-layer mean (and min/max over seeds) of CURVE_VARS, static vs permutation, for every
    (D, L, z) at the largest tested T where the static baseline works (where="capacity") and at
    the next tested T (where="above")."""
    t = labelled(ds, CURVE_VARS)
    t["kind"] = [kind(d) for d in t["design"]]
    rows = []
    for _, s in summary[summary["kind"] == "static"].iterrows():
        T = s["capacity_tested"]
        if not np.isfinite(T):
            continue
        same = t[(t["d_model"] == s["d_model"]) & (t["n_layers"] == s["n_layers"]) & (t["n_active"] == s["n_active"])
                 & (t["allocation"] == s["allocation"]) & (t["redundancy"] == s["redundancy"])
                 & t["kind"].isin(["static", "permutation"]) & (t["layer"] >= 1) & (t["layer"] <= t["n_layers"])]
        above = sorted(x for x in same["n_circuits"].unique() if x > T)
        for where, Tw in [("capacity", T)] + ([("above", above[0])] if above else []):
            g = same[same["n_circuits"] == Tw].groupby(["kind", "layer"])[CURVE_VARS].agg(["mean", "min", "max"])
            g.columns = [f"{v}_{s_}" if s_ != "mean" else v for v, s_ in g.columns]
            g = g.reset_index()
            g["d_model"], g["n_layers"], g["n_active"], g["n_circuits"] = int(s["d_model"]), int(s["n_layers"]), int(s["n_active"]), int(Tw)
            g["where"] = where
            rows.append(g)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def capacity_figure(summary: pd.DataFrame, title: str) -> bytes:
    panels = sorted(summary.groupby(["d_model", "n_layers"]).groups)
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(4.8 * max(1, len(panels)), 3.6), squeeze=False)
    for ax, (D, L) in zip(axes[0], panels):
        for k, (color, dx) in {"static": ("C0", -0.06), "permutation": ("C3", 0.06)}.items():
            g = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["kind"] == k)].sort_values("n_active")
            if g.empty:
                continue
            z = g["n_active"].to_numpy(float) + dx
            y = g["capacity"].to_numpy(float)
            err = np.array([y - g["capacity_lo"].to_numpy(float), g["capacity_hi"].to_numpy(float) - y])
            ax.errorbar(z, y, yerr=np.where(np.isfinite(err), err, 0), fmt="o-", color=color, capsize=3,
                        label="static (known from the start)" if k == "static" else "dynamic (permutation routing)")
        ax.set(xlabel="z (active circuits per layer)", ylabel="capacity T*", title=f"D = {D}, L = {L}", yscale="log")
        ax.set_xticks(sorted(summary["n_active"].unique()))
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    return png(fig)


def curves_figure(cur: pd.DataFrame) -> bytes:
    panels = sorted({(D, w) for D, w in zip(cur["d_model"], cur["where"])}, key=lambda p: (p[0], p[1] != "capacity"))
    fig, axes = plt.subplots(len(panels), len(CURVE_VARS), figsize=(4.3 * len(CURVE_VARS), 3.0 * len(panels)), squeeze=False)
    for r, (D, where) in enumerate(panels):
        for c, var in enumerate(CURVE_VARS):
            ax = axes[r, c]
            for z in sorted(cur["n_active"].unique()):
                for k, ls in (("static", "-"), ("permutation", "--")):
                    g = cur[(cur["d_model"] == D) & (cur["where"] == where) & (cur["n_active"] == z) & (cur["kind"] == k)].sort_values("layer")
                    if g.empty:
                        continue
                    ax.plot(g["layer"], g[var], ls, marker="o", color=f"C{int(z) - 1}",
                            label=f"z={z}, T={int(g['n_circuits'].iloc[0])}, {'static' if k == 'static' else 'dynamic'}")
            label = "at the static capacity" if where == "capacity" else "one tested T above it"
            ax.set(title=f"D = {D}, {label}: {var}", xlabel="layer", xticks=sorted(cur["layer"].unique()))
            ax.title.set_fontsize(9)
            ax.set_yscale("symlog", linthresh=1e-5 if "rate" in var else 1e-3)
            ax.set_ylim(bottom=0)
            if c == 0:
                ax.legend(fontsize=6)
    fig.tight_layout()
    return png(fig)


def routing_table(ds) -> pd.DataFrame:
    """Per-layer means over seeds of every routing other than permutation (fan_out, fan_in_2, …)."""
    t = labelled(ds, CURVE_VARS + ["mse_alpha_inactive"])
    t["kind"] = [kind(d) for d in t["design"]]
    t = t[~t["kind"].isin(["static", "permutation"]) & (t["layer"] >= 1) & (t["layer"] <= t["n_layers"])]
    if t.empty:
        return pd.DataFrame()
    g = t.groupby(["kind", "d_model", "n_circuits", "n_active", "layer"])[CURVE_VARS].mean().reset_index()
    return g


def dynamic_page(ds, report_cfg: dict, study: str, footer: dict, active_counts: pd.DataFrame | None = None) -> tuple[str, dict, dict]:
    """(html, numbers, figures {name: png bytes}) of the static-vs-dynamic page."""
    seeds, summary = capacities(ds, report_cfg)
    cur = dynamic_curves(ds, summary)
    numbers = {"capacity": [], "curves_at_static_capacity": []}
    rows = []
    for (D, L, z), g in summary.groupby(["d_model", "n_layers", "n_active"]):
        st, dy = g[g["kind"] == "static"], g[g["kind"] == "permutation"]
        if st.empty or dy.empty:
            continue
        st, dy = st.iloc[0], dy.iloc[0]
        rows.append({"D": D, "L": L, "z": z, "static T* [95% CI]": capacity_text(st), "dynamic T* [95% CI]": capacity_text(dy),
                     "dynamic/static [95% CI]": f"{fmt(dy['ratio'])} [{fmt(dy['ratio_lo'])}, {fmt(dy['ratio_hi'])}]",
                     "static status": st["status"], "dynamic status": dy["status"], "seeds": int(st["n_seeds"])})
        numbers["capacity"].append({"d_model": int(D), "n_layers": int(L), "n_active": int(z),
                                    **{f"static_{k}": float(st[k]) for k in ("capacity", "capacity_lo", "capacity_hi")},
                                    **{f"dynamic_{k}": float(dy[k]) for k in ("capacity", "capacity_lo", "capacity_hi")},
                                    "ratio": float(dy["ratio"]), "ratio_lo": float(dy["ratio_lo"]), "ratio_hi": float(dy["ratio_hi"]),
                                    "static_status": st["status"], "dynamic_status": dy["status"]})
    cap_table = pd.DataFrame(rows)
    figures = {}
    body = [
        "<p><b>Static</b>: the post's framework, where the set of active circuits is fixed by the input "
        "(design <code>baseline</code>). <b>Dynamic</b>: design <code>cross_circuit</code> with a random permutation routing per "
        "layer: circuit t at layer l computes from the state of its parent π<sub>l</sub>(t) at layer l − 1, so the active set moves "
        "every layer and is computed by the network itself, while the number of active circuits stays z. Same seeds, same "
        "allocation, same angles and inputs. Capacity T*: largest T with mse_x_active &lt; "
        f"{fmt(report_cfg['mse_threshold'])} and false-on &lt; {fmt(report_cfg['false_on_threshold'])} at every layer 1..L "
        "(<code>cisim.frontier</code>), interpolated between tested T; mean and 95 % t-interval over seeds; the ratio interval pairs seeds.</p>",
        "<h2>Capacity</h2>", table_html(cap_table) if not cap_table.empty else "<p>No matched static/dynamic points.</p>",
    ]
    if not cap_table.empty:
        figures["capacity"] = capacity_figure(summary, "Capacity T* of static vs dynamic activity")
        body.append(figure_html(figures["capacity"], "Capacity T* against z; bars: 95 % CI over seeds (log scale)."))
        within = [r for r in numbers["capacity"] if r["ratio_lo"] <= 1.0 <= r["ratio_hi"]]
        body.append(f"<p>In {len(within)} of {len(numbers['capacity'])} (D, z) settings the 95 % interval of the paired "
                    "dynamic/static capacity ratio contains 1. Ratios: "
                    + "; ".join(f"D = {r['d_model']}, z = {r['n_active']}: {fmt(r['ratio'])} [{fmt(r['ratio_lo'])}, {fmt(r['ratio_hi'])}]"
                                for r in numbers["capacity"]) + ".</p>")
    if not cur.empty:
        figures["curves"] = curves_figure(cur)
        body += ["<h2>Per layer, at and above the static capacity</h2>",
                 figure_html(figures["curves"], "Mean over seeds of the active error, false-on and false-off rates per layer, "
                             "at the largest tested T where the static network still works (per D and z) and at the next tested T; "
                             "solid static, dashed dynamic.")]
        last = cur[cur["layer"] == cur["n_layers"]]
        piv = last.pivot_table(index=["d_model", "n_active", "where", "n_circuits"], columns="kind", values=CURVE_VARS).reset_index()
        piv.columns = [" ".join(str(x) for x in c if x) for c in piv.columns]
        body.append("<p>Last layer:</p>" + table_html(piv))
        numbers["curves_at_static_capacity"] = cur.to_dict(orient="records")
    rt = routing_table(ds)
    if not rt.empty:
        body.append("<h2>Other routings</h2><p><code>fan_out</code>: T/f parents per layer with f children each, so an active "
                    "parent switches on f children and a childless circuit ends its lineage (over uniformly sampled inputs "
                    "the expected count stays z). <code>fan_in_2</code>: on only if both parents are on (AND of two "
                    "indicators), its vector from the first parent; with uniformly sampled inputs both parents of a child are "
                    "rarely on, so the active set dies out and false-on measures how well the AND suppresses one-parent-on children. "
                    "Means over seeds; NaN: no circuit active at that layer in any sample.</p>")
        body.append(table_html(rt))
        numbers["routings"] = rt.to_dict(orient="records")
        if active_counts is not None and not active_counts.empty:
            body.append("<p>Mean number of active circuits per sample the routing implies (same routings and input streams):</p>"
                        + table_html(active_counts))
            numbers["active_counts"] = active_counts.to_dict(orient="records")
    return page(f"cisim: static vs dynamic activity – {study}", "".join(body), footer), numbers, figures


# ---------------------------------------------------------------- ping-pong vs the baseline
def pingpong_page(ds, cases: pd.DataFrame, pairs: pd.DataFrame, report_cfg: dict, study: str, footer: dict) -> tuple[str, dict, dict]:
    """(html, numbers, figures) of the ping-pong page."""
    numbers: dict = {}
    figures = {}
    body = ["<p>Ping-pong (Alex Gibson, “Ping pong computation in superposition”; docs/cross_circuit.md §3) for exactly one active circuit. Variant "
            "followed: the two-one-hot layout of the public reimplementation (<code>paramluhadiya/spd</code> "
            "<code>PingPongModel</code>), i.e. the width D(1 + 2/d) quoted in the discussion under the post: D compute neurons in "
            "D/d memory blocks of d, plus one-hot(i) and one-hot(j); circuit t = (i, j) is an ordered block pair, T = (D/d)²; input "
            "x in block i; layer k maps block i → j (odd k) or j → i (even k), a −B mask from the destination's one-hot zeroes every "
            "other block and the source's one-hot supplies the circuit's bias; L weight layers for an L-layer circuit. "
            "B is computed from the circuits (twice a worst-case bound on every masked pre-activation). Not followed: the "
            "post's current L + 2 layers and width D(1 + 1/d + ⌈log₂(D/d)⌉/D), whose construction text is not available.</p>"]
    # verification
    ver = cases.sort_values(["family", "n_circuits"])[["case", "family", "d_model", "d_circuit", "n_layers", "n_circuits", "width",
                                                        "max_error", "max_leakage", "mask_strength", "seconds"]]
    body += ["<h2>z = 1: every circuit verified</h2>",
             "<p>Each of the T circuits runs once as the active circuit through the network's forward pass (block-sparse, equal "
             "to the dense product; <code>tests/test_pingpong.py</code>), and its state in the destination block is compared "
             "with its own forward pass at every layer; every other compute block must be exactly 0 (leakage).</p>",
             table_html(ver.rename(columns={"max_error": "max |error|", "max_leakage": "max leakage", "mask_strength": "B", "seconds": "time [s]"}))]
    ok = cases[(cases["max_error"] <= 1e-5) & (cases["max_leakage"] == 0)]
    if not ok.empty:
        big = ok.sort_values(["n_circuits", "seconds"], ascending=[False, True]).iloc[0]
        numbers["largest_verified"] = {"case": big["case"], "n_circuits": int(big["n_circuits"]), "seconds": float(big["seconds"]),
                                       "max_error": float(big["max_error"])}
        body.append(f"<p>All {len(ok)} of {len(cases)} cases are exact to ≤ 1e-5 with zero leakage (largest error "
                    f"{fmt(float(cases['max_error'].max()))}). Largest verified: T = {fmt(int(big['n_circuits']))} circuits "
                    f"({html.escape(big['case'])}) in {fmt(float(big['seconds']))} s.</p>")
    # accounting and capacity at equal D
    seeds, summary = capacities(ds, report_cfg, kinds=("static",))
    rows = []
    for _, c in cases[cases["family"] == "rotation"].sort_values("d_model").iterrows():
        D, L = int(c["d_model"]), int(c["n_layers"])
        for z in (1, 2):
            s = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["n_active"] == z)]
            if s.empty:
                continue
            s = s.iloc[0]
            pp_T = int(c["n_circuits"]) if z == 1 else 0
            base_params = (L - 1) * D**2 + L * D
            rows.append({"D": D, "L": L, "z": z, "baseline T* [95% CI]": capacity_text(s), "ping-pong T": pp_T,
                         "ping-pong/baseline": pp_T / s["capacity"] if s["capacity"] > 0 else float("nan"),
                         "baseline width": D, "ping-pong width": int(c["width"]), "extra width": int(c["extra_width"]),
                         "baseline weight matrices": L - 1, "ping-pong weight matrices": int(c["weight_layers"]),
                         "baseline params": base_params, "ping-pong params": int(c["parameters"]),
                         "params ratio": float(c["parameters"]) / base_params})
            numbers.setdefault("equal_D", []).append({"d_model": D, "n_layers": L, "n_active": z,
                                                      "baseline_capacity": float(s["capacity"]), "baseline_lo": float(s["capacity_lo"]),
                                                      "baseline_hi": float(s["capacity_hi"]), "baseline_status": s["status"],
                                                      "pingpong_T": pp_T, "pingpong_width": int(c["width"]),
                                                      "pingpong_weight_layers": int(c["weight_layers"]),
                                                      "baseline_parameters": base_params, "pingpong_parameters": int(c["parameters"])})
    if rows:
        cmp_ = pd.DataFrame(rows)
        body += ["<h2>Equal D: the baseline's working capacity against ping-pong's (D/d)²</h2>",
                 "<p>Baseline: the post's construction (d = 4 rotation circuits, transversal allocation, S from the sweep), "
                 "capacity by the frontier criterion above. Ping-pong: the same d = 4 rotation circuits, all (D/4)² verified "
                 "exact at z = 1; at z = 2 every pair breaks (below), so its z = 2 capacity is 0. Width and depth: ping-pong "
                 "adds 2D/d one-hot neurons per layer and, since its input is the raw x (the baseline's input A⁰ is already the "
                 "embedded first-layer pre-activation, W¹ = I), one more dense weight matrix.</p>", table_html(cmp_)]
        z1 = cmp_[cmp_["z"] == 1]
        body.append("<p>" + "; ".join(
            f"D = {r['D']}: baseline {r['baseline T* [95% CI]']} vs ping-pong {fmt(r['ping-pong T'])} "
            f"(×{fmt(r['ping-pong/baseline'])}), paying width {fmt(r['ping-pong width'])} = D + {fmt(r['extra width'])}, "
            f"{r['ping-pong weight matrices']} instead of {r['baseline weight matrices']} weight matrices, ×{fmt(r['params ratio'])} parameters"
            for _, r in z1.iterrows()) + ".</p>")
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        x = np.arange(len(z1))
        ax.bar(x - 0.2, z1["ping-pong T"], 0.4, label="ping-pong (D/d)², z = 1 (exact)", color="C2")
        base = [s for s in numbers["equal_D"] if s["n_active"] == 1]
        yb = np.array([b["baseline_capacity"] for b in base])
        err = np.array([[b["baseline_capacity"] - b["baseline_lo"] for b in base], [b["baseline_hi"] - b["baseline_capacity"] for b in base]])
        ax.bar(x + 0.2, yb, 0.4, yerr=np.where(np.isfinite(err), err, 0), capsize=3, label="baseline T*, z = 1", color="C0")
        ax.set(xticks=x, xticklabels=[f"D = {d}" for d in z1["D"]], yscale="log", ylabel="circuits")
        ax.legend(fontsize=8)
        figures["capacity"] = png(fig)
        body.append(figure_html(figures["capacity"], "Circuits at z = 1: ping-pong's exact (D/d)² against the baseline's working capacity (95 % CI over seeds)."))
    # z = 1 aliasing
    body += ["<h2>z = 1: what the inactive circuits read</h2>",
             "<p>Ping-pong represents only the active circuit. With the post's linear read-out of every circuit, the n − 1 other "
             "circuits whose output block is the active circuit's output block read its state, and with the rotation "
             "circuits they read α̂ = 1: measured fraction of inactive read-outs that are non-zero (expected 1/(n + 1) when "
             "outputs are non-zero):</p>",
             table_html(cases[["case", "n_circuits", "aliased_fraction"]].assign(**{"1/(n+1)": 1.0 / (np.sqrt(cases["n_circuits"]) + 1)}))]
    numbers["aliased"] = cases[["case", "aliased_fraction"]].to_dict(orient="records")
    # z = 2
    if not pairs.empty:
        cols = ["case", "mask", "category", "n_pairs", "prevalence", "broken_fraction", "rel_error_p10", "rel_error_median", "rel_error_p90",
                "rel_error_max", "false_off_rate", "mse_x"]
        body += ["<h2>z = 2: which circuits break, and how badly</h2>",
                 "<p>Two circuits t, u active at once; circuit t's read-out at the last layer against its own forward pass. Ordered "
                 "pairs by sharing class (exact prevalence among all T(T − 1) pairs; sampled uniformly per class, all pairs at "
                 "small T): <i>disjoint</i> blocks, <i>same_i</i>, <i>same_j</i>, <i>crossed</i> (i of one is j of the other). "
                 "broken: |error| &gt; 1e-5; relative error ‖δh‖/‖h‖. Masks: <i>linear</i> (−B·Σ of the other one-hot entries, as "
                 "verified above) and <i>offset</i> (bias −B, +B from the one-hot). Rotation circuits: false-off α̂ &lt; 0.5 "
                 "and mean ‖δx‖². Row <i>all</i>: prevalence-weighted.</p>",
                 table_html(pairs[cols].sort_values(["case", "mask", "category"]))]
        allrows = pairs[pairs["category"] == "all"]
        numbers["z2"] = pairs.to_dict(orient="records")
        lin = allrows[allrows["mask"] == "linear"]
        if not lin.empty:
            body.append("<p>Linear mask: broken fraction of all pairs " + "; ".join(
                f"{r['case']}: {fmt(r['broken_fraction'])}" for _, r in lin.iterrows()) +
                ". Two one-hot entries put −B on every block in the first layer whose destination index differs, so the read-out is "
                "exactly 0 (relative error 1); pairs sharing i leave only the sum of two circuits' biases in block i.</p>")
    return page(f"cisim: ping-pong vs the baseline – {study}", "".join(body), footer), numbers, figures


def implied_active_counts(points: list, seeds: list, exhaustive_z1: bool = True) -> pd.DataFrame:
    """Mean active circuits per sample and layer that each non-permutation routing implies, for
    the study's seeds: the routing is redrawn exactly as `cross_circuit.build_cross_circuit`
    draws it, the inputs as `cisim.jobs.simulate.simulate_point` samples them (per (seed, z) stream)."""
    from ..construction.baseline import permuted_allocations
    from ..construction.cross_circuit import draw_routing
    from ..seeds import streams
    from ..simulate import sample_inputs

    rows = []
    for p in points:
        opts = p.get("design_options", {})
        if p["design"] != "cross_circuit" or opts.get("routing") in (None, "permutation", "identity"):
            continue
        T, L = p["n_circuits"], p["n_layers"]
        for seed in seeds:
            rng = streams(seed).layers
            permuted_allocations(np.zeros((T, 1), dtype=np.int64), L, rng)  # consume the per-layer permutations
            routing = draw_routing(opts["routing"], T, L, rng, int(opts.get("fan_out", 2)))
            for z in p["n_active"]:
                inputs = sample_inputs(T, z, p["n_samples"], np.random.default_rng([seed, z]), exhaustive=exhaustive_z1 and z == 1)
                for layer, on in enumerate(routing.active_sets(inputs.active), start=1):
                    rows.append({"routing": opts["routing"], "d_model": p["d_model"], "n_circuits": T, "n_active": z,
                                 "layer": layer, "seed": seed, "active": float(on.sum(1).mean()), "max_active": int(on.sum(1).max())})
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    return df.groupby(["routing", "d_model", "n_circuits", "n_active", "layer"]).agg(
        mean_active=("active", "mean"), max_active=("max_active", "max")).reset_index()
