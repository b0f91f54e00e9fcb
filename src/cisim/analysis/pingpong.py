"""The numbers of the ping-pong and static-vs-dynamic pages, from the gathered summary
(`datasets.tidy`) and the ping-pong case tables (`datasets.pingpong_tables`).

Capacity T* is the frontier of `analysis.frontier` (the one "works" criterion,
`analysis.criteria`: mse_x_active and false-on below the report thresholds at every layer
1..L, per seed, interpolated between the tested T; mean and 95 % t-interval over seeds).
Static = design `baseline`; dynamic = design `cross_circuit` with a permutation routing
(docs/cross_circuit.md §2). Ping-pong's own exactness (z = 1 read-out equal to the circuit's
forward pass within EXACT, zero leakage) is docs/cross_circuit.md §3. Pure pandas/numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..construction.pingpong import EXACT
from . import costs, frontier

STATIC = "baseline"
ROUTINGS = ("permutation", "fan_out", "fan_in_2", "identity")  # cross_circuit routings, as in their design labels
CURVE_VARS = ["mse_x_active", "false_on_rate", "false_off_rate"]


# ---------------------------------------------------------------- designs and the frontier
def labelled(ds, variables) -> pd.DataFrame:
    """`frontier.table` of `variables` with the design label (design and its options) per row."""
    return frontier.with_design(frontier.table(ds, variables))


def kind(label: str) -> str:
    """'static' (baseline), the routing of a cross_circuit label, or the label itself."""
    if label == STATIC:
        return "static"
    for r in ROUTINGS:
        if f"routing{r}" in label:
            return r
    return label


def capacities(ds, report_cfg: dict, kinds=("static", "permutation")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-seed, summary) frontier of the designs whose `kind` is in `kinds`; both get `kind`."""
    t = labelled(ds, ["mse_x_active", "false_on_rate"])
    t = t[[kind(d) in kinds for d in t["design"]]].drop(columns="design")
    seeds, summary = frontier.frontier(t, report_cfg)
    summary["kind"] = [kind(d) for d in summary["design"]]
    seeds["kind"] = [kind(d) for d in seeds["design"]]
    return seeds, summary


