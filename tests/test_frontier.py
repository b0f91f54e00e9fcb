"""cisim.analysis.frontier on a hand-made dataset whose frontier is known exactly."""

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from cisim import datasets
from cisim.analysis import frontier, stats

REPORT = {"mse_threshold": 0.1, "false_on_threshold": 1e-3}
TS = [100, 200, 400, 800]


def make_dataset():
    """Two designs at D = 1000, L = 2, z = 1, 3 seeds.

    baseline: mse at the last layer = 0.1·(T/400)·f_seed, f = (1, 2, 1/4): r = 1 at T = 400/f,
    found exactly by log-log interpolation for seeds 0, 1 (400, 200); seed 2 works at every T
    (lower bound 800). false-on 0.
    redundant: mse tiny, false_on = 1e-3·(T/200)·g_seed, g = (1, 1, 0.2): 200, 200, lower bound 800.
    """
    points, rows = [], {"mse_x_active": [], "false_on_rate": []}
    f = {0: 1.0, 1: 2.0, 2: 0.25}
    g = {0: 1.0, 1: 1.0, 2: 0.2}
    coords = {k: [] for k in ("grid", "design", "allocation", "d_model", "n_circuits", "redundancy", "n_layers", "chi_scale", "superposition_load")}
    for design, opts, d in (("baseline", "", 4), ("redundant_indicators", "-embeddingshared-k3", 8)):
        for T in TS:
            points.append(f"g-{design}{opts}-transversal-D1000-T{T}-S6-L2")
            for k, v in (("grid", "g"), ("design", design), ("allocation", "transversal"), ("d_model", 1000), ("n_circuits", T),
                         ("redundancy", 6), ("n_layers", 2), ("chi_scale", 1.0), ("superposition_load", T * (d / 1000) ** 2)):
                coords[k].append(v)
            mse = np.zeros((3, 1, 3))
            fo = np.zeros((3, 1, 3))
            for s in range(3):
                if design == "baseline":
                    mse[s, 0, 1:] = [0.05 * T / 400 * f[s], 0.1 * T / 400 * f[s]]  # last layer binds
                else:
                    mse[s, 0, 1:] = 1e-4
                    fo[s, 0, 1:] = [0, 1e-3 * T / 200 * g[s]]
            rows["mse_x_active"].append(mse)
            rows["false_on_rate"].append(fo)
    data = {k: (("point", "seed", "n_active", "layer"), np.stack(v)) for k, v in rows.items()}
    c = {"point": points, "seed": [0, 1, 2], "n_active": [1], "layer": [0, 1, 2]}
    c.update({k: ("point", v) for k, v in coords.items()})
    return xr.Dataset(data, coords=c)


@pytest.fixture
def result():
    ds = make_dataset()
    return frontier.frontier(datasets.tidy(ds, ["mse_x_active", "false_on_rate"]), REPORT)


def test_design_label():
    assert frontier.design_label("d1000_l4-redundant_indicators-embeddingshared-k3-transversal-D1000-T25-S6-L4", "d1000_l4", "transversal") == "redundant_indicators-embeddingshared-k3"
    assert frontier.design_label("g-baseline-prime_step-D1000-T557-S6-L5", "g", "prime_step") == "baseline"
    assert frontier.design_label("d400_l3_alloc-baseline-prime_step-D400-T20-S6-L3", "d400_l3", "prime_step") == "baseline"


def test_per_seed_crossings_are_exact(result):
    seeds, _ = result
    b = seeds[seeds.design == "baseline"].set_index("seed")
    assert b.loc[0, "capacity"] == pytest.approx(400.0) and b.loc[0, "status"] == "ok"
    # r(400)=2 fails; r(200)=1 fails (not < 1); r(100) = 0.5 works → crossing at 200 between 100 and 200
    assert b.loc[1, "capacity"] == pytest.approx(200.0) and b.loc[1, "capacity_tested"] == 100
    assert b.loc[2, "status"] == "lower_bound" and b.loc[2, "capacity"] == 800
    # one criterion at a time: the baseline never switches anything on, the redundant design's x is fine
    assert (b["status_fo"] == "lower_bound").all() and (b["capacity_mse"] == b["capacity"]).all()
    r = seeds[seeds.design.str.startswith("redundant")].set_index("seed")
    assert r.loc[0, "capacity"] == pytest.approx(200.0) and r.loc[2, "status"] == "lower_bound"
    assert r.loc[0, "load"] == pytest.approx(200.0 * 64 / 1e6)
    assert (r["status_mse"] == "lower_bound").all() and r.loc[0, "capacity_fo"] == pytest.approx(200.0)


