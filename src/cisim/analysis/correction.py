"""The correction study's numbers (docs/correction.md): which of indicator copies, their decoding,
circuit-level correction layers or a larger S buys the most capacity per neuron and per parameter,
and how correlated the noise on copies and on neurons is.

Inputs: the frontier summary (`analysis.frontier.summarize`, one row per design label,
allocation, D, S, L, z), the gathered dataset (the noise correlations, `simulate.noise`) and the
study's points (each design's options and accounting). What is held fixed — allocation, D, L —
is the report's `designs_*` slice (`analysis.designs.Slice`).

Reference: a variant with m payload rotation pairs is compared with no superposition for the
plain circuit of the same payload, T₀ = ⌊D/(2 + 2m)⌋ (one indicator pair; its copies are the
design's overhead). "Plain" is the `redundant_indicators` variant with k = 1 (the study's
reference design). Everything here returns DataFrames and dicts; `pages.correction` words them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config as cisim_config
from ..construction import DESIGNS, NetworkSpec
from . import costs, frontier
from .criteria import SUFFIX

NOISE_VARIABLES = ["copy_correlation", "neuron_correlation", "false_on_rate"]
CORRECTION = "indicator_correction"
KINDS = ("redundant_indicators", CORRECTION)  # the designs compared here (others, e.g. the main network's, are left out)


def _label(p: dict) -> str:
    return frontier.design_label(cisim_config.point_label(p), p["grid"], p["allocation"])


def variants(points: list) -> pd.DataFrame:
    """One row per design label of the study's points: design, k, m (payload pairs), d, d_plain =
    2 + 2m, decode, embedding, every (correction layers; 0 none), plain (bool), role (plain, added:
    a plain circuit's payload kept, replacing payload: a plain circuit's width kept), reference (the
    plain variant it is compared with: the same payload m, else the same width d) and name (words)."""
    rows = {}
    for p in points:
        label = _label(p)
        if label in rows or p["design"] not in KINDS:
            continue
        o = p["design_options"]
        k, m = int(o.get("k", 1)), int(o.get("rotation_pairs", 1))
        every = int(o.get("every", 0)) if p["design"] == CORRECTION else 0
        rows[label] = {"design": label, "kind": p["design"], "k": k, "m": m, "d": 2 * k + 2 * m, "d_plain": 2 + 2 * m,
                       "decode": o.get("decode", "mean"), "embedding": o.get("embedding", "shared"), "every": every,
                       "plain": p["design"] == "redundant_indicators" and k == 1}
    out = pd.DataFrame(list(rows.values()))
    plains = out[out["plain"]]
    by_m, by_d = dict(zip(plains["m"], plains["design"])), dict(zip(plains["d"], plains["design"]))
    # copies keep a plain circuit's payload (added: the small network grows) or take payload's place at its width
    out["role"] = ["plain" if r["plain"] else "added" if r["m"] in by_m else "replacing payload" if r["d"] in by_d else ""
                   for _, r in out.iterrows()]
    # the plain circuit each variant is compared with: its own payload's, else its width's, else the first
    first = plains["design"].iloc[0] if len(plains) else None
    out["reference"] = [by_m.get(r["m"], by_d.get(r["d"], first)) for _, r in out.iterrows()]
    out["name"] = [name(r) for _, r in out.iterrows()]
    return out.sort_values(["plain", "every", "k", "m", "decode", "embedding"], ascending=[False, True, True, False, True, True]).reset_index(drop=True)


def name(r) -> str:
    """A variant in words, e.g. "5 copies added, independent, majority (d = 16)"."""
    if r["kind"] == CORRECTION:
        core = "plain" if r["k"] == 1 else f"{r['k']} copies"
        return f"{core} + correction layer every {r['every']} (d = {r['d']})"
    if r["plain"]:
        return f"plain: 1 indicator pair, {r['m']} rotation pairs (d = {r['d']})"
    how = f" {r['role']}" if r.get("role") else ""
    return f"{r['k']} copies{how}, {r['embedding']}, {r['decode']}, {r['m']} rotation pairs (d = {r['d']})"


def accounting(points: list) -> pd.DataFrame:
    """Neurons and dense parameters per (design label, D, L) (`Design.accounting`)."""
    rows = {}
    for p in points:
        spec = NetworkSpec.from_point(p)
        a = DESIGNS[spec.design].accounting(spec)
        rows[(_label(p), spec.d_model, spec.n_layers)] = {"design": _label(p), "d_model": spec.d_model, "n_layers": spec.n_layers,
                                                          "depth": a["depth"], "neurons": a["neurons"], "parameters": a["parameters"]}
    return pd.DataFrame(list(rows.values()))


def _slice(summary: pd.DataFrame, ref) -> pd.DataFrame:
    return summary[(summary["allocation"] == ref.allocation) & (summary["d_model"] == ref.d_model) & (summary["n_layers"] == ref.n_layers)]


def capacities(summary: pd.DataFrame, points: list, ref) -> pd.DataFrame:
    """Every variant at its best tested S per z: the best-S row (`frontier.best_redundancy`) with
    name, k, m, d, t0 = ⌊D/d_plain⌋, gain = T*/T₀ [interval], pairs = T*·m (rotation pairs computed),
    neurons, parameters, and relative to the plain circuit at its best S at the same z:
    ratio = T*/T*_plain, per_neuron = (T*/neurons)/(T*_plain/neurons_plain), per_parameter
    likewise, per_pair_neuron = (T*·m/neurons)/(T*_plain·m_plain/neurons_plain), the plain circuit
    being each variant's `reference` at its own best S."""
    v = variants(points)
    best = frontier.best_redundancy(_slice(summary, ref)[lambda s: s["design"].isin(v["design"])])
    if best.empty:
        return best
    out = best.merge(v, on="design", how="left").merge(accounting(points), on=["design", "d_model", "n_layers"], how="left")
    out["t0"] = costs.reference(out["d_model"].to_numpy(), out["d_plain"].to_numpy())
    out["gain"], out["gain_lo"], out["gain_hi"] = costs.gain(out["capacity"], out["capacity_lo"], out["capacity_hi"], out["t0"])
    out["pairs"] = out["capacity"] * out["m"]
    plain = out[out["plain"]].set_index(["design", "n_active"])
    keys = list(zip(out["reference"], out["n_active"]))
    for col, num, den in (("ratio", "capacity", None), ("per_neuron", "capacity", "neurons"),
                          ("per_parameter", "capacity", "parameters"), ("per_pair_neuron", "pairs", "neurons")):
        mine = out[num] / (out[den] if den else 1.0)
        ref = plain[num] / (plain[den] if den else 1.0)
        out[col] = mine.to_numpy() / np.array([ref.get(k, np.nan) for k in keys], dtype=float)
    return out.sort_values(["n_active", "plain", "every", "k"], ascending=[True, False, True, True]).reset_index(drop=True)


