"""The designs study's numbers: which indicator design computes more circuits than the baseline
at equal width D and equal computing depth L, and why (docs/designs.md).

Inputs: the frontier summary (`analysis.frontier.summarize`: one row per design, allocation, D,
S, L, z), the gathered dataset (per-layer metrics through `analysis.frontier.table`) and the
study's points (for the accounting). What the comparison holds fixed — the allocation and S of
the design comparison, the (D, L) of the allocation and S comparisons, z of the per-layer
curves — is `Slice.from_report(report)` (config group `report`, fields `designs_*`); the best-S
comparison (`best_s`) lets S vary instead, each design at the tested S of its largest capacity.

Everything here returns DataFrames, rows and dicts of numbers; `cisim.pages.designs` words them
and `cisim.plots.designs` draws them. Pure pandas/numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import config as cisim_config
from ..construction import DESIGNS, NetworkSpec, build
from . import costs, frontier

# Display names of the study's designs (frontier.design_label), in the order tables list them.
PRETTY = {
    "baseline": "baseline",
    "redundant_indicators-decodemean-embeddingshared-k3-rotation_pairs1": "redundant k=3, shared",
    "redundant_indicators-decodemean-embeddingindependent-k3-rotation_pairs1": "redundant k=3, independent",
    "indicator_share-fraction0.3-redundancy_onNone": "indicator share 0.3",
    "indicator_share-fraction0.7-redundancy_onNone": "indicator share 0.7",
    "carried_indicators-fraction0.5": "carried pool 0.5",
    "indicator_cleanup-every2": "clean-up every 2",
}
ORDER = list(PRETTY)
INDEPENDENT = "redundant_indicators-decodemean-embeddingindependent-k3-rotation_pairs1"
SHARED = "redundant_indicators-decodemean-embeddingshared-k3-rotation_pairs1"
# The designs behind each of the study's first three questions (docs/designs.md); the fourth
# (larger S, other allocations) compares the configurations present in the data.
GROUPS = {
    "redundant": [INDEPENDENT, SHARED],
    "share": ["indicator_share-fraction0.3-redundancy_onNone", "indicator_share-fraction0.7-redundancy_onNone"],
    "carried": ["carried_indicators-fraction0.5", "indicator_cleanup-every2"],
}
CURVE_VARIABLES = ["mse_x_active", "false_on_rate", "failed_rotation_rate"]
N_FALSE_ON_SETTINGS = 2  # matched settings whose last-layer false-on rates each answer quotes
CURVE_FLOOR = 1e-6  # per-layer curve values below this, exact zeros included, are shown at it (log axes)


@dataclass(frozen=True)
class Slice:
    """What the comparison holds fixed (config group `report`, fields `designs_*`)."""

    allocation: str  # allocation of the design comparison (tables, frontier figure, win counts)
    redundancy: int  # S of the design comparison
    d_model: int  # D of the allocation and S comparisons
    n_layers: int  # L of the allocation and S comparisons
    n_active: int  # z of the per-layer curves at matched settings

    @classmethod
    def from_report(cls, report: dict) -> "Slice":
        return cls(str(report["designs_allocation"]), int(report["designs_redundancy"]), int(report["designs_d_model"]),
                   int(report["designs_n_layers"]), int(report["designs_n_active"]))


def pretty(label: str) -> str:
    return PRETTY.get(label, label)


def order_key(label: str) -> int:
    return ORDER.index(label) if label in ORDER else len(ORDER)


def sorted_designs(labels) -> list:
    """Design labels in the page's order (PRETTY), unknown ones last."""
    return sorted(set(labels), key=order_key)


# ---------------------------------------------------------------- accounting
def accounting_table(points: list) -> pd.DataFrame:
    """One row per (design, D, L) of the study's points (`config.expand_points`): design label,
    d_model and the design's `accounting` (neurons_per_layer, depth = activation layers with
    clean-up layers included, computing_layers, neurons, dense parameters), ordered by D,
    computing layers and design."""
    rows = {}
    for p in points:
        spec = NetworkSpec.from_point(p)
        label = _label(p)
        rows[(label, spec.d_model, spec.n_layers)] = {"design": label, "d_model": spec.d_model, **DESIGNS[spec.design].accounting(spec)}
    df = pd.DataFrame(list(rows.values()))
    return df.sort_values(["d_model", "computing_layers", "design"],
                          key=lambda c: c.map(order_key) if c.name == "design" else c).reset_index(drop=True)