def test_summary_mean_ci_and_ratio(result):
    _, summary = result
    b = summary[summary.design == "baseline"].iloc[0]
    vals = np.array([400.0, 200.0, 800.0])
    half = stats.t975(2) * vals.std(ddof=1) / math.sqrt(3)
    assert b.capacity == pytest.approx(vals.mean()) and b.capacity_hi - b.capacity == pytest.approx(half)
    assert b.status == "lower_bound" and b.ratio == pytest.approx(1.0)
    r = summary[summary.design != "baseline"].iloc[0]
    assert r.capacity == pytest.approx(np.mean([200.0, 200.0, 800.0]))
    assert r.ratio == pytest.approx(r.capacity / b.capacity)
    paired = np.array([200 / 400, 200 / 200, 800 / 800])
    assert r.ratio_lo == pytest.approx(paired.mean() - stats.t975(2) * paired.std(ddof=1) / math.sqrt(3))
    assert frontier.format_capacity(r) == "≥ 400"


def test_below_range_and_divergence():
    n = np.array([10.0, 20.0, 40.0])
    assert frontier.crossing(n, np.array([1.5, 2.0, 3.0]))[2] == "below_range"
    assert frontier.crossing(n, np.array([0.5, np.inf, np.inf])) == (10.0, 10.0, "ok")
    # an exact working point (r ≈ 0): linear in r, crossing at 1/2 of the log step for r = 2
    cap, _, _ = frontier.crossing(n, np.array([1e-13, 2.0, 3.0]))
    assert cap == pytest.approx(10 * 2**0.5)
    # non-monotone: a later success after a failure does not count
    cap, tested, status = frontier.crossing(n, np.array([0.5, 2.0, 0.1]))
    assert tested == 10.0 and status == "ok" and 10 < cap < 20


def test_deterministic(result):
    ds = make_dataset()
    again = frontier.frontier(datasets.tidy(ds, ["mse_x_active", "false_on_rate"]), REPORT)
    pd.testing.assert_frame_equal(result[1], again[1])


def with_new_quantities(ds, seizure_slope=0.0):
    """`make_dataset` plus seizure_rate (baseline: seizure_slope·T/200 at the last layer, 0 for the
    other design) and active_neurons per block (every block at its noise-free z·S = 6, one block
    at 3·z·S for the redundant design at T = 800)."""
    ds = ds.copy()
    T = ds["n_circuits"].values[:, None, None, None]
    base = np.array([d == "baseline" for d in ds["design"].values])[:, None, None, None]
    last = (ds["layer"].values == 2)[None, None, None, :]
    ds["seizure_rate"] = (("point", "seed", "n_active", "layer"), np.where(base & last, seizure_slope * T / 200, 0.0) + 0 * ds["mse_x_active"].values)
    neurons = np.full(ds["mse_x_active"].shape + (4,), 6.0)
    neurons[(~base[:, 0, 0, 0]) & (ds["n_circuits"].values == 800), :, :, 2, 1] = 18.0
    ds["active_neurons"] = (("point", "seed", "n_active", "layer", "block"), neurons)
    return ds


def test_default_criteria_reproduce_the_two_criteria_frontier(result):
    """report.criteria = [mse, rate] (the default), on a dataset that also carries the new
    quantities, decides exactly as before: capacity, status and the per-criterion columns."""
    seeds, summary = result
    ds = with_new_quantities(make_dataset(), seizure_slope=1.0)
    for report in (REPORT, {**REPORT, "criteria": ["mse", "rate"]}):
        s2, sum2 = frontier.frontier(frontier.table(ds), report)
        pd.testing.assert_frame_equal(s2[seeds.columns], seeds)
        pd.testing.assert_frame_equal(sum2[summary.columns], summary)
    # the capacity under every other criterion is there too, per seed and in the summary
    assert {"capacity_expected_wrong", "capacity_seizure", "capacity_neurons", "status_seizure"} <= set(s2.columns) <= set(sum2.columns) | {"seed"}