def larger_s(summary: pd.DataFrame, points: list, ref) -> pd.DataFrame:
    """Copies against the author's alternative, a larger S with the same neuron slots per circuit:
    each copies variant (k > 1, no correction layers) at S against the plain circuit at
    S' = S·d/d_plain, per z. Columns: design, name, n_active, redundancy, capacity [lo, hi], status,
    plain_redundancy, plain_capacity [lo, hi], plain_status, ratio (copies / plain), apart (the
    95 % intervals do not overlap)."""
    v = variants(points).set_index("design")
    rows = []
    s = _slice(summary, ref)
    for _, r in s.iterrows():
        if r["design"] not in v.index:
            continue
        me = v.loc[r["design"]]
        if me["plain"] or me["every"] or me["k"] == 1:
            continue
        target = r["redundancy"] * me["d"] / me["d_plain"]
        match = s[(s["design"] == me["reference"]) & (s["redundancy"] == target) & (s["n_active"] == r["n_active"])]
        if match.empty:
            continue
        q = match.iloc[0]
        rows.append({"design": r["design"], "name": me["name"], "n_active": int(r["n_active"]), "redundancy": int(r["redundancy"]),
                     "capacity": r["capacity"], "capacity_lo": r["capacity_lo"], "capacity_hi": r["capacity_hi"], "status": r["status"],
                     "t_min": r["t_min"], "plain_redundancy": int(q["redundancy"]), "plain_capacity": q["capacity"],
                     "plain_capacity_lo": q["capacity_lo"], "plain_capacity_hi": q["capacity_hi"], "plain_status": q["status"],
                     "plain_t_min": q["t_min"], "ratio": r["capacity"] / q["capacity"] if q["capacity"] > 0 else np.nan,
                     "apart": bool(r["capacity_lo"] > q["capacity_hi"] or r["capacity_hi"] < q["capacity_lo"])})
    return pd.DataFrame(rows)


