"""The constructions page (docs/constructions.md): every construction on the plane (parameters, z)
at fixed T and target per-sample error ε, with the growth in z and whether any reaches parameters
∝ z. Every number comes from `cisim.analysis.constructions`; this module only words and lays them out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import constructions as analysis
from ..plots import constructions as figures
from .html import figure, fmt, render, table


def _interval(x, lo, hi) -> str:
    return f"{fmt(x)} [{fmt(lo)}, {fmt(hi)}]" if np.isfinite(lo) else fmt(x)


def _value(row, axis) -> str:
    if row["status"] != "ok":
        return {"not_reached": "not reached", "upper_bound": f"≤ {fmt(row[axis])}"}.get(row["status"], "–")
    lo = row.get(f"{axis}_lo", np.nan)
    return _interval(row[axis], lo, row.get(f"{axis}_hi", np.nan)) if pd.notna(lo) else fmt(row[axis])


def page(ds, sizing: pd.DataFrame, verification: pd.DataFrame, report: dict, conf: dict, study: str, provenance: dict) -> tuple[str, dict]:
    """(html, numbers): the page and the same content as JSON-able dicts (numbers.json)."""
    seeds, post = analysis.post_needed(ds, report, conf["errors"])
    both = analysis.plane(sizing, post)
    slopes = pd.concat([analysis.slopes(both, a) for a in analysis.AXES], ignore_index=True)
    measured_T = sorted(int(t) for t in post["n_circuits"].unique()) if not post.empty else []
    T_ref = measured_T[0] if measured_T else int(min(conf["n_circuits"]))
    zs = [z for z in (2, 4, 8) if z in set(both["n_active"])]
    rows = []
    for _, r in both[both["n_circuits"] == T_ref].iterrows():
        if r["n_active"] in zs:
            rows.append({"ε": fmt(r["error"]), "construction": analysis.NAMES[r["construction"]], "z": int(r["n_active"]),
                         **{name: _value(r, axis) for axis, name in analysis.AXES.items()},
                         "tables × lanes": "" if r["construction"] == "post_superposition" or pd.isna(r.get("tables")) else f"{int(r['tables'])} × {int(r['lanes'])}",
                         "failure (95 % upper)": fmt(r.get("failure_upper", np.nan))})
    slope_rows = [{"construction": analysis.NAMES[s["construction"]], "T": s["n_circuits"], "ε": fmt(s["error"]), "axis": analysis.AXES[s["axis"]],
                   "slope in z [95% CI]": _interval(s["slope"], s["slope_lo"], s["slope_hi"]), "z": f"{s['z_min']}–{s['z_max']}"}
                  for _, s in slopes.iterrows()]
    sentences = answers(slopes, both, T_ref)
    context = {
        "T_ref": T_ref, "sizes": sorted(int(t) for t in both["n_circuits"].unique()), "errors": [fmt(e) for e in sorted(both["error"].unique())],
        "mse_threshold": fmt(float(report.get("mse_threshold", 0.1))),
        "table": table(pd.DataFrame(rows)), "slopes": table(pd.DataFrame(slope_rows)) if slope_rows else None, "answers": sentences,
        "verification": table(verification),
        "verified": bool(verification["flags_match_collisions"].all() and verification["clean_exact"].all()),
        "figure_dense": figure(figures.parameters_vs_z(both[both["n_circuits"] == T_ref], "dense_parameters"),
                               f"Dense parameters against z at T = {T_ref} (log–log); bars: 95 % CI over seeds.", "dense"),
        "figure_nonzero": figure(figures.parameters_vs_z(both[both["error"] > 0], "nonzero_parameters"),
                                 "Non-zero parameters against z, every T and ε > 0 (log–log).", "nonzero"),
    }
    numbers = {"plane": both.to_dict(orient="records"), "slopes": slopes.to_dict(orient="records"),
               "post_per_seed": seeds.to_dict(orient="records"), "verification": verification.to_dict(orient="records"), "answers": sentences}
    return render("constructions.html.j2", title=f"constructions for z ≥ 1 – {study}", provenance=provenance, **context), numbers


def answers(slopes: pd.DataFrame, both: pd.DataFrame, T_ref: int) -> list[str]:
    """Sentences at T_ref, per ε > 0: how each construction that shares lanes (or superposes) without
    the input's help grows in z on dense and non-zero parameters (slower than z: the slope interval
    lies below 1; faster: above 1; else consistent with ∝ z), what the post's construction pays at
    z = 1 against ping-pong, and which construction is cheapest at the largest z."""
    out = []
    candidates = ("hashed_lanes", "multi_table_lanes", "post_superposition")
    fair = slopes[slopes["construction"].isin(candidates) & (slopes["n_circuits"] == T_ref) & (slopes["error"] > 0)
                  & slopes["axis"].isin(["dense_parameters", "nonzero_parameters"])]
    for (eps, axis), g in fair.groupby(["error", "axis"], sort=True):
        parts = "; ".join(f"{analysis.NAMES[r['construction']]} ∝ z^{fmt(r['slope'])} [{fmt(r['slope_lo'])}, {fmt(r['slope_hi'])}] "
                          f"(z = {r['z_min']}–{r['z_max']})" for _, r in g.iterrows())
        words = []
        for _, r in g.iterrows():
            kind = ("slower than z" if r["slope_hi"] < 1.0 else "faster than z" if r["slope_lo"] > 1.0 else "consistent with ∝ z")
            words.append(f"{analysis.NAMES[r['construction']]}: {kind}")
        out.append(f"T = {T_ref}, ε = {fmt(eps)}, {analysis.AXES[axis]}: {parts}. By the 95 % intervals: {'; '.join(words)}.")
    named = slopes[(slopes["construction"] == "named_lanes") & (slopes["n_circuits"] == T_ref) & (slopes["axis"] == "nonzero_parameters")]
    if not named.empty:
        out.append(f"With the input naming each active circuit's lane, z exact lanes need non-zero parameters ∝ z^{fmt(named.iloc[0]['slope'])} "
                   "(dense parameters ∝ z² as one network): the reference a construction without that help must approach.")
    ok = both[(both["n_circuits"] == T_ref) & (both["status"] == "ok") & (both["construction"] != "named_lanes")]
    first = ok[(ok["n_active"] == 1) & (ok["error"] > 0)]
    pp, post = first[first["construction"] == "pingpong"], first[first["construction"] == "post_superposition"]
    for eps, g in post.groupby("error", sort=True):
        ref = pp[pp["error"] == eps]
        if not ref.empty:
            out.append(f"T = {T_ref}, ε = {fmt(eps)}, z = 1: the post's construction needs {fmt(g.iloc[0]['dense_parameters'])} dense "
                       f"parameters, ×{fmt(g.iloc[0]['dense_parameters'] / ref.iloc[0]['dense_parameters'])} those of exact ping-pong.")
    for eps, g in ok[ok["error"] > 0].groupby("error", sort=True):
        z = int(g["n_active"].max())
        h = g[g["n_active"] == z]
        none = h[h["construction"] == "no_superposition"]
        for axis in ("dense_parameters", "nonzero_parameters"):
            c = h.iloc[int(np.argmin(h[axis].to_numpy(float)))]
            text = (f"T = {T_ref}, ε = {fmt(eps)}, z = {z}: the fewest {analysis.AXES[axis]} are {fmt(c[axis])}, "
                    f"{analysis.NAMES[c['construction']]}")
            if not none.empty and c["construction"] != "no_superposition":
                text += f" (×{fmt(c[axis] / none.iloc[0][axis])} of no superposition's {fmt(none.iloc[0][axis])})"
            out.append(text + ".")
    return out
