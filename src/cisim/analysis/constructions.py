"""The numbers of the constructions page (docs/constructions.md): every construction on the plane
(parameters, z) at fixed T and target per-sample error ε.

The exact lane constructions come sized from `jobs.constructions.sizing` (one row per construction,
T, z, ε). The post's construction is measured: grid `baseline` of the study runs T fixed over D and
S; a sample *fails* when any circuit is read wrongly on or off (the seizure rate), and the active
circuits' error must stay within the report's mse threshold, so at target ε the point works under
the criteria mse and seizure with the seizure threshold set to ε (`criteria.Criteria`). Per (S, z, seed) the smallest working D is interpolated between tested D in
(log D, log r) like the capacity crossing (`frontier.crossing` on 1/D); each seed takes its best S;
mean and 95 % t-interval over seeds. ε = 0 is out of its reach (every read-out carries noise).

Cost axes: dense parameters (the network as one dense MLP: (L − 1)·D² + L·D for the post's
construction, whose capped weights are dense; L·W² + L·W for the lane networks of width W),
non-zero parameters and neurons. Growth in z: the least-squares slope of log(parameters) on log z
over the z where a construction reaches ε, with its 95 % t-interval.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import frontier
from .criteria import Criteria, margins as criteria_margins
from .stats import line_fit, mean_ci, slope_t_interval
from .tables import in_grid

GRID = "baseline"
ORDER = ("no_superposition", "pingpong", "named_lanes", "hashed_lanes", "multi_table_lanes", "post_superposition")
NAMES = {"no_superposition": "no superposition (T·d neurons, exact)", "pingpong": "ping-pong (z = 1 only, exact)",
         "named_lanes": "z lanes named by the input (exact)", "hashed_lanes": "hashed lanes (1 table)",
         "multi_table_lanes": "multi-table lanes (k tables, flags)", "post_superposition": "the post's construction, best S"}
AXES = {"dense_parameters": "dense parameters", "nonzero_parameters": "non-zero parameters", "neurons": "neurons"}


def post_needed(ds, report: dict, errors) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per seed, summary) of the smallest D at which the post's construction reaches each ε > 0.

    per seed: n_circuits, n_active, error, seed, d_model (NaN: not reached in the tested D),
    redundancy, status ("ok", "upper_bound": works at the smallest tested D, "not_reached").
    summary: per (n_active, error) the mean and 95 % t-interval of D and of the three cost axes,
    the S each seed chose, and the worst status."""
    t = frontier.table(ds)
    t = t[in_grid(t, GRID)]
    rows = []
    L = int(t["n_layers"].iloc[0]) if not t.empty else 0
    for eps in (float(e) for e in errors if float(e) > 0):
        crit = dataclasses.replace(Criteria.from_report(report), seizure_threshold=eps, applied=("mse", "seizure"))
        m = criteria_margins(t, crit, ["n_circuits", "redundancy", "n_active", "seed", "d_model"])
        for (T, z, seed), g in m.groupby(["n_circuits", "n_active", "seed"], sort=True):
            best = None
            for S, h in g.groupby("redundancy"):
                h = h.sort_values("d_model", ascending=False)  # 1/D ascending: works at small 1/D
                cap, _, status = frontier.crossing(1.0 / h["d_model"].to_numpy(float), h["r"].to_numpy(float))
                D = {"ok": 1.0 / cap if np.isfinite(cap) else np.nan, "lower_bound": float(h["d_model"].min())}.get(status, np.nan)
                state = {"ok": "ok", "lower_bound": "upper_bound"}.get(status, "not_reached")
                if np.isfinite(D) and (best is None or D < best[0]):
                    best = (D, int(S), state)
            D, S, state = best if best is not None else (np.nan, 0, "not_reached")
            rows.append({"n_circuits": int(T), "n_active": int(z), "error": eps, "seed": int(seed), "d_model": D, "redundancy": S,
                         "status": state, "n_layers": L})
    seeds = pd.DataFrame(rows)
    if seeds.empty:
        return seeds, seeds
    seeds["dense_parameters"] = (seeds["n_layers"] - 1) * seeds["d_model"] ** 2 + seeds["n_layers"] * seeds["d_model"]
    seeds["nonzero_parameters"] = seeds["dense_parameters"]  # the capped 𝒲 fills every entry
    seeds["neurons"] = seeds["n_layers"] * seeds["d_model"]
    out = []
    worst = {"ok": 0, "upper_bound": 1, "not_reached": 2}
    for (T, z, eps), g in seeds.groupby(["n_circuits", "n_active", "error"], sort=True):
        row = {"construction": "post_superposition", "n_circuits": T, "n_active": z, "error": eps,
               "status": max(g["status"], key=worst.get), "redundancy": "/".join(str(s) for s in g["redundancy"]), "n_seeds": len(g)}
        for col in ("d_model", *AXES):
            v = g[col].to_numpy(float)
            row[col], row[f"{col}_lo"], row[f"{col}_hi"] = mean_ci(v, "t") if np.isfinite(v).all() else (np.nan, np.nan, np.nan)
        out.append(row)
    return seeds, pd.DataFrame(out)


def plane(sizing: pd.DataFrame, post: pd.DataFrame) -> pd.DataFrame:
    """All constructions on one table: construction, n_circuits, n_active, error, the three cost axes
    (with _lo/_hi for the measured one), tables, lanes, failure_upper, status."""
    exact = sizing.copy()
    exact["status"] = "ok"
    cols = ["construction", "n_circuits", "n_active", "error", *AXES, "tables", "lanes", "failure_upper", "status"]
    both = pd.concat([exact[cols], post], ignore_index=True)  # post: may be empty
    both["order"] = [ORDER.index(c) for c in both["construction"]]
    return both.sort_values(["n_circuits", "error", "order", "n_active"]).drop(columns="order").reset_index(drop=True)


def slopes(table: pd.DataFrame, axis: str = "dense_parameters") -> pd.DataFrame:
    """Per (construction, T, ε): the slope of log(axis) on log z over z ≥ 2 where the construction
    reaches ε (status ok), with its 95 % t-interval; columns slope, slope_lo, slope_hi, z_min, z_max, n."""
    rows = []
    for (c, T, eps), g in table.groupby(["construction", "n_circuits", "error"], sort=False):
        g = g[(g["status"] == "ok") & (g["n_active"] >= 2) & np.isfinite(g[axis].astype(float))]
        if len(g) < 2:
            continue
        x, y = np.log(g["n_active"].to_numpy(float)), np.log(g[axis].to_numpy(float))
        _, b = line_fit(x, y)
        lo, hi = slope_t_interval(x, y)
        rows.append({"construction": c, "n_circuits": int(T), "error": float(eps), "axis": axis, "slope": b, "slope_lo": lo,
                     "slope_hi": hi, "z_min": int(g["n_active"].min()), "z_max": int(g["n_active"].max()), "n": len(g)})
    return pd.DataFrame(rows)