def noise(ds, points: list, caps: pd.DataFrame, ref) -> pd.DataFrame:
    """The copy and neuron error correlations at the last layer (mean over seeds), per variant,
    S and z, at one common T per (payload, z): the tested T nearest below the capacity of the plain
    circuit the variant is compared with (the same load for the variants of one payload; the
    smallest tested T when the plain circuit fails there).
    Columns: design, name, k, embedding, decode, redundancy, n_active, n_circuits, copy_correlation,
    neuron_correlation, false_on_rate, copy_variance (the mean of k copies' variance relative to
    one copy's, (1 + (k − 1)ρ)/k) and neuron_variance ((1 + (S − 1)ρ_S)/S)."""
    if not all(var in ds.variables for var in NOISE_VARIABLES[:2]):
        return pd.DataFrame()
    t = frontier.with_design(frontier.table(ds, NOISE_VARIABLES))
    t = t[(t["allocation"] == ref.allocation) & (t["d_model"] == ref.d_model) & (t["n_layers"] == ref.n_layers)
          & (t["layer"] == t["n_layers"])]
    if t.empty:
        return pd.DataFrame()
    v = variants(points).set_index("design")
    t = t[t["design"].isin(v.index)]
    plain = caps[caps["plain"]].set_index(["design", "n_active"])["capacity"] if len(caps) else pd.Series(dtype=float)
    rows = []
    for (reference, z), g in t.assign(reference=t["design"].map(v["reference"])).groupby(["reference", "n_active"]):
        tested = np.sort(g["n_circuits"].unique())
        cap = plain.get((reference, z), np.nan)
        below = tested[tested <= cap] if np.isfinite(cap) else tested[:0]
        T = int(below.max()) if below.size else int(tested.min())
        at = g[g["n_circuits"] == T].groupby(["design", "redundancy"])[NOISE_VARIABLES].mean().reset_index()
        for _, r in at.iterrows():
            k, S = int(v.loc[r["design"], "k"]), int(r["redundancy"])
            rc, rn = r["copy_correlation"], r["neuron_correlation"]
            rows.append({"design": r["design"], "name": v.loc[r["design"], "name"], "k": k, "embedding": v.loc[r["design"], "embedding"],
                         "decode": v.loc[r["design"], "decode"], "redundancy": S, "n_active": int(z),
                         "n_circuits": T, "copy_correlation": rc, "neuron_correlation": rn, "false_on_rate": r["false_on_rate"],
                         "copy_variance": (1 + (k - 1) * rc) / k if k > 1 else np.nan,
                         "neuron_variance": (1 + (S - 1) * rn) / S if S > 1 else np.nan})
    return pd.DataFrame(rows)