# ---------------------------------------------------------------- static vs dynamic
def matched_capacities(summary: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """(static, dynamic) summary rows of every (D, L, z) that has both, sorted by (D, L, z)."""
    out = []
    for _, g in summary.groupby(["d_model", "n_layers", "n_active"]):
        st, dy = g[g["kind"] == "static"], g[g["kind"] == "permutation"]
        if not st.empty and not dy.empty:
            out.append((st.iloc[0], dy.iloc[0]))
    return out


def capacity_records(matched: list[tuple[pd.Series, pd.Series]]) -> list[dict]:
    """One dict per (D, L, z): static and dynamic capacity with CI, the paired ratio, statuses."""
    return [{"d_model": int(st["d_model"]), "n_layers": int(st["n_layers"]), "n_active": int(st["n_active"]),
             **{f"static_{k}": float(st[k]) for k in ("capacity", "capacity_lo", "capacity_hi")},
             **{f"dynamic_{k}": float(dy[k]) for k in ("capacity", "capacity_lo", "capacity_hi")},
             "ratio": float(dy["ratio"]), "ratio_lo": float(dy["ratio_lo"]), "ratio_hi": float(dy["ratio_hi"]),
             "static_status": st["status"], "dynamic_status": dy["status"]}
            for st, dy in matched]


def dynamic_curves(ds, summary: pd.DataFrame) -> pd.DataFrame:
    """Per-layer mean (and min/max over seeds) of CURVE_VARS, static vs permutation, for every
    (D, L, z) at the largest tested T where the static baseline works (where="capacity") and at
    the next tested T (where="above")."""
    t = labelled(ds, CURVE_VARS)
    t["kind"] = [kind(d) for d in t["design"]]
    rows = []
    for _, s in summary[summary["kind"] == "static"].iterrows():
        T = s["capacity_tested"]
        if not np.isfinite(T):
            continue
        same = t[frontier.matching(t, s) & t["kind"].isin(["static", "permutation"]) & (t["layer"] >= 1) & (t["layer"] <= t["n_layers"])]
        above = sorted(x for x in same["n_circuits"].unique() if x > T)
        for where, Tw in [("capacity", T)] + ([("above", above[0])] if above else []):
            g = same[same["n_circuits"] == Tw].groupby(["kind", "layer"])[CURVE_VARS].agg(["mean", "min", "max"])
            g.columns = [f"{v}_{s_}" if s_ != "mean" else v for v, s_ in g.columns]
            g = g.reset_index()
            g["d_model"], g["n_layers"], g["n_active"], g["n_circuits"] = int(s["d_model"]), int(s["n_layers"]), int(s["n_active"]), int(Tw)
            g["where"] = where
            rows.append(g)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def last_layer(curves: pd.DataFrame) -> pd.DataFrame:
    """`dynamic_curves` at the last layer, static and dynamic side by side (columns "<var> <kind>")."""
    last = curves[curves["layer"] == curves["n_layers"]]
    piv = last.pivot_table(index=["d_model", "n_active", "where", "n_circuits"], columns="kind", values=CURVE_VARS).reset_index()
    piv.columns = [" ".join(str(x) for x in c if x) for c in piv.columns]
    return piv


def routing_table(ds) -> pd.DataFrame:
    """Per-layer means over seeds of every routing other than permutation (fan_out, fan_in_2, …)."""
    t = labelled(ds, CURVE_VARS + ["mse_alpha_inactive"])
    t["kind"] = [kind(d) for d in t["design"]]
    t = t[~t["kind"].isin(["static", "permutation"]) & (t["layer"] >= 1) & (t["layer"] <= t["n_layers"])]
    if t.empty:
        return pd.DataFrame()
    return t.groupby(["kind", "d_model", "n_circuits", "n_active", "layer"])[CURVE_VARS].mean().reset_index()


def implied_active_counts(points: list, seeds: list, exhaustive_z1: bool = True) -> pd.DataFrame:
    """Mean active circuits per sample and layer that each non-permutation routing implies, for
    the study's seeds: the routing is redrawn exactly as `cross_circuit.build_cross_circuit`
    draws it, the inputs as `cisim.jobs.simulate.simulate_point` samples them (per (seed, z) stream)."""
    from ..construction.baseline import permuted_allocations
    from ..construction.cross_circuit import draw_routing
    from ..seeds import streams
    from ..simulate import sample_inputs

    rows = []
    for p in points:
        opts = p.get("design_options", {})
        if p["design"] != "cross_circuit" or opts.get("routing") in (None, "permutation", "identity"):
            continue
        T, L = p["n_circuits"], p["n_layers"]
        for seed in seeds:
            rng = streams(seed).layers
            permuted_allocations(np.zeros((T, 1), dtype=np.int64), L, rng)  # consume the per-layer permutations
            routing = draw_routing(opts["routing"], T, L, rng, int(opts.get("fan_out", 2)))
            for z in p["n_active"]:
                inputs = sample_inputs(T, z, p["n_samples"], np.random.default_rng([seed, z]), exhaustive=exhaustive_z1 and z == 1)
                for layer, on in enumerate(routing.active_sets(inputs.active), start=1):
                    rows.append({"routing": opts["routing"], "d_model": p["d_model"], "n_circuits": T, "n_active": z,
                                 "layer": layer, "seed": seed, "active": float(on.sum(1).mean()), "max_active": int(on.sum(1).max())})
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    return df.groupby(["routing", "d_model", "n_circuits", "n_active", "layer"]).agg(
        mean_active=("active", "mean"), max_active=("max_active", "max")).reset_index()


# ---------------------------------------------------------------- ping-pong
def verification(cases: pd.DataFrame) -> pd.DataFrame:
    """One row per case: sizes, max |error| and leakage over layers, B and the time, by family and T."""
    t = cases.sort_values(["family", "n_circuits"])[["case", "family", "d_model", "d_circuit", "n_layers", "n_circuits", "width",
                                                      "max_error", "max_leakage", "mask_strength", "seconds"]]
    return t.astype({"n_circuits": int, "width": int})  # counts, stored as floats in the case files


def exact_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases whose every circuit reads out within EXACT with zero leakage."""
    return cases[(cases["max_error"] <= EXACT) & (cases["max_leakage"] == 0)]


def largest_verified(cases: pd.DataFrame) -> dict | None:
    """The exact case with the most circuits (the fastest of equals), or None."""
    ok = exact_cases(cases)
    if ok.empty:
        return None
    big = ok.sort_values(["n_circuits", "seconds"], ascending=[False, True]).iloc[0]
    return {"case": big["case"], "n_circuits": int(big["n_circuits"]), "seconds": float(big["seconds"]), "max_error": float(big["max_error"])}


def equal_d(cases: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Ping-pong's rotation cases against the baseline's capacity at the same D and L, at every z
    the summary has (the baseline's capacity as a function of z beside ping-pong's).

    Ping-pong's T is (D/d)² at z = 1 and 0 at z = 2 (every sampled pair breaks, docs/cross_circuit.md
    §4); at z ≥ 3 it is 0 as well, since every active set then holds z(z − 1)/2 pairs that each
    break (not simulated: the pair measurement is the evidence). The baseline has width D,
    L − 1 weight matrices (its input A⁰ is already the embedded first-layer pre-activation) and
    (L − 1)·D² + L·D parameters. One row per (D, z); baseline_* columns are the summary's.

    Against no superposition (`analysis.costs`): t0 = ⌊D/d⌋ at equal D and each side's gain over
    it; at equal parameters, the circuits per parameter of each side (`*_per_mparam`, per 10⁶) and
    `t0_equal_parameters`, the circuits a disjoint embedding computes exactly with ping-pong's
    parameter count (T₀·((L − 1)·d² + L·d) parameters for T₀ circuits), with ping-pong's gain over
    it; `equal_parameter_width`, the width D' of a baseline with ping-pong's parameters
    ((L − 1)·D'² + L·D' = P). `width_factor` = ping-pong width / D."""
    rows = []
    for _, c in cases[cases["family"] == "rotation"].sort_values("d_model").iterrows():
        D, L = int(c["d_model"]), int(c["n_layers"])
        for z in sorted(int(v) for v in summary.loc[(summary["d_model"] == D) & (summary["n_layers"] == L), "n_active"].unique()):
            s = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["n_active"] == z)]
            if s.empty:
                continue
            s = s.iloc[0]
            pp_T = int(c["n_circuits"]) if z == 1 else 0
            base_params = (L - 1) * D**2 + L * D
            d, pp_params = int(c["d_circuit"]), int(c["parameters"])
            t0 = costs.reference(D, d)
            t0_eq = pp_params // costs.disjoint_costs(d, d, L)["parameters_dense"]  # disjoint circuits at ping-pong's parameters
            width_eq = (-L + np.sqrt(L * L + 4 * (L - 1) * pp_params)) / (2 * (L - 1)) if L > 1 else pp_params / L
            rows.append({"d_model": D, "n_layers": L, "n_active": z,
                         "baseline_capacity": float(s["capacity"]), "baseline_lo": float(s["capacity_lo"]),
                         "baseline_hi": float(s["capacity_hi"]), "baseline_status": s["status"], "baseline_t_min": float(s["t_min"]),
                         "pingpong_T": pp_T, "ratio": pp_T / s["capacity"] if s["capacity"] > 0 else float("nan"),
                         "pingpong_width": int(c["width"]), "extra_width": int(c["extra_width"]),
                         "baseline_weight_layers": L - 1, "pingpong_weight_layers": int(c["weight_layers"]),
                         "baseline_parameters": base_params, "pingpong_parameters": int(c["parameters"]),
                         "parameters_ratio": float(c["parameters"]) / base_params,
                         "d_circuit": d, "t0": t0, "baseline_gain": float(s["capacity"]) / t0, "pingpong_gain": pp_T / t0,
                         "width_factor": int(c["width"]) / D,
                         "baseline_per_mparam": 1e6 * float(s["capacity"]) / base_params, "pingpong_per_mparam": 1e6 * pp_T / pp_params,
                         "per_parameter_ratio": (pp_T / pp_params) / (float(s["capacity"]) / base_params) if s["capacity"] > 0 else float("nan"),
                         "t0_equal_parameters": int(t0_eq), "pingpong_gain_equal_parameters": pp_T / t0_eq if t0_eq else float("nan"),
                         "equal_parameter_width": float(width_eq)})
    return pd.DataFrame(rows)


