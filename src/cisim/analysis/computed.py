"""The numbers of the computed-activity section of the static-vs-dynamic page (docs/cross_circuit.md §4).

Grid `computed` of the dynamic study: three designs at equal D (so equal neurons and equal dense
parameters, (L − 1)·D² + L·D):

    baseline   the post's circuit (d = 4), active set fixed by the input
    static     `computed_activity` routing=static: the width-6 branching circuits, each layer the
               circuit's own step (the decision pair computed, never used)
    computed   `computed_activity` routing=branch: an on circuit hands over to the child its own
               decision (x_0 > 0) picks, so the network computes which circuits run

Capacity T* is the frontier of `analysis.frontier` under the study's criteria (and each
criterion alone, `capacity_<suffix>`); the no-superposition reference is T₀ = D/d (one disjoint
circuit per d neurons: exact). The causes of false-on (`accumulate.decision_rates`) are read at
the largest tested T where the static control still works. Pure pandas/numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import frontier
from .stats import mean_ci
from .tables import in_grid

GRID = "computed"
KINDS = {"baseline": "post circuit (d = 4), static", "static": "branching circuit (d = 6), static activity",
         "computed": "branching circuit (d = 6), computed activity"}
WIDTH = {"baseline": 4, "static": 6, "computed": 6}
CAUSE_VARS = ["mse_x_active", "false_on_rate", "false_off_rate", "decision_false_on_rate", "interference_false_on_rate",
              "decision_false_on_share"]


def kind(label: str) -> str | None:
    """'baseline', 'static' or 'computed' for a design label of the grid (None for another design)."""
    if label == "baseline":
        return "baseline"
    if label.startswith("computed_activity"):
        return "static" if "routingstatic" in label else "computed"
    return None


def split(ds):
    """(the computed grid's points, every other point) of a gathered summary; either may be None."""
    frame = pd.DataFrame({"grid": ds["grid"].values, "point": ds["point"].values})
    mine = in_grid(frame, GRID).to_numpy()
    part = lambda m: ds.isel(point=m) if m.any() else None  # noqa: E731
    return part(mine), part(~mine)


def capacities(ds, report_cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-seed, summary) frontier of the grid's three designs, with kind, d, T₀ = D/d and the gain
    T*/T₀ (mean and 95 % t-interval over seeds)."""
    t = frontier.with_design(frontier.table(ds))
    t["kind"] = [kind(d) for d in t["design"]]
    t = t[t["kind"].notna()].drop(columns=["design", "kind"])
    seeds, summary = frontier.frontier(t, report_cfg)
    for df in (seeds, summary):
        df["kind"] = [kind(d) for d in df["design"]]
        df["d_circuit"] = [WIDTH[k] for k in df["kind"]]
        df["t0"] = df["d_model"] // df["d_circuit"]
    gains = []
    for _, row in summary.iterrows():
        mine = seeds[frontier.matching(seeds, row, ["design", *frontier.MATCH])]
        gains.append(mean_ci(mine["capacity"].to_numpy(float) / row["t0"], "t"))
    summary["gain"], summary["gain_lo"], summary["gain_hi"] = (np.array([g[i] for g in gains]) for i in range(3))
    return seeds, summary


def paired_ratio(seeds: pd.DataFrame, num: str = "computed", den: str = "static") -> pd.DataFrame:
    """Per (D, L, z): T*(num)/T*(den) paired by seed, mean and 95 % t-interval (columns ratio, ratio_lo,
    ratio_hi, n_seeds)."""
    keys = ["d_model", "n_layers", "n_active", "seed"]
    a = seeds[seeds["kind"] == num].set_index(keys)["capacity"]
    b = seeds[seeds["kind"] == den].set_index(keys)["capacity"]
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").reset_index()
    rows = []
    for key, g in both.groupby(keys[:3], sort=True):
        r = (g["a"] / g["b"]).to_numpy(float)
        m, lo, hi = mean_ci(r[np.isfinite(r)], "t") if np.isfinite(r).any() else (np.nan, np.nan, np.nan)
        rows.append({**dict(zip(keys[:3], key)), "ratio": m, "ratio_lo": lo, "ratio_hi": hi, "n_seeds": int(len(g))})
    return pd.DataFrame(rows)


def causes(ds, summary: pd.DataFrame) -> pd.DataFrame:
    """Seed means of CAUSE_VARS per layer for the static control and computed activity, per (D, z),
    at the largest tested T where the static control works (`capacity_tested`). Columns d_model,
    n_layers, n_active, n_circuits, kind, layer and CAUSE_VARS (the decision split only for computed)."""
    have = [v for v in CAUSE_VARS if v in ds.variables]
    t = frontier.with_design(frontier.table(ds, have))
    t["kind"] = [kind(d) for d in t["design"]]
    rows = []
    for _, s in summary[summary["kind"] == "static"].iterrows():
        T = s["capacity_tested"]
        if not np.isfinite(T):
            continue
        same = t[frontier.matching(t, s) & (t["n_circuits"] == T) & t["kind"].isin(["static", "computed"]) & (t["layer"] >= 1)]
        g = same.groupby(["kind", "layer"])[have].mean().reset_index()
        g["d_model"], g["n_layers"], g["n_active"], g["n_circuits"] = int(s["d_model"]), int(s["n_layers"]), int(s["n_active"]), int(T)
        rows.append(g)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if not out.empty:
        out.loc[out["kind"] == "static", [v for v in have if v.startswith("decision") or v.startswith("interference")]] = np.nan
    return out
