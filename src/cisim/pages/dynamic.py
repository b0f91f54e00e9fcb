"""The static-vs-dynamic page (docs/cross_circuit.md §2, §4): capacity of the baseline against
cross_circuit with a permutation routing, per-layer curves at and above the static capacity,
the other routings, and computed activity against static activity at equal D. Every number
comes from `cisim.analysis.pingpong` and `cisim.analysis.computed`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import computed as computed_analysis
from ..analysis import frontier
from ..analysis import pingpong as analysis
from ..plots import pingpong as figures
from .html import figure, fmt, render, table


def _interval(x, lo, hi) -> str:
    return f"{fmt(x)} [{fmt(lo)}, {fmt(hi)}]"


def page(ds, report_cfg: dict, study: str, provenance: dict, active_counts: pd.DataFrame | None = None) -> tuple[str, dict]:
    """(html, numbers): the page and the same content as JSON-able dicts (numbers.json)."""
    mine, ds = computed_analysis.split(ds)  # the computed grid has its own section
    computed_context, computed_numbers = computed_section(mine, report_cfg) if mine is not None else ({"computed": None}, {})
    numbers = {"capacity": [], "curves_at_static_capacity": [], **computed_numbers}
    context = {"thresholds": report_cfg, "capacity_table": None, "capacity_figure": None, "ratios": [], "n_within": 0,
               "curves_figure": None, "last_layer": None, "routings": None, "active_counts": None, **computed_context}
    if ds is not None:
        static_dynamic(ds, report_cfg, active_counts, context, numbers)
    html = render("dynamic.html.j2", title=f"static vs dynamic activity – {study}", provenance=provenance, **context)
    return html, numbers


def static_dynamic(ds, report_cfg: dict, active_counts, context: dict, numbers: dict) -> None:
    """Fill `context` and `numbers` with the static-vs-routed comparison (docs/cross_circuit.md §2)."""
    _, summary = analysis.capacities(ds, report_cfg)
    matched = analysis.matched_capacities(summary)
    records = analysis.capacity_records(matched)
    curves = analysis.dynamic_curves(ds, summary)
    routings = analysis.routing_table(ds)
    numbers["capacity"] = records
    context.update(ratios=records, n_within=sum(r["ratio_lo"] <= 1.0 <= r["ratio_hi"] for r in records))
    if matched:
        rows = [{"D": st["d_model"], "L": st["n_layers"], "z": st["n_active"],
                 "static T* [95% CI]": frontier.format_capacity(st), "dynamic T* [95% CI]": frontier.format_capacity(dy),
                 "dynamic/static [95% CI]": _interval(dy["ratio"], dy["ratio_lo"], dy["ratio_hi"]),
                 "static status": st["status"], "dynamic status": dy["status"], "seeds": int(st["n_seeds"])} for st, dy in matched]
        context["capacity_table"] = table(pd.DataFrame(rows))
        context["capacity_figure"] = figure(figures.dynamic_capacity(summary, "Capacity T* of static vs dynamic activity"),
                                            "Capacity T* against z; bars: 95 % CI over seeds (log scale).", "capacity")
    if not curves.empty:
        context["curves_figure"] = figure(figures.dynamic_layers(curves), "Mean over seeds of the active error, false-on and "
                                          "false-off rates per layer, at the largest tested T where the static network still works "
                                          "(per D and z) and at the next tested T; solid static, dashed dynamic.", "curves")
        context["last_layer"] = table(analysis.last_layer(curves))
        numbers["curves_at_static_capacity"] = curves.to_dict(orient="records")
    if not routings.empty:
        context["routings"] = table(routings)
        numbers["routings"] = routings.to_dict(orient="records")
        if active_counts is not None and not active_counts.empty:
            context["active_counts"] = table(active_counts)
            numbers["active_counts"] = active_counts.to_dict(orient="records")


def computed_section(ds, report_cfg: dict) -> tuple[dict, dict]:
    """(template context, numbers) of the computed-activity section (docs/cross_circuit.md §4)."""
    seeds, summary = computed_analysis.capacities(ds, report_cfg)
    ratios = computed_analysis.paired_ratio(seeds)
    vs_post = computed_analysis.paired_ratio(seeds, "computed", "baseline")
    causes = computed_analysis.causes(ds, summary)
    criteria = [c for c in ("expected_wrong", "seizure") if f"capacity_{c}" in summary]
    rows = [{"D": int(r["d_model"]), "z": int(r["n_active"]), "design": computed_analysis.KINDS[r["kind"]],
             "T* [95% CI]": frontier.format_capacity(r), "status": r["status"], "T₀ = D/d": int(r["t0"]),
             "gain T*/T₀ [95% CI]": _interval(r["gain"], r["gain_lo"], r["gain_hi"]),
             **{f"T* ({c} alone)": fmt(r[f"capacity_{c}"]) for c in criteria}}
            for _, r in summary.sort_values(["d_model", "n_active", "kind"]).iterrows()]
    sentences = []
    for _, r in ratios.iterrows():
        D, z = int(r["d_model"]), int(r["n_active"])
        pick = lambda k: summary[(summary["d_model"] == D) & (summary["n_active"] == z) & (summary["kind"] == k)].iloc[0]  # noqa: E731
        st, co = pick("static"), pick("computed")
        post = vs_post[(vs_post["d_model"] == D) & (vs_post["n_active"] == z)]
        text = (f"D = {D}, z = {z}: computed activity holds T* = {frontier.format_capacity(co)} against "
                f"{frontier.format_capacity(st)} for the same circuits with static activity")
        if co["status"] == st["status"] == "ok":
            text += f", ratio {_interval(r['ratio'], r['ratio_lo'], r['ratio_hi'])}"
        if co["status"] == "ok":
            text += f"; against no superposition (T₀ = {int(co['t0'])}) its gain is {_interval(co['gain'], co['gain_lo'], co['gain_hi'])}"
            if not post.empty and pick("baseline")["status"] == "ok":
                text += f", and against the post's circuit at the same D {_interval(post.iloc[0]['ratio'], post.iloc[0]['ratio_lo'], post.iloc[0]['ratio_hi'])}"
        else:
            text += f" (the computed capacity is {co['status'].replace('_', ' ')} of the tested T: no ratio)"
        sentences.append(text + ".")
    cause_rows, cause_sentences = [], []
    if not causes.empty:
        last = causes[causes["layer"] == causes["n_layers"]]
        for (D, z), g in last.groupby(["d_model", "n_active"]):
            co, st = g[g["kind"] == "computed"], g[g["kind"] == "static"]
            if co.empty or st.empty:
                continue
            co, st = co.iloc[0], st.iloc[0]
            cause_rows.append({"D": int(D), "z": int(z), "T": int(co["n_circuits"]), "layer": int(co["layer"]),
                               "false-on static": fmt(st["false_on_rate"]), "false-on computed": fmt(co["false_on_rate"]),
                               "passed-over child read on": fmt(co["decision_false_on_rate"]),
                               "other inactive read on": fmt(co["interference_false_on_rate"]),
                               "share of false-on that are wrong decisions": fmt(co["decision_false_on_share"]),
                               "false-off static": fmt(st["false_off_rate"]), "false-off computed": fmt(co["false_off_rate"]),
                               "mse_x static": fmt(st["mse_x_active"]), "mse_x computed": fmt(co["mse_x_active"])})
            ratio = co["decision_false_on_rate"] / co["interference_false_on_rate"] if co["interference_false_on_rate"] > 0 else np.inf
            cause_sentences.append(
                f"D = {int(D)}, z = {int(z)}, T = {int(co['n_circuits'])} (the largest tested T where the static control works), layer "
                f"{int(co['layer'])}: a child its on parent passed over is read as on with probability {fmt(co['decision_false_on_rate'])}, "
                f"{fmt(ratio)}× the rate of the other inactive circuits ({fmt(co['interference_false_on_rate'])}); wrong decisions are "
                f"{fmt(100 * co['decision_false_on_share'])} % of the false-on circuits; false-off {fmt(co['false_off_rate'])} against "
                f"{fmt(st['false_off_rate'])} with static activity.")
    context = {"computed": True, "computed_table": table(pd.DataFrame(rows)), "computed_sentences": sentences,
               "computed_figure": figure(figures.computed_capacity(summary), "Capacity T* against z at equal D (equal neurons and "
                                         "dense parameters); bars: 95 % CI over seeds; dotted: no superposition, T₀ = D/d.", "computed"),
               "computed_causes": table(pd.DataFrame(cause_rows)) if cause_rows else None, "computed_cause_sentences": cause_sentences}
    numbers = {"computed_capacity": summary.to_dict(orient="records"), "computed_vs_static": ratios.to_dict(orient="records"),
               "computed_vs_post": vs_post.to_dict(orient="records"),
               "computed_causes": causes.to_dict(orient="records") if not causes.empty else []}
    return context, numbers
