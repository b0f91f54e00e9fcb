"""The designs comparison page: the answers to the study's four questions in sentences, the
capacity tables, each design at its best S, the figures and the neuron/parameter accounting
(docs/designs.md).

The numbers come from `analysis.designs` (facts, tables) and `analysis.frontier` (capacities);
this module words them and renders `templates/designs.html.j2`. No number is typed in by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import designs, frontier
from ..analysis.criteria import WORDS, Criteria
from .html import figure, fmt, render as render_template, table

QUESTIONS = {
    "reference": "0. Against no superposition: T₀ = D/d circuits, each on its own d neurons (S = 1), are computed exactly at every z.",
    "redundant": "1. Error-correcting (redundant) on-indicators: k = 3 pairs read as their mean, shared vs independent embedding, at equal D.",
    "share": "2. A larger (or smaller) share of D for the on-indicators.",
    "carried": "3. Indicators computed once and carried in a fixed pool, or cleaned by extra layers.",
    "redundancy": "4. Larger S once an allocation without the prime-step cap is used; allocations at equal (D, S, T).",
}
ALONE = {suffix: f"{words} criterion" for suffix, words in WORDS.items()}  # criterion suffix → words


# ---------------------------------------------------------------- words for numbers
def capacity(row) -> str:
    """T* with its CI, or its bound (`analysis.frontier.format_capacity`)."""
    return frontier.format_capacity(row)


def capacity_alone(row, criterion: str) -> str:
    """T* with one criterion alone (a suffix of ALONE), mean over seeds, or its bound."""
    return frontier.format_capacity({"capacity": row[f"capacity_{criterion}"], "status": row[f"status_{criterion}"],
                                     "capacity_lo": np.nan, "t_min": row["t_min"]})


def ratio(row) -> str:
    """'×1.2 [1.1, 1.3]' (ratio to the baseline, paired t CI), '(bound)' when either side is a bound."""
    if not np.isfinite(row["ratio"]):
        return "–"
    ci = f" [{fmt(row['ratio_lo'])}, {fmt(row['ratio_hi'])}]" if np.isfinite(row.get("ratio_lo", np.nan)) else ""
    bound = " (bound)" if row["status"] != "ok" or row["baseline_status"] != "ok" else ""
    return f"×{fmt(row['ratio'])}{ci}{bound}"


def gain(row) -> str:
    """'×0.99 [0.95, 1.03]' (T*/T₀ with the capacity's CI over T₀), '≥ ×1.2' (lower bound) or
    '< ×0.1' (the sweep's smallest T fails)."""
    if row["status"] == "below_range":
        return f"< ×{fmt(row['t_min'] / row['t0'])}"
    if row["status"] == "lower_bound":
        return f"≥ ×{fmt(row['gain'])}"
    ci = f" [{fmt(row['gain_lo'])}, {fmt(row['gain_hi'])}]" if np.isfinite(row["gain_lo"]) else ""
    return f"×{fmt(row['gain'])}{ci}"


def _zs(zs) -> str:
    return ", ".join(map(str, zs))


def sentence(fact: dict) -> str:
    """One fact of `analysis.designs.answers` in words, as a sentence (capital first letter)."""
    text = _words(fact)
    return text[0].upper() + text[1:]


def _words(fact: dict) -> str:
    kind, p = fact["kind"], designs.pretty
    if kind == "compare":
        parts = "; ".join(f"{p(d)}: {capacity(r)} ({ratio(r)}{_gain_of(r)})" for d, r in fact["rows"])
        base = fact["baseline"]
        ref = f" (T₀ = D/d = {fmt(int(base['t0']))}, gain {gain(base)})" if "t0" in base else ""
        return (f"At D = {fact['d_model']}, z = {fact['n_active']}, L = {fact['n_layers']}: "
                f"baseline {capacity(base)}{ref}; {parts}.")
    if kind == "reference_panel":
        best = "; ".join(f"z = {z}: {p(d)} {gain(r)}" for z, (d, r) in fact["best"].items())
        beaten = (f"some design beats no superposition (gain CI above 1) at z = {_zs(fact['beaten'])}"
                  if fact["beaten"] else "no design beats no superposition at any z")
        rest = f", none does at z = {_zs(fact['not_beaten'])}" if fact["beaten"] and fact["not_beaten"] else ""
        return f"At D = {fact['d_model']}, L = {fact['n_layers']}, {beaten}{rest}; the largest gain T*/T₀ per z is {best}."
    if kind == "reference_overall":
        return (f"At D ≤ {fact['d_max']}, no design beats no superposition at z ≥ {fact['z_from']}: there a disjoint embedding of "
                f"D/d circuits computes at least as many circuits, exactly.")
    if kind == "wins":
        return (f"Over the {fact['total']} matched (D, z, L) settings, {p(fact['design'])} has a capacity CI entirely above "
                f"the baseline's in {fact['better']} and entirely below in {fact['worse']}.")
    if kind == "criteria":
        have = [c for c in ALONE if all(f"capacity_{c}" in r for _, rows in fact["rows"] for r in rows)]
        alone = {c: "; ".join(f"{p(d)} {'/'.join(capacity_alone(r, c) for r in rows)}" for d, rows in fact["rows"]) for c in have}
        return (f"At D = {fact['d_model']}, L = {fact['n_layers']}, z = {'/'.join(map(str, fact['zs']))}, each criterion alone "
                f"allows T* = " + "; ".join(f"{ALONE[c]}: {alone[c]}" for c in have) + ".")
    if kind == "independent_vs_shared":
        return (f"Independent versus shared embedding of the k = 3 copies: independent higher (CI-separated) in "
                f"{fact['better']}, lower in {fact['worse']} of {fact['total']} settings.")
    if kind == "false_on":
        rates = ", ".join(f"{p(d)} {fmt(v)}" for d, v in fact["rates"].items())
        return (f"Last-layer false-on rate at D = {fact['d_model']}, T = {fact['n_circuits']}, L = {fact['n_layers']}, "
                f"z = {fact['n_active']}: {rates}.")
    if kind == "by_redundancy":
        return (f"Baseline, {fact['allocation']}, D = {fact['d_model']}, L = {fact['n_layers']}, z = {fact['n_active']}: "
                + _capacities((f"S = {S}", r) for S, r in fact["rows"]))
    if kind == "by_allocation":
        return (f"{p(fact['design'])}, D = {fact['d_model']}, S = {fact['redundancy']}, L = {fact['n_layers']}, "
                f"z = {fact['n_active']}: " + _capacities(fact["rows"]))
    if kind == "best_s":
        return _best_s_words(fact)
    raise ValueError(f"fact kind={kind!r} has no sentence")


def _capacities(rows) -> str:
    """'S = 4: 355 [340, 370]; S = 6: 407 [396, 418].': T* per (label, row) pair."""
    return "; ".join(f"{label}: {capacity(r)}" for label, r in rows) + "."


def _over_t0(row) -> str:
    """'gain ×1.63 over T₀ = 250'."""
    return f"gain {gain(row)} over T₀ = {fmt(int(row['t0']))}"


def _names(labels) -> str:
    return ", ".join(designs.pretty(d) for d in labels) or "none"


def _axis_gain(row, column: str) -> str:
    """A gain on one cost axis: '×2.6', '≥ ×2.6' (lower bound), '–' (no capacity)."""
    if not np.isfinite(row.get(column, np.nan)):
        return "–"
    return f"{'≥ ' if row['status'] == 'lower_bound' else ''}×{fmt(row[column])}"


def _at_best_s(row) -> str:
    """'407 [396, 418] at S = 6 (gain ×1.63 over T₀ = 250)', or '< 25 at every S'."""
    if not np.isfinite(row["redundancy"]):
        return f"{capacity(row)} at every S"
    return f"{capacity(row)} at S = {int(row['redundancy'])} ({_over_t0(row)})"


def _best_s_words(fact: dict) -> str:
    parts = []
    for f in fact["per_z"]:
        words = []
        if f["top"] is not None:
            d, r = f["top"]
            words.append(f"largest {designs.pretty(d)}, {_at_best_s(r)}, per neuron {_axis_gain(r, 'gain_neurons')}, "
                         f"per dense parameter {_axis_gain(r, 'gain_parameters_dense')}")
        if f["baseline"] is not None and (f["top"] is None or f["top"][0] != frontier.BASELINE):
            words.append(f"baseline {_at_best_s(f['baseline'])}")
        if f["above"] or f["below"] or f["overlap"]:
            words.append(f"95 % CI above the baseline's: {_names(f['above'])}; below: {_names(f['below'])}; "
                         f"overlapping: {_names(f['overlap'])}")
        parts.append(f"z = {f['n_active']}: " + "; ".join(words or ["no design has a capacity"]))
    text = (f"At D = {fact['d_model']}, L = {fact['n_layers']}, each design at its own best S, at equal D: "
            + "; ".join(parts) + ".")
    if fact["edges"]:
        text += (" S range edge (the true best S may lie outside the tested S): "
                 + ", ".join(f"{designs.pretty(d)} z = {z} (S = {S}, the {'smallest' if e == 'low' else 'largest'} tested)"
                             for d, z, S, e in fact["edges"]) + ".")
    if fact["single"]:
        text += " One S tested only: " + ", ".join(f"{designs.pretty(d)} (S = {S})" for d, S in fact["single"]) + "."
    return text


def _gain_of(row) -> str:
    return f"; {_over_t0(row)}" if "t0" in row else ""


def capacity_table(summary: pd.DataFrame, D: int, L: int, allocation: str, S: int) -> dict | None:
    """One capacity table (heading, header cells, rows of cells): per design its circuit width d
    and T₀ = D/d, then per z T* with its CI, the ratio to the baseline (equal D), the gain T*/T₀
    over no superposition and T* with each criterion alone. `summary` must carry the reference
    (`analysis.designs.with_reference`). None without rows."""
    s = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["allocation"] == allocation)
                & (summary["redundancy"] == S)]
    if s.empty:
        return None
    zs = sorted(int(z) for z in s["n_active"].unique())
    header = ["design", "d", "T₀ = D/d"] + [h for z in zs for h in (f"z = {z}: T* [95 % CI]", "ratio", "gain T*/T₀", "FO / MSE alone")]
    rows = []
    for d in designs.sorted_designs(s["design"]):
        first = s[s["design"] == d].iloc[0]
        cells = [designs.pretty(d), fmt(int(first["d_circuit"])), fmt(int(first["t0"]))]
        for z in zs:
            r = designs.row(s, d, D, z, L, allocation, S)
            cells += ["–"] * 4 if r is None else [capacity(r), ratio(r), gain(r), f"{capacity_alone(r, 'fo')} / {capacity_alone(r, 'mse')}"]
        rows.append(cells)
    return {"heading": f"D = {D}, L = {L}, {allocation}, S = {S}", "header": header, "rows": rows}


