"""The correction page (docs/correction.md): wide circuits, indicator copies, decoding, correction
layers and larger S, compared on capacity per neuron and per parameter against no superposition,
and the measured correlation of the noise on copies and on neurons. Every number comes from
`cisim.analysis.correction`; this module only words and lays them out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import correction as analysis
from ..analysis import frontier
from ..analysis.criteria import SUFFIX, WORDS, Criteria
from ..plots import correction as figures
from .html import figure, fmt, render, table


def _cap(row) -> str:
    return frontier.format_capacity(row)


def _plain_cap(row) -> str:
    """The plain circuit's capacity of a comparison row (columns plain_capacity, plain_status, …)."""
    return frontier.format_capacity({k: row[f"plain_{k}"] for k in ("status", "capacity", "capacity_lo", "capacity_hi", "t_min")})


def _times(x) -> str:
    return f"×{fmt(x)}"


def capacity_rows(caps: pd.DataFrame) -> pd.DataFrame:
    """The capacity table: one row per (z, variant) at its best S."""
    return pd.DataFrame([{
        "z": int(r["n_active"]), "variant": r["name"], "best S (tested)": f"{fmt(r['redundancy'])} ({', '.join(map(str, r['s_tested']))})",
        "T* [95% CI]": _cap(r), "T₀": int(r["t0"]), "gain T*/T₀ [95% CI]": f"{fmt(r['gain'])} [{fmt(r['gain_lo'])}, {fmt(r['gain_hi'])}]",
        "× plain": fmt(r["ratio"]), "per neuron × plain": fmt(r["per_neuron"]), "per parameter × plain": fmt(r["per_parameter"]),
        "rotation pairs per neuron × plain": fmt(r["per_pair_neuron"]), "depth N": int(r["depth"]),
    } for _, r in caps.iterrows()])


def axis_sentences(best: list[dict], caps: pd.DataFrame) -> list[str]:
    """Per z: which variant buys the most capacity per neuron and per parameter, and whether any beats T₀."""
    out = []
    for z in sorted({b["n_active"] for b in best}):
        rows = {b["axis"]: b for b in best if b["n_active"] == z}
        n, p = rows.get("neurons"), rows.get("parameters")
        beats = n["beats"] if n else []
        row = caps[(caps["n_active"] == z) & (caps["design"] == n["design"])].iloc[0]
        cap = _cap(row)
        cap = cap if cap[0] in "≥<" else f"= {cap}"
        if row["plain"]:
            text = f"z = {z}: most capacity per neuron: the plain circuit itself, {n['name']} (T* {cap} at S = {fmt(n['redundancy'])}; no variant exceeds it)"
        else:
            text = f"z = {z}: most capacity per neuron: {n['name']} (×{fmt(n['value'])} its plain circuit's, T* {cap} at S = {fmt(n['redundancy'])})"
        if p and p["design"] != n["design"]:
            text += f"; per dense parameter: {p['name']} (×{fmt(p['value'])})"
        elif p:
            text += " and per dense parameter"
        plain = caps[(caps["n_active"] == z) & caps["plain"]]
        t0 = ", ".join(f"{fmt(int(t))} at d = {int(d)}" for d, t in sorted(set(zip(plain["d"], plain["t0"]))))
        text += f". Against no superposition of the same payload (T₀ = {t0}): "
        text += ("beaten by " + "; ".join(beats) + "." if beats else "no variant beats it (no gain interval lies above 1).")
        out.append(text)
    return out


def larger_s_sentences(rows: pd.DataFrame) -> list[str]:
    out = []
    for _, r in rows.iterrows():
        comparable = r["status"] == "ok" and r["plain_status"] == "ok"
        if not comparable:
            verdict = "an amount the sweep cannot compare with it (a lower bound or below the tested T)"
        else:
            verdict = "more" if r["apart"] and r["ratio"] > 1 else "fewer" if r["apart"] else "as many (the 95 % intervals overlap)"
            verdict += f", ratio {fmt(r['ratio'])}"
        out.append(f"z = {r['n_active']}: {r['name']} at S = {r['redundancy']} compute {_cap(r)} circuits; the plain circuit at "
                   f"S = {r['plain_redundancy']}, the same neuron slots per circuit (d·S), computes {_plain_cap(r)}: "
                   f"the copies compute {verdict}.")
    return out


