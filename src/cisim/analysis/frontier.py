"""The capacity frontier of every design: the largest number of circuits T that still works.

A simulated point (design, allocation, D, S, L, T) *works* for a seed and a z when
`analysis.criteria.works` passes its margin r over every read-out layer 1..L (so in particular
the last one), per seed.

Per seed, along the sorted T sweep of a group (design, allocation, D, S, L, z):

* `capacity_tested`: the largest tested T of the contiguous working prefix (every smaller
  tested T works too);
* `capacity`: the crossing r = 1 interpolated linearly in (log T, log r) between that T and the
  next (failing) one — a finer estimate than the grid step (×1.5 in the designs study); when the
  working point is (near) exact (r < 0.01, e.g. a disjoint allocation) log r says nothing, and the
  interpolation is linear in (log T, r) instead;
* `capacity_<suffix>` (with `status_<suffix>`), one per criterion of `analysis.criteria` whose
  quantities the table has (`capacity_mse`, `capacity_fo`, `capacity_expected_wrong`,
  `capacity_seizure`, `capacity_neurons`): the same with that criterion alone — which one binds
  (e.g. do redundant indicators keep inactive circuits off?);
* `status`: "ok"; "lower_bound" when even the largest tested T works (capacity = that T, a
  lower bound: the sweep or the allocation capacity ended first); "below_range" when the
  smallest tested T already fails (capacity NaN).

Over seeds: mean and a 95 % Student-t confidence interval (`analysis.stats.mean_ci`, method t),
the group's status being the worst of its seeds; `load` = capacity·(d/D)² (the design's own d).
The ratio to the baseline compares means at the same (allocation, D, S, L, z); `ratio_ci` is
the t interval of the per-seed paired ratios (same seed: same angles and inputs).

Along S (`best_redundancy`, `redundancy_curve`): each (design, allocation, D, L, z) at its best
S, the tested S of the largest capacity (a measured crossing before a lower bound, ties to the
smaller S), flagged where it is the edge of the tested S range, with its whole S curve.

Pure pandas/numpy: tables come from `datasets.tidy`, nothing here touches files.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import datasets
from .criteria import NAMES, SUFFIX, Criteria, margins as criteria_margins, works
from .stats import mean_ci

GROUP = ["design", "allocation", "d_model", "redundancy", "n_layers", "n_active"]
MATCH = ["allocation", "d_model", "redundancy", "n_layers", "n_active"]  # what a ratio to the baseline holds fixed


def matching(frame: pd.DataFrame, row, keys=MATCH) -> pd.Series:
    """Rows of `frame` at the setting of `row`: equal in every column of `keys` (default MATCH)."""
    return pd.Series(np.logical_and.reduce([frame[k] == row[k] for k in keys]), index=frame.index)
BASELINE = "baseline"
EXACT_MARGIN = 1e-2  # below this margin the last working point counts as exact (interpolate r, not log r)
STATUS_ORDER = {"ok": 0, "lower_bound": 1, "below_range": 2}


def design_label(point: str, grid: str, allocation: str) -> str:
    """The design with its options from a point label `<grid>-<design><-opts>-<allocation>…`
    (e.g. "redundant_indicators-embeddingindependent-k3")."""
    if point.startswith(grid + "-"):
        rest = point[len(grid) + 1 :]
    else:  # a stored grid string cut short: grid names hold no "-", so the label's first field is the grid
        rest = point.split("-", 1)[1] if "-" in point else point
    cut = rest.find(f"-{allocation}")
    return rest if cut < 0 else rest[:cut]


def with_design(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of `table` (columns point, grid, allocation) with column `design` (`design_label`)."""
    return table.assign(design=[design_label(p, g, a) for p, g, a in zip(table["point"], table["grid"], table["allocation"])])


CRITERION_VARIABLES = ("mse_x_active", "false_on_rate", "seizure_rate", "active_neurons")  # what any criterion reads
BLOCK_VARIABLES = ("active_neurons",)  # per block: the criteria read the busiest block