def capacity_tables(summary: pd.DataFrame, ref: designs.Slice) -> list[dict]:
    """The design comparison per (D, L) at the reference allocation and S; then, at the reference
    (D, L), each design with other allocations beside the baseline, and the baseline at other S."""
    tables = [capacity_table(summary, D, L, ref.allocation, ref.redundancy) for D, L in designs.panels(summary, ref.allocation)]
    other = summary[summary["allocation"] != ref.allocation]
    for d in designs.sorted_designs(other["design"]):
        for a in sorted(other[other["design"] == d]["allocation"].unique()):
            pair = summary[summary["design"].isin([d, frontier.BASELINE])]
            tables.append(capacity_table(pair, ref.d_model, ref.n_layers, a, ref.redundancy))
    base = summary[summary["design"] == frontier.BASELINE]
    for S in sorted(int(S) for S in summary["redundancy"].unique() if S != ref.redundancy):
        tables.append(capacity_table(base, ref.d_model, ref.n_layers, ref.allocation, S))
    return [t for t in tables if t is not None]


BEST_S_HEADER = ["design", "D", "L", "z", "best S", "T* [95 % CI]", "gain T*/T₀ (equal D)", "gain per neuron",
                 "gain per dense param", "T* per tested S", "note"]


def s_curve_cell(curve: pd.DataFrame) -> str:
    """'S=4: 355, S=6: 407, S=12: ≥ 300': T* at every tested S of one S curve (rows of
    `analysis.frontier.redundancy_curve`), means over seeds, bounds marked."""
    return ", ".join(f"S={int(r['redundancy'])}: {frontier.format_capacity({**r, 'capacity_lo': np.nan})}"
                     for _, r in curve.iterrows())