EQUAL_D_NUMBERS = ["d_model", "n_layers", "n_active", "baseline_capacity", "baseline_lo", "baseline_hi", "baseline_status",
                   "pingpong_T", "pingpong_width", "pingpong_weight_layers", "baseline_parameters", "pingpong_parameters",
                   "t0", "baseline_gain", "pingpong_gain", "width_factor", "parameters_ratio", "baseline_per_mparam",
                   "pingpong_per_mparam", "per_parameter_ratio", "t0_equal_parameters", "pingpong_gain_equal_parameters",
                   "equal_parameter_width"]


def baseline_row(row) -> dict:
    """An `equal_d` row's baseline in the shape `frontier.format_capacity` reads."""
    return {"capacity": row["baseline_capacity"], "capacity_lo": row["baseline_lo"], "capacity_hi": row["baseline_hi"],
            "status": row["baseline_status"], "t_min": row["baseline_t_min"]}


def aliasing(cases: pd.DataFrame) -> pd.DataFrame:
    """Fraction of inactive read-outs that are non-zero at z = 1, against 1/(n + 1), n = D/d."""
    t = cases[["case", "n_circuits", "aliased_fraction"]].assign(**{"1/(n+1)": 1.0 / (np.sqrt(cases["n_circuits"]) + 1)})
    return t.astype({"n_circuits": int})


BREAKAGE_COLUMNS = ["case", "mask", "category", "n_pairs", "prevalence", "broken_fraction", "rel_error_p10", "rel_error_median",
                    "rel_error_p90", "rel_error_max", "false_off_rate", "mse_x"]


def breakage(pairs: pd.DataFrame) -> pd.DataFrame:
    """z = 2 read-outs per case, mask and sharing class (BREAKAGE_COLUMNS), sorted."""
    return pairs[BREAKAGE_COLUMNS].sort_values(["case", "mask", "category"]).astype({"n_pairs": int})