def table(ds, variables=None) -> pd.DataFrame:
    """`datasets.tidy` of per-layer metrics, one row per (point, seed, z, layer).

    variables None: those of CRITERION_VARIABLES the dataset has (every criterion it can judge).
    A per-block variable (`active_neurons`) is reduced to its busiest block (largest value).
    A summary gathered from designs of different widths d can carry a spurious `block` dimension
    on every metric (the metrics repeated along it, NaN past a design's own d); it is dropped
    here so that the frontier does not depend on how `gather` aligned the files."""
    if variables is None:
        variables = [v for v in CRITERION_VARIABLES if v in ds.variables]
    blocks = [v for v in variables if v in BLOCK_VARIABLES]
    variables = [v for v in variables if v not in BLOCK_VARIABLES]
    try:
        t = datasets.tidy(ds, variables)
    except ValueError:
        t = datasets.tidy(ds, variables, dims=("point", "seed", "n_active", "layer", "block"))
        t = t.dropna(subset=variables, how="all").drop(columns="block")
        t = t.drop_duplicates(subset=[c for c in t.columns if c not in variables]).reset_index(drop=True)
    for v in blocks:
        b = datasets.tidy(ds, [v], dims=("point", "seed", "n_active", "layer", "block"))
        busiest = b.groupby(["point", "seed", "n_active", "layer"], sort=True)[v].max().reset_index()  # NaN blocks skipped
        t = t.merge(busiest, on=["point", "seed", "n_active", "layer"], how="left")
    return t