def pair_sentences(caps: pd.DataFrame, pick, partner, what) -> list[str]:
    """Per variant picked by `pick` (a row → bool) and z: its capacity at its best S against that
    of `partner(row)` (a dict of the columns its counterpart has, e.g. its reference plain
    circuit); `what(row)` names the comparison."""
    out = []
    for _, a in caps[caps.apply(pick, axis=1)].sort_values(["n_active", "d"]).iterrows():
        b = analysis.counterpart(caps, a, **partner(a))
        if b is None:
            continue
        z = int(a["n_active"])
        what_ = what(a)
        if a["status"] != "ok" or b["status"] != "ok":
            out.append(f"z = {z}: {what_}: {_cap(a)} vs {_cap(b)} (not comparable: a lower bound or below the tested T).")
            continue
        ratio = a["capacity"] / b["capacity"] if b["capacity"] > 0 else np.nan
        out.append(f"z = {z}: {what_}: {_cap(a)} vs {_cap(b)} (×{fmt(ratio)}; per neuron ×{fmt(a['per_neuron'] / b['per_neuron'])}, "
                   f"per parameter ×{fmt(a['per_parameter'] / b['per_parameter'])}).")
    return out


def _count(x) -> str:
    return fmt(int(round(float(x)))) if x is not None and np.isfinite(float(x)) else "–"


def _alone_ratio(r, c) -> str:
    """The ratio to the plain circuit under criterion c alone; "≥" when the variant's capacity is a lower bound."""
    ratio = r[f"{c}_ratio"]
    if not np.isfinite(ratio):
        return "–"
    return ("≥ " if r[f"{c}_status"] == "lower_bound" else "") + f"×{fmt(ratio)}"


def alone_rows(single: pd.DataFrame, applied) -> pd.DataFrame:
    rows = []
    for _, r in single.iterrows():
        row = {"z": int(r["n_active"]), "variant": r["name"], "S": fmt(r["redundancy"])}
        for c in applied:
            if c in r:
                status = r[f"{c}_status"]
                row[f"T* {WORDS.get(SUFFIX[c], c)} alone"] = ("≥ " if status == "lower_bound" else "") + _count(r[c])
                row[f"vs plain ({c})"] = _alone_ratio(r, c)
        rows.append(row)
    return pd.DataFrame(rows)


def alone_sentences(single: pd.DataFrame, applied) -> list[str]:
    """Per z and copies-added variant: the ratio to its plain circuit under each criterion alone."""
    out = []
    for _, r in single[(single["role"] == "added")].sort_values(["n_active", "name"]).iterrows():
        parts = "; ".join(f"{WORDS.get(SUFFIX[c], c)} alone {_alone_ratio(r, c)}" for c in applied if f"{c}_ratio" in r)
        out.append(f"z = {int(r['n_active'])}, {r['name']}: against its plain circuit, {parts}.")
    return out


def noise_rows(noise: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{
        "z": int(r["n_active"]), "T": int(r["n_circuits"]), "variant": r["name"], "S": int(r["redundancy"]),
        "ρ copies": fmt(r["copy_correlation"]), "ρ neurons of one copy": fmt(r["neuron_correlation"]),
        "variance of the copies' mean / one copy's": fmt(r["copy_variance"]), "variance of the S-neuron mean / one neuron's": fmt(r["neuron_variance"]),
        "false-on rate": fmt(r["false_on_rate"]),
    } for _, r in noise.iterrows()])


def noise_sentences(noise: pd.DataFrame) -> list[str]:
    """One sentence per z and independently embedded copies variant (mean decoding), with the shared
    copies of the same circuit where the study has them."""
    out = []
    chosen = noise[(noise["k"] > 1) & (noise["embedding"] == "independent") & (noise["decode"] == "mean")]
    for _, r in chosen.sort_values(["n_active", "k"]).iterrows():
        text = (f"z = {r['n_active']}, T = {fmt(int(r['n_circuits']))}, {r['name']}, last layer: the copies' errors correlate "
                f"ρ = {fmt(r['copy_correlation'])}, so their mean has ×{fmt(r['copy_variance'])} the variance of one copy "
                f"(independent noise: ×{fmt(1 / r['k'])}); the S = {r['redundancy']} neurons of one copy correlate "
                f"ρ = {fmt(r['neuron_correlation'])} (their mean: ×{fmt(r['neuron_variance'])} one neuron's)")
        shared = noise[(noise["n_active"] == r["n_active"]) & (noise["k"] == r["k"]) & (noise["embedding"] == "shared")
                       & (noise["redundancy"] == r["redundancy"])]
        if len(shared):
            text += f"; the same copies at shared positions: ρ = {fmt(shared.iloc[0]['copy_correlation'])}"
        out.append(text + ".")
    return out


def width_rows(w: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{
        "z": int(r["n_active"]), "plain d": int(r["d_plain"]), "copies d": int(r["d"]), "plain T* [95% CI]": _plain_cap(r),
        "copies T* [95% CI]": _cap(r), "copies / plain": fmt(r["ratio"]) if r["status"] == r["plain_status"] == "ok" else "–",
        "plain gain T*/T₀": fmt(r["plain_gain"]), "copies gain T*/T₀": fmt(r["gain"]),
    } for _, r in w.iterrows()])