def test_seizure_criterion_binds_where_the_rate_passes():
    """The baseline never switches an inactive circuit on (false-on 0: the rate criterion passes
    at every T), but a sample seizes with probability T/2000 at the last layer: seizure_rate crosses
    report.seizure_threshold = 0.1 at T = 200, so its capacity is 200 where the rate allows 800."""
    ds = with_new_quantities(make_dataset(), seizure_slope=0.1)
    report = {**REPORT, "seizure_threshold": 0.1}
    t = frontier.table(ds)
    rate, _ = frontier.frontier(t, {**report, "criteria": ["rate"]})
    seizure, _ = frontier.frontier(t, {**report, "criteria": ["seizure"]})
    both, _ = frontier.frontier(t, {**report, "criteria": ["mse", "rate", "seizure"]})
    b = lambda s: s[s.design == "baseline"].set_index("seed")  # noqa: E731
    assert (b(rate)["status"] == "lower_bound").all() and (b(rate)["capacity"] == 800).all()
    assert b(seizure)["capacity"].to_numpy() == pytest.approx([200.0] * 3)
    assert (b(seizure)["capacity"] < b(rate)["capacity"]).all()
    # the default columns are per criterion alone whatever is applied: capacity_seizure is the seizure capacity
    assert b(rate)["capacity_seizure"].to_numpy() == pytest.approx([200.0] * 3)
    # applied together, the binding one decides: seed 1's mse crossing (200 between 100 and 200) and seizure's 200
    assert b(both)["capacity"].to_numpy() == pytest.approx([200.0, 200.0, 200.0])


def test_neuron_and_expected_wrong_criteria_on_the_hand_made_dataset():
    """neurons: the busiest block (not the mean) over z·S = 6; expected_wrong: false_on·(T − z)."""
    from cisim.analysis import criteria

    ds = with_new_quantities(make_dataset())
    t = frontier.table(ds)
    assert t["active_neurons"].max() == 18.0  # reduced over blocks to the busiest
    every = criteria.Criteria(applied=criteria.NAMES)
    m = frontier.margins(t, every).set_index(["design", "n_circuits", "seed"])
    red = "redundant_indicators-embeddingshared-k3"
    assert m.loc[(red, 800, 0), "r_neurons"] == pytest.approx(18 / 6 / 2) and m.loc[(red, 400, 0), "r_neurons"] == pytest.approx(0.5)
    # false_on = 1e-3·T/200 at the last layer: expected_wrong = that·(T − 1) over threshold 1
    assert m.loc[(red, 400, 0), "r_expected_wrong"] == pytest.approx(2e-3 * 399)
    assert m.loc[(red, 100, 0), "r_expected_wrong"] == pytest.approx(5e-4 * 99)
    assert m.loc[(red, 100, 0), "r"] == max(m.loc[(red, 100, 0), [c for c in m.columns if c.startswith("r_")]])
    with pytest.raises(ValueError, match="seizure_rate"):
        criteria.layer_margins(frontier.table(make_dataset()), criteria.Criteria(applied=("seizure",)))
    with pytest.raises(ValueError, match="not allowed"):
        criteria.Criteria(applied=("mse", "typo"))


# ---------------------------------------------------------------- capacity along S
def s_row(S, cap, lo, hi, status="ok", design="baseline", z=1, t_min=25.0):
    return {"design": design, "allocation": "transversal", "d_model": 1000, "redundancy": S, "n_layers": 4, "n_active": z,
            "capacity": cap, "capacity_lo": lo, "capacity_hi": hi, "status": status, "t_min": t_min, "ratio": 1.0}