# ---------------------------------------------------------------- reference and cost axes
BUILD_MAX_D = 4096  # widest network whose dense matrices the cost table forms (one D² float64 array at a time)
COST_SEED = 0  # the seed of the network the cost table counts (counts hardly move with the seed)


def _label(p: dict) -> str:
    return frontier.design_label(cisim_config.point_label(p), p["grid"], p["allocation"])


def circuit_widths(points: list) -> dict:
    """{design label: d}, the circuit width of each design of the study's points, read from a
    built network (`construction.build` at the label's smallest point; structured, no D² array)."""
    first = {}
    for p in sorted(points, key=lambda p: (p["d_model"], p["n_circuits"])):
        first.setdefault(_label(p), p)
    return {label: int(build(NetworkSpec.from_point(p), COST_SEED)[1].positions.shape[2]) for label, p in first.items()}


def with_reference(summary: pd.DataFrame, points: list) -> pd.DataFrame:
    """The frontier summary with the no-superposition reference of each row's design
    (`costs.with_reference`: d_circuit, t0 = ⌊D/d⌋, gain, gain_lo, gain_hi, beats)."""
    return costs.with_reference(summary, circuit_widths(points))


def cost_table(points: list, summary: pd.DataFrame, ref: Slice) -> pd.DataFrame:
    """Every design of the reference allocation and S per (D, L), on the cost axes
    (`analysis.costs`), at z = ref.n_active.

    The network counted is the one simulated at the design's tested capacity there (its largest
    working tested T; the smallest tested T when none works), built with seed COST_SEED: its
    non-zero and structured parameters are counted on the built network (`costs.network_costs`)
    up to D = BUILD_MAX_D, and derived from the design's accounting above it
    (`costs.derived_costs`; column `counted` says which). `summary` must carry the reference
    (`with_reference`). Columns: design, d_model, n_layers, n_active, d_circuit, n_circuits (the
    T counted), counted, the costs (width, depth, neurons, parameters_dense, parameters_nonzero,
    parameters_structured, indices), capacity, capacity_lo, capacity_hi, status, t_min, t0, gain (and _lo, _hi),
    `costs.per_cost` (per_<axis>, ref_per_<axis>, gain_<axis>)."""
    s = summary[(summary["allocation"] == ref.allocation) & (summary["redundancy"] == ref.redundancy)
                & (summary["n_active"] == ref.n_active)]
    tested = {}
    for p in points:
        if p["allocation"] == ref.allocation and p["redundancy"] == ref.redundancy:
            tested.setdefault((_label(p), p["d_model"], p["n_layers"]), {})[p["n_circuits"]] = p
    rows = []
    for _, r in s.iterrows():
        key = (r["design"], int(r["d_model"]), int(r["n_layers"]))
        if key not in tested:
            continue
        Ts = tested[key]
        T = int(r["capacity_tested"]) if np.isfinite(r["capacity_tested"]) and int(r["capacity_tested"]) in Ts else min(Ts)
        spec = NetworkSpec.from_point(Ts[T])
        _, network = build(spec, COST_SEED)
        d = int(network.positions.shape[2])
        if spec.d_model <= BUILD_MAX_D:
            c, counted = costs.network_costs(network), "built network"
        else:
            c, counted = costs.derived_costs(DESIGNS[spec.design].accounting(spec), T, d, spec.redundancy), "derived"
        reference = costs.disjoint_costs(spec.d_model, d, spec.n_layers)  # the same computing layers L
        rows.append({"design": r["design"], "d_model": key[1], "n_layers": key[2], "n_active": ref.n_active, "d_circuit": d,
                     "n_circuits": T, "counted": counted, **c,
                     **{k: r[k] for k in ("capacity", "capacity_lo", "capacity_hi", "status", "t_min", "t0", "gain", "gain_lo", "gain_hi")},
                     **costs.per_cost(float(r["capacity"]), c, reference)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(["d_model", "n_layers", "design"],
                           key=lambda c: c.map(order_key) if c.name == "design" else -c if c.name == "d_model" else c).reset_index(drop=True)


def reference_facts(summary: pd.DataFrame, ref: Slice) -> list[dict]:
    """Where superposition pays, against no superposition (gain T*/T₀ with its CI), at the
    reference allocation and S. Per (D, L), largest D first: {kind: reference_panel, d_model,
    n_layers, beaten: [z where some design beats T₀], not_beaten: [z where none does], best:
    {z: (design, row) of the largest gain}}; then, when some z₀ exists above which no design
    beats T₀ at any (D, L): {kind: reference_overall, d_max, z_from}. `summary` must carry
    the reference (`with_reference`)."""
    s = summary[(summary["allocation"] == ref.allocation) & (summary["redundancy"] == ref.redundancy)]
    out, never = [], set()
    zs_all = sorted(int(z) for z in s["n_active"].unique())
    for D, L in panels(s, ref.allocation):
        g = s[(s["d_model"] == D) & (s["n_layers"] == L)]
        beaten, not_beaten, best = [], [], {}
        for z in sorted(int(z) for z in g["n_active"].unique()):
            h = g[g["n_active"] == z]
            (beaten if h["beats"].any() else not_beaten).append(z)
            finite = h[np.isfinite(h["gain"])]
            if len(finite):
                top = finite.loc[finite["gain"].idxmax()]
                best[z] = (top["design"], top)
        out.append({"kind": "reference_panel", "d_model": D, "n_layers": L, "beaten": beaten, "not_beaten": not_beaten, "best": best})
        never |= set(beaten)
    z_from = next((z for z in zs_all if all(b < z for b in never)), None)
    if out and z_from is not None:
        out.append({"kind": "reference_overall", "d_max": max(D for D, _ in panels(s, ref.allocation)), "z_from": z_from})
    return out


# ---------------------------------------------------------------- each design at its best S
def best_s_panels(summary: pd.DataFrame, allocation: str) -> list[tuple[int, int]]:
    """The (D, L) run with `allocation` where some design was run at more than one S, largest D
    first (elsewhere the best S is the one S tested, shown by the capacity tables)."""
    s = summary[summary["allocation"] == allocation]
    n_s = s.groupby(["design", "d_model", "n_layers"])["redundancy"].nunique()
    return sorted({(int(D), int(L)) for (_, D, L), n in n_s.items() if n > 1}, key=lambda k: (-k[0], k[1]))


def best_s(summary: pd.DataFrame, points: list, ref: Slice) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(best, curve): every design of the reference allocation at its best S
    (`frontier.best_redundancy`) and its whole S curve (`frontier.redundancy_curve`), at the
    (D, L) of `best_s_panels`.

    `best` carries the reference (`summary` must: `with_reference`; T₀ = D/d and the gain
    T*/T₀ at the best S) and, from the design's accounting (`costs.derived_costs`; the neuron and
    dense-parameter counts do not depend on S or T), gain_neurons and gain_parameters_dense
    (`costs.per_cost`: T* per neuron / per dense parameter over the no-superposition network's).
    Rows ordered by D (largest first), L, z and design."""
    keep = set(best_s_panels(summary, ref.allocation))
    in_panel = np.array([(int(D), int(L)) in keep for D, L in zip(summary["d_model"], summary["n_layers"])], dtype=bool)
    s = summary[(summary["allocation"] == ref.allocation).to_numpy() & in_panel]
    if s.empty:
        return pd.DataFrame(), pd.DataFrame()
    best, curve = frontier.best_redundancy(s), frontier.redundancy_curve(s)
    acc = {(r["design"], int(r["d_model"]), int(r["computing_layers"])): r for _, r in accounting_table(points).iterrows()}
    gains = []
    for _, r in best.iterrows():
        a, D, L = acc.get((r["design"], int(r["d_model"]), int(r["n_layers"]))), int(r["d_model"]), int(r["n_layers"])
        if a is None or not np.isfinite(r["capacity"]):
            gains.append((np.nan, np.nan))
            continue
        c = costs.derived_costs(a, int(r["capacity_tested"]), int(r["d_circuit"]), int(r["redundancy"]))
        g = costs.per_cost(float(r["capacity"]), c, costs.disjoint_costs(D, int(r["d_circuit"]), L))
        gains.append((g["gain_neurons"], g["gain_parameters_dense"]))
    best["gain_neurons"] = [g[0] for g in gains]
    best["gain_parameters_dense"] = [g[1] for g in gains]
    best = best.sort_values(["d_model", "n_layers", "n_active", "design"],
                            key=lambda c: c.map(order_key) if c.name == "design" else -c if c.name == "d_model" else c)
    return best.reset_index(drop=True), curve


def best_s_facts(best: pd.DataFrame) -> list[dict]:
    """Per (D, L) of `best_s` (largest D first), the designs compared each at its own best S, at
    equal D: {kind: best_s, d_model, n_layers, per_z: [{n_active, top: (design, row) of the
    largest capacity (`frontier.largest`: a measured one before a lower bound; ties in page order),
    baseline: row or None, above, below, overlap: designs whose measured 95 % CI lies above /
    below / overlaps the baseline's (both measured)}], edges: [(design, z, S, "low"/"high")],
    single: [(design, S)] (one S tested)}."""
    out = []
    if best.empty:
        return out
    for (D, L), g in best.groupby(["d_model", "n_layers"], sort=False):
        per_z = []
        for z, h in g.groupby("n_active", sort=True):
            top, _ = frontier.largest(h.assign(order=h["design"].map(order_key)), "order")
            measured = h[(h["status"] == "ok") & np.isfinite(h["capacity"])]
            b = h[h["design"] == frontier.BASELINE]
            base = None if b.empty else b.iloc[0]
            above, below, overlap = [], [], []
            if base is not None and base["status"] == "ok":
                for _, r in measured[measured["design"] != frontier.BASELINE].iterrows():
                    (above if r["capacity_lo"] > base["capacity_hi"] else below if r["capacity_hi"] < base["capacity_lo"]
                     else overlap).append(r["design"])
            per_z.append({"n_active": int(z), "top": None if top is None else (top["design"], top), "baseline": base,
                          "above": above, "below": below, "overlap": overlap})
        edges = [(r["design"], int(r["n_active"]), int(r["redundancy"]), r["s_edge"]) for _, r in g.iterrows() if r["s_edge"] in ("low", "high")]
        single = sorted({(r["design"], int(r["redundancy"])) for _, r in g.iterrows() if r["s_edge"] == "single"}, key=lambda x: order_key(x[0]))
        out.append({"kind": "best_s", "d_model": int(D), "n_layers": int(L), "per_z": per_z, "edges": edges, "single": single})
    return out


# ---------------------------------------------------------------- selections
def row(summary: pd.DataFrame, design: str, D: int, z: int, L: int, allocation: str, S: int):
    """The frontier summary row of one (design, allocation, D, S, L, z), or None."""
    g = summary[(summary["design"] == design) & (summary["d_model"] == D) & (summary["n_active"] == z)
                & (summary["n_layers"] == L) & (summary["allocation"] == allocation) & (summary["redundancy"] == S)]
    return None if g.empty else g.iloc[0]


def panels(summary: pd.DataFrame, allocation: str) -> list[tuple[int, int]]:
    """The (D, L) pairs run with `allocation`, largest D first."""
    s = summary[summary["allocation"] == allocation]
    return sorted({(int(D), int(L)) for D, L in zip(s["d_model"], s["n_layers"])}, key=lambda k: (-k[0], k[1]))


def n_active_values(summary: pd.DataFrame, D: int, L: int, allocation: str, S: int) -> list[int]:
    """The z values of the frontier at (allocation, D, S, L)."""
    s = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["allocation"] == allocation)
                & (summary["redundancy"] == S)]
    return sorted(int(z) for z in s["n_active"].unique())


# ---------------------------------------------------------------- per-layer curves
def matched_settings(summary: pd.DataFrame, ds, ref: Slice) -> list[dict]:
    """Matched settings for the per-layer curves, for each (D, L) of the reference allocation and
    S: z = ref.n_active at the baseline's tested capacity and at the next tested T (where it
    fails). Dicts with d_model, n_circuits, n_layers, n_active."""
    t = frontier.table(ds, ["mse_x_active"])
    base = summary[(summary["allocation"] == ref.allocation) & (summary["redundancy"] == ref.redundancy)
                   & (summary["design"] == frontier.BASELINE) & (summary["n_active"] == ref.n_active)]
    out = []
    for (D, L), g in base.groupby(["d_model", "n_layers"]):
        tested = sorted(t[(t["d_model"] == D) & (t["n_layers"] == L) & (t["allocation"] == ref.allocation)]["n_circuits"].unique())
        cap = g["capacity_tested"].iloc[0]
        above = [x for x in tested if x > cap]
        for T in ([int(cap)] if cap == cap else []) + above[:1]:
            out.append({"d_model": int(D), "n_circuits": int(T), "n_layers": int(L), "n_active": ref.n_active})
    return out


def curves(ds, settings: list[dict], ref: Slice) -> pd.DataFrame:
    """Mean over seeds of CURVE_VARIABLES per design and computing layer 1..L at each matched
    setting (reference allocation and S): columns design, layer, the variables, and the setting's
    d_model, n_circuits, n_layers, n_active."""
    t = frontier.with_design(frontier.table(ds, CURVE_VARIABLES))
    out = []
    for s in settings:
        sel = t[(t["d_model"] == s["d_model"]) & (t["n_circuits"] == s["n_circuits"]) & (t["n_layers"] == s["n_layers"])
                & (t["n_active"] == s["n_active"]) & (t["allocation"] == ref.allocation)
                & (t["redundancy"] == ref.redundancy) & (t["layer"] >= 1) & (t["layer"] <= t["n_layers"])]
        g = sel.groupby(["design", "layer"])[CURVE_VARIABLES].mean().reset_index()
        out.append(g.assign(**s))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def false_on_at(ds, designs: list[str], setting: dict, ref: Slice, table: pd.DataFrame | None = None) -> dict:
    """Last-layer false-on rate (mean over seeds) per design at one matched setting. `table`:
    `frontier.table(ds, ["false_on_rate"])` when the caller already has it (else read from `ds`)."""
    t = frontier.table(ds, ["false_on_rate"]) if table is None else table
    L = setting["n_layers"]
    t = frontier.with_design(t[(t["d_model"] == setting["d_model"]) & (t["n_circuits"] == setting["n_circuits"]) & (t["n_layers"] == L)
                    & (t["n_active"] == setting["n_active"]) & (t["layer"] == L) & (t["allocation"] == ref.allocation)
                    & (t["redundancy"] == ref.redundancy)])
    return {d: float(t[t["design"] == d]["false_on_rate"].mean()) for d in designs if (t["design"] == d).any()}


# ---------------------------------------------------------------- comparisons
def compare(summary: pd.DataFrame, designs: list[str], D: int, z: int, L: int, ref: Slice) -> dict | None:
    """The baseline's and each design's frontier rows at one (D, z, L) of the reference slice
    (None without a baseline row or without any of `designs`): {d_model, n_active, n_layers,
    baseline, rows: [(design, row)]}."""
    base = row(summary, frontier.BASELINE, D, z, L, ref.allocation, ref.redundancy)
    if base is None:
        return None
    rows = [(d, r) for d in designs if (r := row(summary, d, D, z, L, ref.allocation, ref.redundancy)) is not None]
    return {"d_model": D, "n_active": z, "n_layers": L, "baseline": base, "rows": rows} if rows else None


def wins(summary: pd.DataFrame, design: str, other: str, ref: Slice) -> tuple[int, int, int]:
    """(better, worse, total) over the (D, z, L) settings of the reference slice where both designs
    have a finite capacity; better/worse only when the 95 % CIs are separated."""
    s = summary[(summary["allocation"] == ref.allocation) & (summary["redundancy"] == ref.redundancy)]
    better = worse = total = 0
    for _, g in s.groupby(["d_model", "n_active", "n_layers"]):
        a, b = g[g["design"] == design], g[g["design"] == other]
        if a.empty or b.empty:
            continue
        a, b = a.iloc[0], b.iloc[0]
        if not (np.isfinite(a["capacity"]) and np.isfinite(b["capacity"])):
            continue
        total += 1
        if a["capacity_lo"] > b["capacity_hi"]:
            better += 1
        elif a["capacity_hi"] < b["capacity_lo"]:
            worse += 1
    return better, worse, total


def criteria_capacities(summary: pd.DataFrame, designs: list[str], D: int, L: int, ref: Slice) -> dict | None:
    """Capacity with each criterion alone (columns capacity_fo/status_fo, capacity_mse/status_mse
    of the rows) at every z of (D, L), for the baseline and `designs` that have all of them:
    {d_model, n_layers, zs, rows: [(design, [row per z])]}, None when none of `designs` has them."""
    zs = n_active_values(summary, D, L, ref.allocation, ref.redundancy)
    rows = []
    for d in [frontier.BASELINE, *designs]:
        per_z = [row(summary, d, D, z, L, ref.allocation, ref.redundancy) for z in zs]
        if zs and all(r is not None for r in per_z):
            rows.append((d, per_z))
    return {"d_model": D, "n_layers": L, "zs": zs, "rows": rows} if len(rows) > 1 else None


def by_redundancy(summary: pd.DataFrame, ref: Slice) -> list[dict]:
    """The baseline at (ref allocation, D, L) per z with every S run, where more than one S was:
    [{allocation, d_model, n_layers, n_active, rows: [(S, row)]}]."""
    base = summary[(summary["design"] == frontier.BASELINE) & (summary["d_model"] == ref.d_model)
                   & (summary["n_layers"] == ref.n_layers) & (summary["allocation"] == ref.allocation)]
    out = []
    for z, g in base.sort_values(["n_active", "redundancy"]).groupby("n_active"):
        if g["redundancy"].nunique() > 1:
            out.append({"allocation": ref.allocation, "d_model": ref.d_model, "n_layers": ref.n_layers, "n_active": int(z),
                        "rows": [(int(r["redundancy"]), r) for _, r in g.iterrows()]})
    return out


def by_allocation(summary: pd.DataFrame, ref: Slice) -> list[dict]:
    """Each design run with more than one allocation at (D, ref S, L), per z:
    [{design, d_model, redundancy, n_layers, n_active, rows: [(allocation, row)]}]."""
    s = summary[(summary["d_model"] == ref.d_model) & (summary["n_layers"] == ref.n_layers) & (summary["redundancy"] == ref.redundancy)]
    out = []
    for d in sorted_designs(s["design"]):
        for z, h in s[s["design"] == d].groupby("n_active"):
            if h["allocation"].nunique() > 1:
                out.append({"design": d, "d_model": ref.d_model, "redundancy": ref.redundancy, "n_layers": ref.n_layers, "n_active": int(z),
                            "rows": [(r["allocation"], r) for _, r in h.sort_values("allocation").iterrows()]})
    return out


def answers(summary: pd.DataFrame, ds, settings: list[dict], ref: Slice) -> dict[str, list[dict]]:
    """The facts answering each question of the study, in the order the page states them: per
    question a list of dicts, each with a `kind` (compare, wins, criteria, independent_vs_shared,
    false_on, by_redundancy, by_allocation; reference_panel, reference_overall under "reference"
    when `summary` carries the no-superposition reference) and the numbers it states."""
    key = panels(summary, ref.allocation)
    out = {"reference": reference_facts(summary, ref) if "gain" in summary else []}
    fo_table = frontier.table(ds, ["false_on_rate"]) if settings[:N_FALSE_ON_SETTINGS] else None  # one read for every question
    for q, designs in GROUPS.items():
        facts = []
        for D, L in key:
            for z in n_active_values(summary, D, L, ref.allocation, ref.redundancy):
                c = compare(summary, designs, D, z, L, ref)
                if c is not None:
                    facts.append({"kind": "compare", **c})
        for d in designs:
            b, w, n = wins(summary, d, frontier.BASELINE, ref)
            if n:
                facts.append({"kind": "wins", "design": d, "better": b, "worse": w, "total": n})
        for D, L in key:
            c = criteria_capacities(summary, designs, D, L, ref)
            if c is not None:
                facts.append({"kind": "criteria", **c})
        if q == "redundant":
            b, w, n = wins(summary, INDEPENDENT, SHARED, ref)
            if n:
                facts.append({"kind": "independent_vs_shared", "better": b, "worse": w, "total": n})
        for s in settings[:N_FALSE_ON_SETTINGS]:
            fo = false_on_at(ds, [frontier.BASELINE, *designs], s, ref, fo_table)
            if len(fo) > 1:  # the baseline and at least one design of the question
                facts.append({"kind": "false_on", **s, "rates": fo})
        out[q] = facts
    out["redundancy"] = ([{"kind": "by_redundancy", **f} for f in by_redundancy(summary, ref)]
                         + [{"kind": "by_allocation", **f} for f in by_allocation(summary, ref)])
    return out