def best_s_cell(row) -> str:
    """The best S, with 'S range edge' when it is the smallest or largest S tested and 'only S
    tested' when it is the one S tested; '–' when every S fails at its smallest T."""
    if not np.isfinite(row["redundancy"]):
        return "–"
    edge = {"low": " (S range edge: smallest tested)", "high": " (S range edge: largest tested)", "single": " (only S tested)"}
    return f"{int(row['redundancy'])}{edge.get(row['s_edge'], '')}"


def best_s_note(row) -> str:
    """How the best S was chosen where it needs saying: a lower bound chosen, other S within
    the CI, other S whose lower bound may be higher."""
    notes = []
    if row["s_rule"] != "measured":
        notes.append(row["s_rule"])
    if row["s_within_ci"]:
        notes.append("CI overlaps S = " + ", ".join(map(str, row["s_within_ci"])))
    if row["s_open"]:
        notes.append("lower bound, not comparable, at S = " + ", ".join(map(str, row["s_open"])))
    return "; ".join(notes)


def best_s_table(best: pd.DataFrame, curve: pd.DataFrame) -> dict | None:
    """The best-S table (header, rows of cells) of `analysis.designs.best_s`; None when empty."""
    if best.empty:
        return None
    key = frontier.S_GROUP
    curves = {k: g for k, g in curve.groupby(key, sort=False)}
    rows = []
    for _, r in best.iterrows():
        rows.append([designs.pretty(r["design"]), fmt(int(r["d_model"])), fmt(int(r["n_layers"])), fmt(int(r["n_active"])),
                     best_s_cell(r), capacity(r), gain(r), _axis_gain(r, "gain_neurons"), _axis_gain(r, "gain_parameters_dense"),
                     s_curve_cell(curves[tuple(r[k] for k in key)]), best_s_note(r)])
    return {"header": BEST_S_HEADER, "rows": rows}