def s_summary():
    """One S curve per (design, z) of a hand-made frontier summary:
    baseline z = 1: interior best S = 6 (S = 8's CI overlaps it, S = 12 a lower bound below it);
    baseline z = 2: best at the smallest S tested (range edge), and a tie at S = 8, 12 below it;
    baseline z = 3: a lower bound above every measured capacity (S = 12);
    baseline z = 4: every S fails at its smallest T;
    design k3 z = 1: a tie between S = 4 and 8 (the smaller wins), one lower bound equal to it;
    design k3 z = 2: one S only."""
    nan = math.nan
    return pd.DataFrame([
        s_row(4, 355, 342, 368), s_row(6, 407, 396, 418), s_row(8, 397, 384, 411), s_row(12, 300, 300, 300, "lower_bound"),
        s_row(4, 131, 114, 147, z=2), s_row(6, 102, 94, 111, z=2), s_row(8, 60, 50, 70, z=2), s_row(12, 60, 55, 65, z=2),
        s_row(4, 75, 70, 80, z=3), s_row(8, 38, 36, 40, z=3), s_row(12, 90, 90, 90, "lower_bound", z=3),
        s_row(4, nan, nan, nan, "below_range", z=4, t_min=40.0), s_row(8, nan, nan, nan, "below_range", z=4, t_min=25.0),
        s_row(8, 200, 190, 210, design="k3"), s_row(4, 200, 150, 250, design="k3"), s_row(6, 200, 200, 200, "lower_bound", design="k3"),
        s_row(6, 50, 40, 60, design="k3", z=2),
    ])


def test_best_redundancy_picks_the_largest_measured_capacity_and_flags_the_range_edge():
    best = frontier.best_redundancy(s_summary()).set_index(["design", "n_active"])
    assert "ratio" not in best  # a ratio to the baseline holds S fixed
    b1 = best.loc[("baseline", 1)]
    assert (b1["redundancy"], b1["capacity"], b1["capacity_lo"], b1["status"]) == (6, 407, 396, "ok")
    assert (b1["s_tested"], b1["s_rule"], b1["s_edge"], b1["s_within_ci"], b1["s_open"]) == ((4, 6, 8, 12), "measured", "", (8,), (12,))
    b2 = best.loc[("baseline", 2)]
    assert (b2["redundancy"], b2["s_edge"], b2["s_within_ci"], b2["s_open"]) == (4, "low", (), ())
    assert best.loc[("k3", 2), "s_edge"] == "single" and best.loc[("k3", 2), "redundancy"] == 6


def test_best_redundancy_ties_and_lower_bounds():
    best = frontier.best_redundancy(s_summary()).set_index(["design", "n_active"])
    # a lower bound above every measured crossing wins (the capacity there is larger still) and is flagged
    b3 = best.loc[("baseline", 3)]
    assert (b3["redundancy"], b3["status"], b3["s_rule"], b3["s_edge"]) == (12, "lower_bound", "lower bound above every measured capacity", "high")
    # equal capacities: the smaller S; a lower bound equal to a measured capacity is not chosen, only named
    k = best.loc[("k3", 1)]
    assert (k["redundancy"], k["capacity_hi"], k["s_rule"], k["s_edge"]) == (4, 250, "measured", "low")
    assert k["s_within_ci"] == (8,) and k["s_open"] == (6,)
    # every S fails at its smallest T: no best S
    b4 = best.loc[("baseline", 4)]
    assert math.isnan(b4["redundancy"]) and b4["status"] == "below_range" and b4["t_min"] == 25.0
    assert (b4["s_rule"], b4["s_edge"]) == ("below range at every S", "")
    assert frontier.format_capacity(b4) == "< 25" and frontier.format_capacity(b3) == "≥ 90"


def test_redundancy_curve_lists_every_tested_s_in_order():
    curve = frontier.redundancy_curve(s_summary())
    k = curve[(curve["design"] == "k3") & (curve["n_active"] == 1)]
    assert list(k["redundancy"]) == [4, 6, 8] and list(k["status"]) == ["ok", "lower_bound", "ok"]
    assert list(curve.columns) == [*frontier.S_GROUP, *frontier.S_CURVE_COLUMNS]