def width_sentences(w: pd.DataFrame) -> list[str]:
    """Per z: how the copies' ratio to their plain circuit moves with the width d_plain."""
    out = []
    for z, g in w.groupby("n_active"):
        ok = g[(g["status"] == "ok") & (g["plain_status"] == "ok")]
        if len(ok) < 2:
            continue
        parts = ", ".join(f"d = {int(r['d_plain'])}: ×{fmt(r['ratio'])}" for _, r in ok.iterrows())
        trend = "grows" if ok["ratio"].iloc[-1] > ok["ratio"].iloc[0] else "falls"
        out.append(f"z = {z}: copies added (c = 1) against the plain circuit of the same payload, each at its best S — {parts}; "
                   f"the ratio {trend} from the narrowest to the widest circuit measured.")
    return out


def page(summary: pd.DataFrame, ds, points: list, report: dict, study: str, provenance: dict) -> tuple[str, dict, bytes | None]:
    """(html, numbers, figure png): the page, its numbers as JSON-able dicts and its figure."""
    from ..analysis.designs import Slice

    ref = Slice.from_report(report)
    caps = analysis.capacities(summary, points, ref)
    numbers, context, png = {"capacities": [], "larger_s": [], "noise": [], "widths": []}, {}, None
    context.update(criteria=Criteria.from_report(report).describe(), ref=ref, capacity_table=None, figure=None,
                   axis=[], larger_s=[], decode=[], copies=[], correction=[], replacing=[], noise_table=None, noise=[],
                   width_table=None, width=[], alone_table=None, alone=[])
    if len(caps):
        best = analysis.best_per_axis(caps)
        context["capacity_table"] = table(capacity_rows(caps))
        png = figures.capacities_figure(caps, f"Capacity at each variant's best S, D = {ref.d_model:,}, L = {ref.n_layers}")
        context["figure"] = figure(png, "Capacity T* at each variant's best tested S against z; bars: 95 % CI over seeds; open "
                                   "markers: lower bounds (the largest tested T still works); dotted: no superposition T₀ = D/d_plain.",
                                   "capacities")
        context["axis"] = axis_sentences(best, caps)
        ls = analysis.larger_s(summary, points, ref)
        context["larger_s"] = larger_s_sentences(ls)
        copies = lambda r: r["kind"] == "redundant_indicators" and r["k"] > 1 and r["every"] == 0  # noqa: E731
        reference = lambda r: {"design": r["reference"]}  # noqa: E731
        context["decode"] = pair_sentences(
            caps, lambda r: copies(r) and r["decode"] == "majority",
            lambda r: {"k": r["k"], "m": r["m"], "embedding": r["embedding"], "decode": "mean", "every": 0},
            lambda r: f"{r['k']} copies, majority vote against their mean")
        context["copies"] = pair_sentences(
            caps, lambda r: copies(r) and r["decode"] == "mean" and r["role"] == "added", reference,
            lambda r: f"{r['k']} {r['embedding']} copies added to the {r['d_plain']}-neuron plain circuit, each at its best S")
        context["correction"] = pair_sentences(caps, lambda r: r["every"] > 0, reference,
                                               lambda r: f"a correction layer every {r['every']} against the plain circuit")
        context["replacing"] = pair_sentences(
            caps, lambda r: r["role"] == "replacing payload", reference,
            lambda r: f"{r['k']} copies replacing payload against the plain {r['d']}-neuron circuit ({r['m']} rotation pairs per "
                      f"circuit instead of {(r['d'] - 2) // 2}: rotation pairs computed per neuron ×{fmt(r['per_pair_neuron'])})")
        crit = Criteria.from_report(report).applied
        single = analysis.alone(caps, crit)
        if len(single) and len(crit) > 1:
            context["alone_table"] = table(alone_rows(single, crit))
            context["alone"] = alone_sentences(single, crit)
            numbers["alone"] = single.to_dict(orient="records")
        w = analysis.widths(caps)
        if len(w):
            context["width_table"] = table(width_rows(w))
            context["width"] = width_sentences(w)
            numbers["widths"] = w.to_dict(orient="records")
        numbers["capacities"] = caps.drop(columns=["s_tested", "s_within_ci", "s_open"]).to_dict(orient="records")
        numbers["larger_s"] = ls.to_dict(orient="records")
        noise = analysis.noise(ds, points, caps, ref)
        if len(noise):
            context["noise_table"] = table(noise_rows(noise))
            context["noise"] = noise_sentences(noise)
            numbers["noise"] = noise.to_dict(orient="records")
    html = render("correction.html.j2", title=f"error correction – {study}", provenance=provenance, **context)
    return html, numbers, png