AXES = {"neurons": "neuron", "parameters_dense": "dense parameter", "parameters_nonzero": "non-zero parameter",
        "parameters_structured": "structured parameter"}
COST_COLUMNS = {"design": "design", "d_model": "D", "n_layers": "L", "d_circuit": "d", "n_circuits": "T counted",
                "counted": "counted on", "neurons": "neurons", "parameters_dense": "params dense",
                "parameters_nonzero": "params non-zero", "parameters_structured": "params structured",
                "capacity_text": "T*", "gain_text": "gain at equal D", "per_kneurons": "T* per 10³ neurons",
                "ref_per_kneurons": "T₀ per 10³ neurons", "gain_neurons": "gain per neuron",
                "per_mparams": "T* per 10⁶ non-zero params", "ref_per_mparams": "T₀ per 10⁶ non-zero params",
                "gain_parameters_nonzero": "gain per non-zero param", "gain_parameters_dense": "gain per dense param",
                "gain_parameters_structured": "gain per structured param"}


def cost_rows(cost: pd.DataFrame) -> pd.DataFrame:
    """`analysis.designs.cost_table` in the page's units (per 10³ neurons, per 10⁶ parameters)."""
    return cost.assign(design=cost["design"].map(designs.pretty),
                       capacity_text=[capacity(r) for _, r in cost.iterrows()], gain_text=[gain(r) for _, r in cost.iterrows()],
                       per_kneurons=1e3 * cost["per_neurons"], ref_per_kneurons=1e3 * cost["ref_per_neurons"],
                       per_mparams=1e6 * cost["per_parameters_nonzero"], ref_per_mparams=1e6 * cost["ref_per_parameters_nonzero"])