def margins(table: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """One row per (group, T, seed): r and each criterion's r_<suffix> over layers 1..L
    (`analysis.criteria.margins`).

    `table`: `table(ds)` (columns point, seed, n_active, layer, the metrics and every point
    coordinate)."""
    t = with_design(table)
    t["d_factor"] = t["superposition_load"] / t["n_circuits"]
    keys = [*GROUP, "n_circuits", "seed"]
    out = criteria_margins(t, criteria, keys)
    factor = t.groupby(keys, sort=True)["d_factor"].first().reset_index()
    return out.merge(factor, on=keys, how="left")


def crossing(n: np.ndarray, r: np.ndarray) -> tuple[float, float, str]:
    """(capacity, capacity_tested, status) of one seed's sweep: n ascending, r its margins."""
    ok = works(r)
    if not ok[0]:
        return float("nan"), float("nan"), "below_range"
    m = len(ok) if ok.all() else int(np.argmin(ok))  # first failing index
    last = m - 1
    if m == len(ok):
        return float(n[last]), float(n[last]), "lower_bound"
    lo, hi = r[last], r[m]
    if not np.isfinite(hi):
        return float(n[last]), float(n[last]), "ok"
    if lo >= EXACT_MARGIN:  # power-law growth: linear in (log T, log r)
        frac = (0.0 - math.log(lo)) / (math.log(hi) - math.log(lo)) if hi > lo else 0.0
    else:  # the working point is (near) exact, e.g. a disjoint allocation: log r is meaningless there
        frac = (1.0 - lo) / (hi - lo)
    cap = math.exp(math.log(n[last]) + frac * (math.log(n[m]) - math.log(n[last])))
    return float(cap), float(n[last]), "ok"


def suffixes(frame: pd.DataFrame, prefix: str) -> list[str]:
    """The criteria suffixes (`criteria.SUFFIX`, in `criteria.NAMES` order) with a column `<prefix><suffix>`."""
    return [SUFFIX[c] for c in NAMES if f"{prefix}{SUFFIX[c]}" in frame]


def per_seed(table: pd.DataFrame, mse_threshold: float = 0.1, false_on_threshold: float = 1e-3,
             criteria: Criteria | None = None) -> pd.DataFrame:
    """The frontier per (group, seed): capacity, capacity_tested, load, status (from the applied
    criteria), and capacity_<suffix> / status_<suffix> per criterion alone. `criteria` None: the
    default criteria with the two thresholds given."""
    m = margins(table, Criteria(mse_threshold, false_on_threshold) if criteria is None else criteria)
    alone = suffixes(m, "r_")
    rows = []
    for key, g in m.groupby([*GROUP, "seed"], sort=True):
        g = g.sort_values("n_circuits")
        n = g["n_circuits"].to_numpy(float)
        cap, tested, status = crossing(n, g["r"].to_numpy(float))
        factor = float(g["d_factor"].iloc[0])
        row = {**dict(zip([*GROUP, "seed"], key)), "capacity": cap, "capacity_tested": tested,
               "load": cap * factor, "t_min": float(n.min()), "t_max": float(n.max()), "status": status}
        for c in alone:
            row[f"capacity_{c}"], _, row[f"status_{c}"] = crossing(n, g[f"r_{c}"].to_numpy(float))
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(seeds: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % CI over seeds per group, the worst status, and the ratio to the baseline."""
    rows = []
    for key, g in seeds.groupby(GROUP, sort=True):
        mean, lo, hi = mean_ci(g["capacity"].to_numpy(), "t")
        lmean, llo, lhi = mean_ci(g["load"].to_numpy(), "t")
        status = max(g["status"], key=STATUS_ORDER.get)
        extra = {}
        for c in suffixes(seeds, "status_"):
            extra[f"capacity_{c}"] = mean_ci(g[f"capacity_{c}"].to_numpy(), "t")[0]
            extra[f"status_{c}"] = max(g[f"status_{c}"], key=STATUS_ORDER.get)
        rows.append({**dict(zip(GROUP, key)), "capacity": mean, "capacity_lo": lo, "capacity_hi": hi,
                     "capacity_tested": float(g["capacity_tested"].mean()), "load": lmean, "load_lo": llo, "load_hi": lhi,
                     "t_min": float(g["t_min"].min()), "t_max": float(g["t_max"].max()), "n_seeds": int(len(g)), "status": status,
                     **extra})
    out = pd.DataFrame(rows)
    base = seeds[seeds["design"] == BASELINE].set_index([*MATCH, "seed"])["capacity"]
    base_mean = out[out["design"] == BASELINE].set_index(MATCH)
    ratio, ratio_lo, ratio_hi, base_cap, base_status = [], [], [], [], []
    for _, row in out.iterrows():
        k = tuple(row[c] for c in MATCH)
        if k not in base_mean.index:
            ratio.append(np.nan); ratio_lo.append(np.nan); ratio_hi.append(np.nan); base_cap.append(np.nan); base_status.append("")
            continue
        b = base_mean.loc[k]
        base_cap.append(float(b["capacity"]))
        base_status.append(str(b["status"]))
        ratio.append(row["capacity"] / b["capacity"] if b["capacity"] > 0 else np.nan)
        mine = seeds[matching(seeds, row, ["design", *MATCH])]
        paired = [c / base.loc[(*k, s)] for s, c in zip(mine["seed"], mine["capacity"]) if (*k, s) in base.index]
        _, lo, hi = mean_ci(np.array(paired), "t") if len(paired) == len(mine) else (np.nan, np.nan, np.nan)
        ratio_lo.append(lo)
        ratio_hi.append(hi)
    out["baseline_capacity"] = base_cap
    out["baseline_status"] = base_status
    out["ratio"] = ratio
    out["ratio_lo"] = ratio_lo
    out["ratio_hi"] = ratio_hi
    return out


def frontier(table: pd.DataFrame, report: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-seed frontier, summary with ratios) for the criteria of `CFG["report"]`
    (`criteria.Criteria.from_report`: the thresholds and `report.criteria`)."""
    seeds = per_seed(table, criteria=Criteria.from_report(report))
    return seeds, summarize(seeds)


def format_capacity(row) -> str:
    """'312 [290, 334]', '≥ 1350' (lower bound) or '< 25' (below the sweep)."""
    if row["status"] == "below_range":
        return f"< {row['t_min']:.0f}"
    if row["status"] == "lower_bound":
        return f"≥ {row['capacity']:.0f}"
    if np.isfinite(row["capacity_lo"]):
        return f"{row['capacity']:.0f} [{row['capacity_lo']:.0f}, {row['capacity_hi']:.0f}]"
    return f"{row['capacity']:.0f}"


# ---------------------------------------------------------------- capacity along S
S_GROUP = ["design", "allocation", "d_model", "n_layers", "n_active"]  # what the best S is chosen within
S_CURVE_COLUMNS = ["redundancy", "capacity", "capacity_lo", "capacity_hi", "status", "t_min"]
RATIO_COLUMNS = ("ratio", "ratio_lo", "ratio_hi", "baseline_capacity", "baseline_status")


def redundancy_curve(summary: pd.DataFrame) -> pd.DataFrame:
    """The S curve of every (design, allocation, D, L, z): the summary's rows sorted by S_GROUP and
    S, columns S_GROUP + S_CURVE_COLUMNS (capacity T* with its CI and status at each tested S)."""
    return summary.sort_values([*S_GROUP, "redundancy"])[[*S_GROUP, *S_CURVE_COLUMNS]].reset_index(drop=True)


def largest(rows: pd.DataFrame, tie: str) -> tuple[pd.Series | None, str]:
    """The row of largest capacity among `rows` (frontier summary rows) and the rule that chose
    it: "measured" (the largest measured crossing, status "ok"), "lower bound, none measured"
    (no row has a measured one), "lower bound above every measured capacity" (a lower bound
    "≥ T" is not comparable with a measured crossing, so it wins only when it exceeds all of
    them), or "below range" (no finite capacity: row None). Equal capacities go to the smallest
    value of column `tie`."""
    finite = rows[np.isfinite(rows["capacity"])]
    measured = finite[finite["status"] == "ok"]
    bounds = finite[finite["status"] == "lower_bound"]
    top = lambda h: h.loc[h.sort_values(["capacity", tie], ascending=[False, True]).index[0]]  # noqa: E731
    if len(measured) and not (len(bounds) and bounds["capacity"].max() > measured["capacity"].max()):
        return top(measured), "measured"
    if len(bounds):
        return top(bounds), "lower bound, none measured" if not len(measured) else "lower bound above every measured capacity"
    return None, "below range"


def best_redundancy(summary: pd.DataFrame) -> pd.DataFrame:
    """Each (design, allocation, D, L, z) at its best S: the tested S with the largest capacity T*.

    `summary`: a frontier summary (`summarize`: one row per design, allocation, D, S, L, z; any
    extra columns, e.g. the reference T₀ and gain of `analysis.costs.with_reference`, come along
    with the chosen row — T₀ = D/d does not depend on S). Decisions are the frontier's
    (`criteria.works` through `crossing`); the choice only compares capacities:

    * (`largest`) a measured crossing (status "ok") is preferred; a lower bound "≥ T" (the largest tested T
      still works) is not comparable with it and is chosen only when it exceeds every measured
      capacity (then the true capacity there exceeds them too) or when no S has a measured one;
    * ties (equal T*) go to the smallest S (fewest neurons per circuit and layer);
    * when every S fails at its smallest tested T, no S is best: redundancy NaN, status
      "below_range", capacity NaN, t_min the smallest over S.

    Columns: every column of the chosen summary row (redundancy = the best S) but the ratio to
    the baseline (RATIO_COLUMNS: it holds S fixed, the best S of two designs can differ), and
    s_tested (tuple of the tested S), s_rule (how the row was chosen: "measured", "lower bound,
    none measured", "lower bound above every measured capacity", "below range at every S"), s_edge ("single"
    when one S was tested, "low"/"high" when the best S is the smallest/largest tested one —
    the true best may lie outside the sweep's S range —, else ""), s_within_ci (tuple of the
    other S with a measured capacity whose 95 % CI overlaps the best one's: not distinguishable
    from it) and s_open (tuple of the other S whose capacity is a lower bound not above the best
    one: they may be better; the sweep did not reach their crossing)."""
    rows = []
    for _, g in summary.sort_values([*S_GROUP, "redundancy"]).groupby(S_GROUP, sort=True):
        best, rule = largest(g, "redundancy")
        if best is None:
            best, rule = g.iloc[int(np.argmin(g["t_min"].to_numpy()))], "below range at every S"
        tested = tuple(int(s) for s in g["redundancy"])
        others = g[g["redundancy"] != best["redundancy"]]
        measured = others[(others["status"] == "ok") & np.isfinite(others["capacity"])]
        within, open_ = (), ()
        if rule != "below range at every S":
            if best["status"] == "ok" and np.isfinite(best["capacity_lo"]):
                overlap = (measured["capacity_hi"] >= best["capacity_lo"]) & (measured["capacity_lo"] <= best["capacity_hi"])
                within = tuple(int(s) for s in measured.loc[overlap, "redundancy"])
            open_ = tuple(int(s) for s in others.loc[others["status"] == "lower_bound", "redundancy"])
        S = best["redundancy"]
        edge = ("single" if len(tested) == 1 else "low" if S == tested[0] else "high" if S == tested[-1] else "")
        row = {k: v for k, v in best.to_dict().items() if k not in RATIO_COLUMNS}
        if rule == "below range at every S":
            row.update(redundancy=np.nan, capacity=np.nan, capacity_lo=np.nan, capacity_hi=np.nan, status="below_range",
                       t_min=float(g["t_min"].min()))
            edge = ""
        rows.append({**row, "s_tested": tested, "s_rule": rule, "s_edge": edge, "s_within_ci": within, "s_open": open_})
    return pd.DataFrame(rows)
