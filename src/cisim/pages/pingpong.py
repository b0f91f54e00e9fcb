"""The ping-pong page (docs/cross_circuit.md §3): every circuit verified at z = 1, the
baseline's capacity against ping-pong's (D/d)² at equal D with the width and parameters each
pays, what the inactive circuits read at z = 1, and which pairs break at z = 2. Every number
comes from `cisim.analysis.pingpong`."""

from __future__ import annotations

import pandas as pd

from ..analysis import frontier
from ..analysis import pingpong as analysis
from ..plots import pingpong as figures
from .html import figure, render, table

VERIFICATION = {"case": "case", "family": "family", "d_model": "d_model", "d_circuit": "d_circuit", "n_layers": "n_layers",
                "n_circuits": "n_circuits", "width": "width", "max_error": "max |error|", "max_leakage": "max leakage",
                "mask_strength": "B", "seconds": "time [s]"}
EQUAL_D = {"d_model": "D", "n_layers": "L", "n_active": "z", "baseline T* [95% CI]": "baseline T* [95% CI]",
           "pingpong_T": "ping-pong T", "ratio": "ping-pong/baseline", "d_model_": "baseline width", "pingpong_width": "ping-pong width",
           "extra_width": "extra width", "baseline_weight_layers": "baseline weight matrices",
           "pingpong_weight_layers": "ping-pong weight matrices", "baseline_parameters": "baseline params",
           "pingpong_parameters": "ping-pong params", "parameters_ratio": "params ratio"}
EQUAL_PARAMETERS = {"d_model": "D", "n_layers": "L", "n_active": "z", "t0": "T₀ = D/d", "baseline_gain": "baseline T*/T₀",
                    "pingpong_gain": "ping-pong T/T₀", "width_factor": "width factor", "parameters_ratio": "parameter factor",
                    "baseline_per_mparam": "baseline T* per 10⁶ params", "pingpong_per_mparam": "ping-pong T per 10⁶ params",
                    "per_parameter_ratio": "ping-pong/baseline per param", "equal_parameter_width": "baseline width at equal params",
                    "t0_equal_parameters": "T₀ at equal params", "pingpong_gain_equal_parameters": "ping-pong T/T₀ at equal params"}


def page(ds, cases: pd.DataFrame, pairs: pd.DataFrame, report_cfg: dict, study: str, provenance: dict) -> tuple[str, dict]:
    """(html, numbers): the page and the same content as JSON-able dicts (numbers.json)."""
    numbers: dict = {}
    largest = analysis.largest_verified(cases)
    if largest is not None:
        numbers["largest_verified"] = largest
    _, summary = analysis.capacities(ds, report_cfg, kinds=("static",))
    cmp_ = analysis.equal_d(cases, summary)
    context = {"thresholds": report_cfg, "verification": table(analysis.verification(cases), VERIFICATION), "largest": largest,
               "n_exact": len(analysis.exact_cases(cases)), "n_cases": len(cases), "exact": analysis.EXACT,
               "max_error": float(cases["max_error"].max()), "equal_d": None, "equal_parameters": None, "z1": [], "capacity_figure": None,
               "aliasing": table(analysis.aliasing(cases)), "breakage": None, "linear": []}
    if not cmp_.empty:
        numbers["equal_D"] = cmp_[analysis.EQUAL_D_NUMBERS].to_dict(orient="records")
        shown = cmp_.assign(**{"baseline T* [95% CI]": [frontier.format_capacity(analysis.baseline_row(r)) for _, r in cmp_.iterrows()],
                               "d_model_": cmp_["d_model"]})
        context["equal_d"] = table(shown, EQUAL_D)
        context["equal_parameters"] = table(shown, EQUAL_PARAMETERS)
        z1 = shown[shown["n_active"] == 1]
        context["z1"] = z1.to_dict(orient="records")
        context["capacity_figure"] = figure(figures.pingpong_capacity(z1), "Circuits at z = 1: ping-pong's exact (D/d)² against "
                                            "the baseline's working capacity (95 % CI over seeds).", "capacity")
    numbers["aliased"] = cases[["case", "aliased_fraction"]].to_dict(orient="records")
    if not pairs.empty:
        context["breakage"] = table(analysis.breakage(pairs))
        numbers["z2"] = pairs.to_dict(orient="records")
        context["linear"] = pairs[(pairs["category"] == "all") & (pairs["mask"] == "linear")].to_dict(orient="records")
    html = render("pingpong.html.j2", title=f"ping-pong vs the baseline – {study}", provenance=provenance, **context)
    return html, numbers