def cost_sentences(cost: pd.DataFrame) -> list[str]:
    """Per (D, L) of the cost table: on each axis, the largest gain over no superposition and how
    many designs exceed 1 there."""
    out = []
    for (D, L), g in cost.groupby(["d_model", "n_layers"], sort=False):
        g = g[np.isfinite(g["capacity"])]
        if g.empty:
            continue
        parts = []
        for axis, name in AXES.items():
            top = g.loc[g[f"gain_{axis}"].idxmax()]
            above = int((g[f"gain_{axis}"] > 1).sum())
            parts.append(f"per {name} the best is {designs.pretty(top['design'])} (×{fmt(top[f'gain_{axis}'])}), "
                         f"{above} of {len(g)} above 1")
        out.append(f"At D = {D}, L = {L}, z = {int(g['n_active'].iloc[0])}, against no superposition of the same "
                   f"circuit width and computing depth: " + "; ".join(parts) + ".")
    return out


def captions(ref: designs.Slice) -> dict:
    return {
        "frontier": (f"Capacity frontier per design and z ({ref.allocation}, S = {ref.redundancy}); bars: 95 % CI over seeds; "
                     "grey lines: the no-superposition reference T₀ = D/d of each circuit width d (exact at every z)."),
        "curves": (f"Per-layer mean error of x, false-on and failed-rotation rates per design at matched settings (z = {ref.n_active}, "
                   f"the baseline's tested capacity and one T step above; zeros drawn at {fmt(designs.CURVE_FLOOR)})."),
    }


# ---------------------------------------------------------------- page
def render(summary: pd.DataFrame, ds, points: list, report: dict, study: str, pngs: dict, provenance: dict) -> str:
    """The page's HTML. `summary`: the frontier summary (frontier.csv); `ds`: the gathered
    dataset (the no-superposition reference is added from `points` unless it carries column t0);
    `points`: the study's points (`config.expand_points`); `report`: the config group
    `report`; `pngs`: {"frontier": bytes, "curves": bytes} (`plots.designs`); `provenance`: rows
    shown at the bottom (`html.page_commit`)."""
    ref = designs.Slice.from_report(report)
    if "t0" not in summary:
        summary = designs.with_reference(summary, points)
    facts = designs.answers(summary, ds, designs.matched_settings(summary, ds, ref), ref)
    acc = designs.accounting_table(points)
    cost = designs.cost_table(points, summary, ref)
    best, curve = designs.best_s(summary, points, ref)
    text = captions(ref)
    return render_template(
        "designs.html.j2",
        title=f"designs comparison – {study}",
        study=study,
        criteria=Criteria.from_report(report),
        n_seeds=int(summary["n_seeds"].max()),
        answers=[(QUESTIONS[q], [sentence(f) for f in facts[q]]) for q in QUESTIONS if facts.get(q)],
        tables=capacity_tables(summary, ref),
        best_s=best_s_table(best, curve), best_s_sentences=[sentence(f) for f in designs.best_s_facts(best)],
        allocation=ref.allocation, ref_s=ref.redundancy,
        figures=[figure(pngs[name], text[name], name) for name in ("frontier", "curves")],
        accounting=table(acc.assign(design=acc["design"].map(designs.pretty))),
        cost_sentences=cost_sentences(cost) if len(cost) else [],
        costs=table(cost_rows(cost), COST_COLUMNS) if len(cost) else "",
        cost_z=ref.n_active, build_max_d=designs.BUILD_MAX_D,
        provenance=provenance,
    )
