"""The designs comparison page: the answers to the study's four questions in sentences, the
capacity tables, the figures and the neuron/parameter accounting (docs/designs.md).

The numbers come from `analysis.designs` (facts, tables) and `analysis.frontier` (capacities);
this module words them and renders `templates/designs.html.j2`. No number is typed in by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import designs, frontier
from ..analysis.criteria import Criteria
from .html import figure, fmt, render as render_template, table

QUESTIONS = {
    "redundant": "1. Error-correcting (redundant) on-indicators: k = 3 pairs read as their mean, shared vs independent embedding, at equal D.",
    "share": "2. A larger (or smaller) share of D for the on-indicators.",
    "carried": "3. Indicators computed once and carried in a fixed pool, or cleaned by extra layers.",
    "redundancy": "4. Larger S once an allocation without the prime-step cap is used; allocations at equal (D, S, T).",
}
ALONE = {"fo": "false-on criterion", "mse": "error criterion"}


# ---------------------------------------------------------------- words for numbers
def capacity(row) -> str:
    """T* with its CI, or its bound (`analysis.frontier.format_capacity`)."""
    return frontier.format_capacity(row)


def capacity_alone(row, criterion: str) -> str:
    """T* with one criterion alone ("fo" or "mse"), mean over seeds, or its bound."""
    return frontier.format_capacity({"capacity": row[f"capacity_{criterion}"], "status": row[f"status_{criterion}"],
                                     "capacity_lo": np.nan, "t_min": row["t_min"]})


def ratio(row) -> str:
    """'×1.2 [1.1, 1.3]' (ratio to the baseline, paired t CI), '(bound)' when either side is a bound."""
    if not np.isfinite(row["ratio"]):
        return "–"
    ci = f" [{fmt(row['ratio_lo'])}, {fmt(row['ratio_hi'])}]" if np.isfinite(row.get("ratio_lo", np.nan)) else ""
    bound = " (bound)" if row["status"] != "ok" or row["baseline_status"] != "ok" else ""
    return f"×{fmt(row['ratio'])}{ci}{bound}"


def sentence(fact: dict) -> str:
    """One fact of `analysis.designs.answers` in words, as a sentence (capital first letter)."""
    text = _words(fact)
    return text[0].upper() + text[1:]


def _words(fact: dict) -> str:
    kind, p = fact["kind"], designs.pretty
    if kind == "compare":
        parts = "; ".join(f"{p(d)}: {capacity(r)} ({ratio(r)})" for d, r in fact["rows"])
        return (f"At D = {fact['d_model']}, z = {fact['n_active']}, L = {fact['n_layers']}: "
                f"baseline {capacity(fact['baseline'])}; {parts}.")
    if kind == "wins":
        return (f"Over the {fact['total']} matched (D, z, L) settings, {p(fact['design'])} has a capacity CI entirely above "
                f"the baseline's in {fact['better']} and entirely below in {fact['worse']}.")
    if kind == "criteria":
        alone = {c: "; ".join(f"{p(d)} {'/'.join(capacity_alone(r, c) for r in rows)}" for d, rows in fact["rows"]) for c in ALONE}
        return (f"At D = {fact['d_model']}, L = {fact['n_layers']}, z = {'/'.join(map(str, fact['zs']))}, the "
                f"{ALONE['fo']} alone allows T* = {alone['fo']}; the {ALONE['mse']} alone allows {alone['mse']}.")
    if kind == "independent_vs_shared":
        return (f"Independent versus shared embedding of the k = 3 copies: independent higher (CI-separated) in "
                f"{fact['better']}, lower in {fact['worse']} of {fact['total']} settings.")
    if kind == "false_on":
        rates = ", ".join(f"{p(d)} {fmt(v)}" for d, v in fact["rates"].items())
        return (f"Last-layer false-on rate at D = {fact['d_model']}, T = {fact['n_circuits']}, L = {fact['n_layers']}, "
                f"z = {fact['n_active']}: {rates}.")
    if kind == "by_redundancy":
        return (f"Baseline, {fact['allocation']}, D = {fact['d_model']}, L = {fact['n_layers']}, z = {fact['n_active']}: "
                + "; ".join(f"S = {S}: {capacity(r)}" for S, r in fact["rows"]) + ".")
    if kind == "by_allocation":
        return (f"{p(fact['design'])}, D = {fact['d_model']}, S = {fact['redundancy']}, L = {fact['n_layers']}, "
                f"z = {fact['n_active']}: " + "; ".join(f"{a}: {capacity(r)}" for a, r in fact["rows"]) + ".")
    raise ValueError(f"fact kind={kind!r} has no sentence")


def capacity_table(summary: pd.DataFrame, D: int, L: int, allocation: str, S: int) -> dict | None:
    """One capacity table (heading, header cells, rows of cells): per design and z, T* with its
    CI, the ratio to the baseline and T* with each criterion alone. None without rows."""
    s = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["allocation"] == allocation)
                & (summary["redundancy"] == S)]
    if s.empty:
        return None
    zs = sorted(int(z) for z in s["n_active"].unique())
    header = ["design"] + [h for z in zs for h in (f"z = {z}: T* [95 % CI]", "ratio", "FO / MSE alone")]
    rows = []
    for d in designs.sorted_designs(s["design"]):
        cells = [designs.pretty(d)]
        for z in zs:
            r = designs.row(s, d, D, z, L, allocation, S)
            cells += ["–"] * 3 if r is None else [capacity(r), ratio(r), f"{capacity_alone(r, 'fo')} / {capacity_alone(r, 'mse')}"]
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


def captions(ref: designs.Slice) -> dict:
    return {
        "frontier": f"Capacity frontier per design and z ({ref.allocation}, S = {ref.redundancy}); bars: 95 % CI over seeds.",
        "curves": (f"Per-layer mean error of x, false-on and failed-rotation rates per design at matched settings (z = {ref.n_active}, "
                   f"the baseline's tested capacity and one T step above; zeros drawn at {fmt(designs.CURVE_FLOOR)})."),
    }


# ---------------------------------------------------------------- page
def render(summary: pd.DataFrame, ds, points: list, report: dict, study: str, pngs: dict, provenance: dict) -> str:
    """The page's HTML. `summary`: the frontier summary (frontier.csv); `ds`: the gathered
    dataset; `points`: the study's points (`config.expand_points`); `report`: the config group
    `report`; `pngs`: {"frontier": bytes, "curves": bytes} (`plots.designs`); `provenance`: rows
    shown at the bottom (`html.page_commit`)."""
    ref = designs.Slice.from_report(report)
    facts = designs.answers(summary, ds, designs.matched_settings(summary, ds, ref), ref)
    acc = designs.accounting_table(points)
    text = captions(ref)
    return render_template(
        "designs.html.j2",
        title=f"designs comparison – {study}",
        study=study,
        criteria=Criteria.from_report(report),
        n_seeds=int(summary["n_seeds"].max()),
        answers=[(QUESTIONS[q], [sentence(f) for f in facts.get(q, [])]) for q in QUESTIONS],
        tables=capacity_tables(summary, ref),
        figures=[figure(pngs[name], text[name], name) for name in ("frontier", "curves")],
        accounting=table(acc.assign(design=acc["design"].map(designs.pretty))),
        provenance=provenance,
    )
