"""The `paper` study's numbers, computed from the gathered summary: the main network's errors
against theory, the post's §6 statements measured, the working threshold per z, diverged runs and
provenance.

Every function takes the summary Dataset (`cisim.datasets.read_summary`) and the composed
config's `report` group and returns plain dicts / DataFrames (one row per (z, layer) or per z);
`cisim.pages.paper` puts them on `reports/<study>/index.html`, so no number there is typed in by
hand. Spread over seeds: mean and a 95 % percentile-bootstrap CI of the mean (`stats.mean_ci`,
the same resamples as the figures). Whether a point works is decided by `criteria.works` only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import datasets, theory
from ..config import to_json
from .criteria import Criteria, margins, works
from .frontier import table as metric_table
from .stats import mean_ci
from .tables import d_circuit, in_grid, main_table, network

MAIN_VARIABLES = ["mse_x_active", "mse_x_inactive", "mse_alpha_active", "mse_alpha_inactive", "max_x_active"]
RUN_DIMS = ("point", "seed", "n_active")


# ---------------------------------------------------------------- main network
def main_errors(ds, cfg) -> pd.DataFrame:
    """Per (n_active, layer ≥ 1) of the main point: mean, CI over seeds and theory of each metric.

    Columns: n_active, layer, <var>, <var>_lo, <var>_hi for MAIN_VARIABLES, and
    theory_mse_x_active (eq 6.55), theory_mse_inactive (z·ε, eqs 6.43 and 6.57).
    """
    df = main_table(ds, MAIN_VARIABLES, cfg)
    net, d = network(df), d_circuit(ds, cfg["main_point"])
    rows = []
    for (z, layer), g in df[df["layer"] >= 1].groupby(["n_active", "layer"]):
        row = {"n_active": int(z), "layer": int(layer)}
        for var in MAIN_VARIABLES:
            row[var], row[f"{var}_lo"], row[f"{var}_hi"] = mean_ci(g[var])
        args = (net["d_model"], net["n_circuits"], net["redundancy"], z)
        row["theory_mse_x_active"] = float(theory.mse_x_active(*args, layer, d_circuit=d))
        row["theory_mse_inactive"] = float(theory.mse_inactive(*args, d_circuit=d))
        rows.append(row)
    return pd.DataFrame(rows)


def last_layer_below(layers, values, limit) -> int:
    """Last layer l ≥ 1 such that values stay below `limit` at every layer 1..l (0 if none)."""
    last = 0
    for layer, v in sorted(zip(layers, values)):
        if layer < 1:
            continue
        if not v < limit:
            break
        last = int(layer)
    return last


def main_claims(ds, cfg) -> pd.DataFrame:
    """The post's §6 statements about Figs 5–7, measured, one row per n_active.

    mean_ok_through: last layer with E‖δx‖² < 1 (the average circuit beats guessing 0);
    worst_ok_through: last layer with max ‖δx‖ < 1 in every seed (every sampled circuit does);
    ratio_to_theory: measured / eq 6.55 at the last layer; active_fraction (mean over blocks
    and seeds) at the last layer against z·S·d/D.
    """
    errors = main_errors(ds, cfg)
    worst = main_table(ds, ["max_x_active"], cfg).groupby(["n_active", "layer"])["max_x_active"].max().reset_index()
    frac = main_table(ds, ["active_fraction"], cfg, ("point", "seed", "n_active", "layer", "block"))
    net, d = network(frac), d_circuit(ds, cfg["main_point"])
    rows = []
    for z, g in errors.groupby("n_active"):
        w = worst[worst["n_active"] == z]
        last = g[g["layer"] == g["layer"].max()].iloc[0]
        f = frac[(frac["n_active"] == z) & (frac["layer"] == last["layer"])]["active_fraction"].mean()
        rows.append({
            "n_active": int(z),
            "n_layers": int(last["layer"]),
            "mean_ok_through": last_layer_below(g["layer"], g["mse_x_active"], 1.0),
            "worst_ok_through": last_layer_below(w["layer"], w["max_x_active"], 1.0),
            "mse_x_active_last": float(last["mse_x_active"]),
            "theory_last": float(last["theory_mse_x_active"]),
            "ratio_to_theory": float(last["mse_x_active"] / last["theory_mse_x_active"]) if last["theory_mse_x_active"] > 0 else math.nan,
            "active_fraction_last": float(f),
            "expected_active_fraction": float(theory.expected_active_fraction(net["d_model"], net["redundancy"], z, d_circuit=d)),
        })
    return pd.DataFrame(rows)


def chi_settings(ds, cfg) -> dict:
    """How the main network's suppression constant χ was built: chi_convention ("post": pairs
    t ≠ u, post eq 5.24; "published": pairs t < u, the authors' code; docs/reproduction.md) and
    chi_scale. Summaries gathered before the convention was recorded used "post"."""
    df = main_table(ds, ["mse_x_active"], cfg)
    row = df.iloc[0]
    convention = row["chi_convention"] if "chi_convention" in df else ds.attrs.get("chi_convention", datasets.DEFAULT_CHI_CONVENTION)
    return {"chi_convention": str(convention), "chi_scale": float(row["chi_scale"]) if "chi_scale" in df else 1.0}


# ---------------------------------------------------------------- working threshold
def threshold_from(loads, ok) -> tuple[float, float]:
    """(largest load L such that every point with load ≤ L works, smallest failing load), given
    whether each point works (`ok`, from `criteria.works`).

    Points with equal load form one level, which works only if all of them do. NaN for the
    threshold if the lowest level fails; NaN for the failure if no level fails.
    """
    levels = pd.Series(list(ok), index=list(loads), dtype=bool).groupby(level=0).all().sort_index()
    failing = levels.index[~levels.to_numpy()]
    first_fail = float(failing[0]) if len(failing) else math.nan
    below = levels.index[levels.index < first_fail] if len(failing) else levels.index
    return (float(below[-1]) if len(below) else math.nan), first_fail


def working_thresholds(ds, cfg) -> pd.DataFrame:
    """Per n_active on the scaling grid: the largest superposition_load up to which every point
    works (`analysis.criteria.works`) at layers 1..through_layer, judged on the seed-mean metrics
    (and per seed for the seed columns). Diverged runs do not work; points shallower than
    through_layer are left out.

    Columns: n_active, n_points, threshold and first_failure (from the seed-mean metrics),
    seed_thresholds (dict seed → threshold), seed_min (NaN if some seed has no working point),
    seed_max, max_load (largest load tested).
    """
    top = cfg["through_layer"]
    crit = Criteria.from_report(cfg)
    variables = list(crit.variables())
    df = metric_table(ds, variables)
    runs = datasets.tidy(ds, ["diverged"], RUN_DIMS).dropna(subset=["diverged"])  # the runs that exist
    df = df[in_grid(df, cfg["scaling_grid"])].merge(runs[["point", "seed", "n_active", "diverged"]], on=["point", "seed", "n_active"])
    df = df[(df["layer"] >= 1) & (df["layer"] <= top) & (df["n_layers"] >= top)]
    if df.empty:
        raise ValueError(f"report.scaling_grid={cfg['scaling_grid']!r} has no runs with layers 1..{top} (report.through_layer)")
    keys = ["point", "superposition_load", "n_active"]
    per_seed = margins(df, crit, [*keys, "seed"], through_layer=top)
    per_seed["ok"] = works(per_seed["r"])
    # n_circuits and redundancy are fixed per point: kept for the criteria that read them
    mean = df.groupby([*keys, "layer", "n_layers", "n_circuits", "redundancy"])[[*variables, "diverged"]].mean().reset_index()
    pooled = margins(mean, crit, keys, through_layer=top)
    pooled["ok"] = works(pooled["r"])
    rows = []
    for z, g in pooled.groupby("n_active"):
        threshold, first_fail = threshold_from(g["superposition_load"], g["ok"])
        s = per_seed[per_seed["n_active"] == z]
        seeds = {int(k): threshold_from(v["superposition_load"], v["ok"])[0] for k, v in s.groupby("seed")}
        vals = np.array(list(seeds.values()))
        rows.append({
            "n_active": int(z), "n_points": int(g["point"].nunique()), "threshold": threshold, "first_failure": first_fail,
            "seed_thresholds": seeds,
            "seed_min": float(vals.min()),  # NaN if some seed has no working point
            "seed_max": float(np.nanmax(vals)) if np.isfinite(vals).any() else math.nan,
            "max_load": float(g["superposition_load"].max()),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- runs and provenance
def diverged_runs(ds) -> pd.DataFrame:
    """Runs with NaN/Inf activations: point, seed, n_active, first_layer (first non-finite layer)."""
    counts = datasets.tidy(ds, ["nonfinite_count"]).dropna(subset=["nonfinite_count"])
    runs = datasets.tidy(ds, ["diverged"], RUN_DIMS)
    bad = runs[runs["diverged"] > 0][["point", "seed", "n_active"]]
    first = counts[counts["nonfinite_count"] > 0].groupby(["point", "seed", "n_active"])["layer"].min().rename("first_layer").reset_index()
    out = bad.merge(first, on=["point", "seed", "n_active"], how="left")
    return out.sort_values(["point", "seed", "n_active"]).reset_index(drop=True)


def provenance(ds, cfg) -> dict:
    """Where the numbers come from: the runs' git commits and config hashes, seeds, backend,
    package versions, and the report config (JSON and its sha256) the page was computed with."""
    runs = datasets.tidy(ds, ["diverged"], RUN_DIMS).dropna(subset=["diverged"])
    cfg_json = to_json(cfg)
    return {
        "title": ds.attrs.get("title", ""),
        "git_commits": sorted(runs["git_commit"].unique()),
        "git_dirty": ds.attrs.get("git_dirty", "mixed (differs between runs)"),
        "config_sha256": sorted(runs["config_sha256"].unique()),
        "n_points": int(runs["point"].nunique()),
        "seeds": sorted(int(s) for s in runs["seed"].unique()),
        "backend": ds.attrs.get("backend", "mixed"),
        "versions": {k: v for k, v in ds.attrs.items() if k.endswith("_version") or k == "source"},
        "report_config": cfg_json,
        "report_config_sha256": datasets.config_sha256(cfg_json),
    }
