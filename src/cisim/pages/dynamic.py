"""The static-vs-dynamic page (docs/cross_circuit.md §2): capacity of the baseline against
cross_circuit with a permutation routing, per-layer curves at and above the static capacity,
and the other routings. Every number comes from `cisim.analysis.pingpong`."""

from __future__ import annotations

import pandas as pd

from ..analysis import frontier
from ..analysis import pingpong as analysis
from ..plots import pingpong as figures
from .html import figure, fmt, render, table


def _interval(x, lo, hi) -> str:
    return f"{fmt(x)} [{fmt(lo)}, {fmt(hi)}]"


def page(ds, report_cfg: dict, study: str, provenance: dict, active_counts: pd.DataFrame | None = None) -> tuple[str, dict]:
    """(html, numbers): the page and the same content as JSON-able dicts (numbers.json)."""
    _, summary = analysis.capacities(ds, report_cfg)
    matched = analysis.matched_capacities(summary)
    records = analysis.capacity_records(matched)
    curves = analysis.dynamic_curves(ds, summary)
    routings = analysis.routing_table(ds)
    numbers = {"capacity": records, "curves_at_static_capacity": []}
    context = {"thresholds": report_cfg, "capacity_table": None, "capacity_figure": None, "ratios": records,
               "n_within": sum(r["ratio_lo"] <= 1.0 <= r["ratio_hi"] for r in records),
               "curves_figure": None, "last_layer": None, "routings": None, "active_counts": None}
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
    html = render("dynamic.html.j2", title=f"static vs dynamic activity – {study}", provenance=provenance, **context)
    return html, numbers