def best_per_axis(caps: pd.DataFrame) -> list[dict]:
    """Per z: the variant with the most capacity per neuron and per dense parameter relative to the
    plain circuit of its own payload (copies replacing payload are left out: their circuits compute
    less), and whether any variant's gain over T₀ exceeds 1 (its interval above 1).
    Rows: n_active, axis ("neurons", "parameters"), design, name, value (the relative capacity
    per cost), capacity, redundancy, beats (list of variant names whose gain interval lies above 1)."""
    out = []
    for z, g in caps.groupby("n_active"):
        g = g[np.isfinite(g["capacity"])]
        if g.empty:
            continue
        beats = [r["name"] for _, r in g.iterrows() if r["status"] == "ok" and r["gain_lo"] > 1 or r["status"] == "lower_bound" and r["gain"] > 1]
        same = g[g["role"] != "replacing payload"]  # relative capacities only mean something for the same payload
        for axis, col in (("neurons", "per_neuron"), ("parameters", "per_parameter")):
            r = same.loc[same[col].idxmax()] if same[col].notna().any() else None
            if r is None:
                continue
            out.append({"n_active": int(z), "axis": axis, "design": r["design"], "name": r["name"], "value": float(r[col]),
                        "capacity": float(r["capacity"]), "status": r["status"], "redundancy": r["redundancy"], "beats": beats})
    return out


def widths(caps: pd.DataFrame) -> pd.DataFrame:
    """Copies added against their plain circuit, per payload width d_plain and z, each at its best
    S: the thread's "with d large" — does the copies' effect change with the circuit's width?
    Columns: d_plain, d, n_active, name, capacity [lo, hi], status, t_min, plain_capacity [lo, hi],
    plain_status, plain_t_min, ratio (copies / plain), gain and plain_gain over T₀ = D/d_plain."""
    rows = []
    plain = caps[caps["plain"]].set_index(["design", "n_active"])
    added = caps[(caps["role"] == "added") & (caps["every"] == 0) & (caps["decode"] == "mean") & (caps["embedding"] == "independent")]
    for _, r in added.iterrows():
        key = (r["reference"], r["n_active"])
        if key not in plain.index:
            continue
        q = plain.loc[key]
        rows.append({"d_plain": int(r["d_plain"]), "d": int(r["d"]), "n_active": int(r["n_active"]), "name": r["name"],
                     "capacity": r["capacity"], "capacity_lo": r["capacity_lo"], "capacity_hi": r["capacity_hi"], "status": r["status"],
                     "t_min": r["t_min"], "plain_capacity": q["capacity"], "plain_capacity_lo": q["capacity_lo"],
                     "plain_capacity_hi": q["capacity_hi"], "plain_status": q["status"], "plain_t_min": q["t_min"],
                     "ratio": r["capacity"] / q["capacity"] if q["capacity"] > 0 else np.nan, "gain": r["gain"], "plain_gain": q["gain"]})
    return pd.DataFrame(rows).sort_values(["n_active", "d_plain"]).reset_index(drop=True) if rows else pd.DataFrame()


def counterpart(caps: pd.DataFrame, row, **match) -> pd.Series | None:
    """The row of `caps` at the same z as `row` whose columns equal `match` (None if absent)."""
    g = caps[caps["n_active"] == row["n_active"]]
    for k, v in match.items():
        g = g[g[k] == v]
    return g.iloc[0] if len(g) else None


def alone(caps: pd.DataFrame, applied) -> pd.DataFrame:
    """Each variant's capacity at its best S under each applied criterion alone, with the plain
    circuit's (its reference) at its own best S: which criterion binds, and whether copies
    help the indicator while hurting the payload. Columns: n_active, design, name, redundancy,
    and per applied criterion c: c (capacity alone), c_status, plain_c and c_ratio."""
    rows = []
    for _, r in caps.iterrows():
        ref = counterpart(caps, r, design=r["reference"])
        row = {"n_active": int(r["n_active"]), "design": r["design"], "name": r["name"], "redundancy": r["redundancy"],
               "plain": bool(r["plain"]), "role": r["role"]}
        for c in applied:
            col = f"capacity_{SUFFIX[c]}"  # the frontier's capacity under criterion c alone
            if col not in caps:
                continue
            mine, theirs = r[col], (ref[col] if ref is not None else np.nan)
            row.update({c: mine, f"{c}_status": r[f"status_{SUFFIX[c]}"], f"plain_{c}": theirs,
                        f"{c}_ratio": mine / theirs if theirs and np.isfinite(theirs) else np.nan})
        rows.append(row)
    return pd.DataFrame(rows)
