"""cisim.analysis.designs on a hand-made frontier summary and a hand-made dataset, and the
designs page's words and figures on them."""

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from cisim import datasets
from cisim.analysis import costs, designs, frontier
from cisim.analysis.designs import INDEPENDENT, SHARED, Slice
from cisim.pages import designs as page
from cisim.plots import designs as plots

REF = Slice(allocation="transversal", redundancy=6, d_model=1000, n_layers=4, n_active=2)
PNG = b"\x89PNG"


def srow(design, z, cap, lo, hi, D=1000, L=4, allocation="transversal", S=6, status="ok"):
    return {"design": design, "allocation": allocation, "d_model": D, "redundancy": S, "n_layers": L, "n_active": z,
            "capacity": cap, "capacity_lo": lo, "capacity_hi": hi, "capacity_tested": cap, "status": status, "t_min": 25.0,
            "capacity_mse": cap, "status_mse": status, "capacity_fo": 1000.0, "status_fo": "lower_bound",
            "ratio": math.nan, "ratio_lo": math.nan, "ratio_hi": math.nan, "baseline_status": "ok", "n_seeds": 3}


@pytest.fixture
def summary():
    """The baseline at z = 1..4 (z = 4 fails at the smallest T); the independent copies CI-above
    the baseline at z = 1, below at z = 2, overlapping at z = 3; the shared copies at z = 1 only;
    the baseline also at S = 4, with prime_step, and at D = 2000."""
    nan = math.nan
    return pd.DataFrame([
        srow("baseline", 1, 300, 280, 320), srow("baseline", 2, 200, 190, 210), srow("baseline", 3, 100, 90, 110),
        srow("baseline", 4, nan, nan, nan, status="below_range"),
        srow(INDEPENDENT, 1, 400, 350, 450), srow(INDEPENDENT, 2, 150, 140, 160), srow(INDEPENDENT, 3, 105, 95, 115),
        srow(INDEPENDENT, 4, 50, 40, 60),
        srow(SHARED, 1, 250, 240, 260),
        srow("baseline", 1, 350, 340, 360, S=4), srow("baseline", 1, 280, 270, 290, allocation="prime_step"),
        srow("baseline", 1, 600, 580, 620, D=2000),
    ])


def test_wins_count_only_ci_separated_settings_with_finite_capacities(summary):
    assert designs.wins(summary, INDEPENDENT, "baseline", REF) == (1, 1, 3)
    assert designs.wins(summary, INDEPENDENT, SHARED, REF) == (1, 0, 1)
    assert designs.wins(summary, INDEPENDENT, "baseline", Slice("transversal", 4, 1000, 4, 2)) == (0, 0, 0)


def test_compare_selects_the_reference_slice(summary):
    c = designs.compare(summary, [INDEPENDENT, SHARED], 1000, 2, 4, REF)
    assert c["baseline"]["capacity"] == 200 and [d for d, _ in c["rows"]] == [INDEPENDENT]
    assert designs.compare(summary, [INDEPENDENT], 3000, 1, 4, REF) is None
    assert designs.panels(summary, "transversal") == [(2000, 4), (1000, 4)]
    assert designs.n_active_values(summary, 1000, 4, "transversal", 6) == [1, 2, 3, 4]


def test_criteria_capacities_need_every_z(summary):
    c = designs.criteria_capacities(summary, [INDEPENDENT, SHARED], 1000, 4, REF)
    assert c["zs"] == [1, 2, 3, 4] and [d for d, _ in c["rows"]] == ["baseline", INDEPENDENT]
    assert designs.criteria_capacities(summary, [SHARED], 2000, 4, REF) is None  # the baseline alone: nothing to compare


def test_redundancy_and_allocation_comparisons(summary):
    (s,) = designs.by_redundancy(summary, REF)
    assert s["n_active"] == 1 and [S for S, _ in s["rows"]] == [4, 6] and s["rows"][0][1]["capacity"] == 350
    (a,) = designs.by_allocation(summary, REF)
    assert a["design"] == "baseline" and [x for x, _ in a["rows"]] == ["prime_step", "transversal"]


def test_answers_state_the_facts_in_order_and_the_page_words_them(summary):
    facts = designs.answers(summary, None, [], REF)
    kinds = [f["kind"] for f in facts["redundant"]]
    # D = 2000 has the baseline alone: no comparison there
    assert kinds == ["compare"] * 4 + ["wins", "wins", "criteria", "independent_vs_shared"]
    assert [f["kind"] for f in facts["redundancy"]] == ["by_redundancy", "by_allocation"]
    assert facts["share"] == []  # no share design in this summary: the question has no facts (the page leaves it out)
    words = [page.sentence(f) for f in facts["redundant"]]
    assert words[0] == "At D = 1000, z = 1, L = 4: baseline 300 [280, 320]; redundant k=3, independent: 400 [350, 450] (–); redundant k=3, shared: 250 [240, 260] (–)."
    assert "has a capacity CI entirely above the baseline's in 1 and entirely below in 1" in words[4]
    assert words[6] == ("At D = 1000, L = 4, z = 1/2/3/4, each criterion alone allows T* = active-circuit error criterion: baseline "
                        "300/200/100/< 25; redundant k=3, independent 400/150/105/50; false-on rate criterion: baseline "
                        "≥ 1000/≥ 1000/≥ 1000/≥ 1000; redundant k=3, independent ≥ 1000/≥ 1000/≥ 1000/≥ 1000.")
    assert page.sentence(facts["redundancy"][0]) == "Baseline, transversal, D = 1000, L = 4, z = 1: S = 4: 350 [340, 360]; S = 6: 300 [280, 320]."
    assert page.sentence(facts["redundancy"][1]) == "Baseline, D = 1000, S = 6, L = 4, z = 1: prime_step: 280 [270, 290]; transversal: 300 [280, 320]."


WIDTHS = {"baseline": 4, INDEPENDENT: 8, SHARED: 8}


def test_reference_facts_say_where_no_design_beats_no_superposition(summary):
    """T₀ = D/d with each design's own d: 250 (baseline) and 125 (k = 3 copies, d = 8) at D = 1000."""
    s = costs.with_reference(summary, WIDTHS)
    facts = designs.answers(s, None, [], REF)["reference"]
    assert [f["kind"] for f in facts] == ["reference_panel", "reference_panel", "reference_overall"]
    assert (facts[1]["beaten"], facts[1]["not_beaten"]) == ([1, 2], [3, 4])  # independent 150 [140, 160] > 125 at z = 2
    words = [page.sentence(f) for f in facts]
    assert words[0] == ("At D = 2000, L = 4, some design beats no superposition (gain CI above 1) at z = 1; "
                        "the largest gain T*/T₀ per z is z = 1: baseline ×1.2 [1.16, 1.24].")
    assert words[1] == ("At D = 1000, L = 4, some design beats no superposition (gain CI above 1) at z = 1, 2, none does at "
                        "z = 3, 4; the largest gain T*/T₀ per z is z = 1: redundant k=3, independent ×3.2 [2.8, 3.6]; "
                        "z = 2: redundant k=3, independent ×1.2 [1.12, 1.28]; z = 3: redundant k=3, independent ×0.84 [0.76, 0.92]; "
                        "z = 4: redundant k=3, independent ×0.4 [0.32, 0.48].")
    assert words[2].startswith("At D ≤ 2000, no design beats no superposition at z ≥ 3")
    compare = page.sentence(designs.answers(s, None, [], REF)["redundant"][0])
    assert compare.startswith("At D = 1000, z = 1, L = 4: baseline 300 [280, 320] (T₀ = D/d = 250, gain ×1.2 [1.12, 1.28]); "
                              "redundant k=3, independent: 400 [350, 450] (–; gain ×3.2 [2.8, 3.6] over T₀ = 125)")


def test_ratio_words():
    row = {"ratio": 1.23456, "ratio_lo": 1.1, "ratio_hi": 1.4, "status": "ok", "baseline_status": "lower_bound"}
    assert page.ratio(row) == "×1.23 [1.1, 1.4] (bound)"
    assert page.ratio({**row, "ratio": math.nan}) == "–"


def test_capacity_tables_cover_the_slice_then_other_allocations_and_s(summary):
    tables = page.capacity_tables(costs.with_reference(summary, WIDTHS), REF)
    assert [t["heading"] for t in tables] == ["D = 2000, L = 4, transversal, S = 6", "D = 1000, L = 4, transversal, S = 6",
                                              "D = 1000, L = 4, prime_step, S = 6", "D = 1000, L = 4, transversal, S = 4"]
    main = tables[1]
    assert main["header"][:7] == ["design", "d", "T₀ = D/d", "z = 1: T* [95 % CI]", "ratio", "gain T*/T₀", "FO / MSE alone"]
    assert [r[0] for r in main["rows"]] == ["baseline", "redundant k=3, shared", "redundant k=3, independent"]
    assert main["rows"][0][1:7] == ["4", "250", "300 [280, 320]", "–", "×1.2 [1.12, 1.28]", "≥ 1000 / 300"]
    assert main["rows"][2][1:3] == ["8", "125"] and main["rows"][2][-2] == "×0.4 [0.32, 0.48]"
    assert main["rows"][1][7:] == ["–"] * 12  # shared: no z = 2, 3, 4


# ---------------------------------------------------------------- a hand-made dataset
TS = [100, 200, 400, 800]
F = {0: 1.0, 1: 1.2, 2: 1.1}  # per-seed error scale of the baseline


def make_dataset():
    """The baseline and the shared copies at D = 1000, L = 2, z = 1, 2, 3 seeds, transversal,
    S = 6. Baseline: mse at layer 2 = 0.1·z·(T/400)·f_seed, so at z = 2 every seed's largest
    working T is 100 and 200 fails. Shared copies: mse 1e-4, false-on 1e-4·T/100 at layer 2."""
    points, data = [], {v: [] for v in designs.CURVE_VARIABLES}
    coords = {k: [] for k in ("grid", "design", "allocation", "d_model", "n_circuits", "redundancy", "n_layers", "chi_scale", "superposition_load")}
    for design, opts in (("baseline", ""), ("redundant_indicators", "-decodemean-embeddingshared-k3-rotation_pairs1")):
        for T in TS:
            points.append(f"g-{design}{opts}-transversal-D1000-T{T}-S6-L2")
            for k, v in zip(coords, ("g", design, "transversal", 1000, T, 6, 2, 1.0, T * 16e-6)):
                coords[k].append(v)
            a = {v: np.zeros((3, 2, 3)) for v in data}
            for s in range(3):
                for i, z in enumerate((1, 2)):
                    if design == "baseline":
                        a["mse_x_active"][s, i, 1:] = [0.05 * z * T / 400 * F[s], 0.1 * z * T / 400 * F[s]]
                    else:
                        a["mse_x_active"][s, i, 1:] = 1e-4
                        a["false_on_rate"][s, i, 1:] = [0, 1e-4 * T / 100]
            for v in data:
                data[v].append(a[v])
    ds = {v: (("point", "seed", "n_active", "layer"), np.stack(x)) for v, x in data.items()}
    c = {"point": points, "seed": [0, 1, 2], "n_active": [1, 2], "layer": [0, 1, 2], **{k: ("point", v) for k, v in coords.items()}}
    return xr.Dataset(ds, coords=c)


@pytest.fixture(scope="module")
def gathered():
    ds = make_dataset()
    _, summary = frontier.frontier(datasets.tidy(ds, ["mse_x_active", "false_on_rate"]), {"mse_threshold": 0.1, "false_on_threshold": 1e-3})
    return ds, summary


def test_matched_settings_curves_and_false_on(gathered):
    ds, summary = gathered
    ref = Slice("transversal", 6, 1000, 2, 2)
    settings = designs.matched_settings(summary, ds, ref)
    assert settings == [{"d_model": 1000, "n_circuits": T, "n_layers": 2, "n_active": 2} for T in (100, 200)]
    cur = designs.curves(ds, settings, ref)
    assert len(cur) == 2 * 2 * 2 and set(cur["layer"]) == {1, 2}
    b = cur[(cur["design"] == "baseline") & (cur["n_circuits"] == 200) & (cur["layer"] == 2)]
    assert b["mse_x_active"].iloc[0] == pytest.approx(0.1 * 2 * 200 / 400 * np.mean(list(F.values())))
    fo = designs.false_on_at(ds, ["baseline", SHARED, INDEPENDENT], settings[1], ref)
    assert fo == {"baseline": 0.0, SHARED: pytest.approx(2e-4)}


def test_page_and_figures_render(gathered):
    ds, summary = gathered
    report = {"mse_threshold": 0.1, "false_on_threshold": 1e-3, "designs_allocation": "transversal", "designs_redundancy": 6,
              "designs_d_model": 1000, "designs_n_layers": 2, "designs_n_active": 2}
    ref = Slice.from_report(report)
    pngs = {"frontier": plots.frontier_figure(summary, ref),
            "curves": plots.curves_figure(designs.curves(ds, designs.matched_settings(summary, ds, ref), ref))}
    assert all(b.startswith(PNG) for b in pngs.values())
    point = {"grid": "g", "design": "baseline", "design_options": {}, "allocation": "transversal", "allocation_options": {},
             "d_model": 1000, "n_circuits": 100, "redundancy": 6, "n_layers": 2, "chi_scale": 1.0}
    shared = {**point, "design": "redundant_indicators", "design_options": {"k": 3, "embedding": "shared", "decode": "mean", "rotation_pairs": 1}}
    points = [{**p, "n_circuits": T} for p in (point, shared) for T in (100, 200)]  # T ≤ the k = 3 allocation's capacity
    s = designs.with_reference(summary, points)
    assert plots.frontier_figure(s, ref).startswith(PNG)
    cost = designs.cost_table(points, s, ref).set_index("design")
    assert list(cost["n_circuits"]) == [100, 100] and list(cost["d_circuit"]) == [4, 8]  # baseline: works at 100, fails at 200
    assert cost.loc["baseline", "parameters_dense"] == 1000**2 + 2 * 1000 and cost.loc["baseline", "neurons"] == 2000
    assert cost.loc["baseline", "gain_neurons"] == pytest.approx(cost.loc["baseline", "capacity"] / 250)
    assert cost.loc["baseline", "parameters_nonzero"] < cost.loc["baseline", "parameters_dense"]
    html = page.render(summary, ds, points, report, "hand", pngs, {"git commit of the page": "abc (dirty: 0)"})
    assert "T₀ = D/d" in html and "gain T*/T₀" in html and "Cost axes" in html
    base = s[(s["design"] == "baseline") & (s["n_active"] == 2)].iloc[0]
    assert f"(T₀ = D/d = 250, gain {page.gain(base)})" in html
    assert f"<td>{cost.loc['baseline', 'parameters_nonzero']:,}</td>" in html
    assert "Answers, generated from the data" in html and "redundant k=3, shared" in html
    assert "Last-layer false-on rate at D = 1000, T = 200, L = 2, z = 2: baseline 0, redundant k=3, shared 0.0002." in html
    assert "mse_x_active &lt; 0.1 and false_on_rate &lt; 0.001 (<code>report.criteria</code>" in html and "abc (dirty: 0)" in html
    assert "<td>1,002,000</td>" in html  # (L − 1)·D² + L·D dense parameters of the baseline at D = 1000, L = 2


def test_accounting_of_the_baseline_and_a_design_with_clean_up_layers():
    base = {"grid": "g", "design": "baseline", "design_options": {}, "allocation": "transversal", "allocation_options": {},
            "d_model": 1000, "n_circuits": 100, "redundancy": 6, "n_layers": 4, "chi_scale": 1.0}
    clean = {**base, "design": "indicator_cleanup", "design_options": {"every": 2}}
    acc = designs.accounting_table([clean, base, {**base, "n_circuits": 200}]).set_index("design")
    assert list(acc.index) == ["baseline", "indicator_cleanup-every2"]
    assert acc.loc["baseline", "parameters"] == 3 * 1000**2 + 4 * 1000 and acc.loc["baseline", "depth"] == 4
    assert acc.loc["indicator_cleanup-every2", "depth"] == 5 and acc.loc["indicator_cleanup-every2", "computing_layers"] == 4


# ---------------------------------------------------------------- each design at its best S
def points_at(D=1000, L=4):
    base = {"grid": "g", "design": "baseline", "design_options": {}, "allocation": "transversal", "allocation_options": {},
            "d_model": D, "n_circuits": 25, "redundancy": 6, "n_layers": L, "chi_scale": 1.0}
    return [base, *({**base, "design": "redundant_indicators", "design_options": {"k": 3, "embedding": e, "decode": "mean", "rotation_pairs": 1}} for e in ("independent", "shared"))]


def test_best_s_each_design_at_its_best_s_with_gains_per_cost_axis(summary):
    """At (1000, 4) the baseline ran at S = 4 and 6: z = 1 is best at S = 4 (350 > 300), the
    smallest S tested; every other curve has one S."""
    s = costs.with_reference(summary, WIDTHS)
    assert designs.best_s_panels(s, "transversal") == [(1000, 4)]  # D = 2000 and prime_step: one S each
    best, curve = designs.best_s(s, points_at(), REF)
    assert set(zip(best["d_model"], best["n_layers"])) == {(1000, 4)} and len(best) == 4 + 4 + 1
    b = best[(best["design"] == "baseline") & (best["n_active"] == 1)].iloc[0]
    assert (b["redundancy"], b["capacity"], b["s_edge"], b["gain"]) == (4, 350, "low", pytest.approx(350 / 250))
    # N = L: per neuron the gain is the gain at equal D; per dense parameter T*/((L−1)·D² + L·D) over T₀/(T₀·((L−1)·d² + L·d))
    assert b["gain_neurons"] == pytest.approx(350 / 250)
    assert b["gain_parameters_dense"] == pytest.approx(350 / (3 * 1000**2 + 4000) * (3 * 16 + 16))
    assert best[best["design"] == INDEPENDENT]["s_edge"].tolist() == ["single"] * 4
    assert list(curve[(curve["design"] == "baseline") & (curve["n_active"] == 1)]["redundancy"]) == [4, 6]
    (fact,) = designs.best_s_facts(best)
    z1 = fact["per_z"][0]
    assert z1["top"][0] == INDEPENDENT and z1["baseline"]["redundancy"] == 4
    assert (z1["above"], z1["below"], z1["overlap"]) == ([], [SHARED], [INDEPENDENT])
    assert fact["per_z"][3]["top"][0] == INDEPENDENT and fact["per_z"][3]["baseline"]["status"] == "below_range"
    assert fact["edges"] == [("baseline", 1, 4, "low")] and fact["single"][0] == ("baseline", 6)
    words = page.sentence(fact)
    assert words.startswith("At D = 1000, L = 4, each design at its own best S, at equal D: z = 1: largest redundant k=3, "
                            "independent, 400 [350, 450] at S = 6 (gain ×3.2 [2.8, 3.6] over T₀ = 125), per neuron ×3.2, "
                            "per dense parameter ×")
    assert "baseline 350 [340, 360] at S = 4 (gain ×1.4 [1.36, 1.44] over T₀ = 250)" in words
    assert "95 % CI above the baseline's: none; below: redundant k=3, shared; overlapping: redundant k=3, independent" in words
    assert "z = 4: largest redundant k=3, independent, 50 [40, 60] at S = 6" in words and "baseline < 25 at every S" in words
    assert "S range edge (the true best S may lie outside the tested S): baseline z = 1 (S = 4, the smallest tested)." in words
    t = page.best_s_table(best, curve)
    assert t["header"][:5] == ["design", "D", "L", "z", "best S"]
    assert t["rows"][0] == ["baseline", "1,000", "4", "1", "4 (S range edge: smallest tested)", "350 [340, 360]", "×1.4 [1.36, 1.44]",
                            "×1.4", f"×{page.fmt(b['gain_parameters_dense'])}", "S=4: 350, S=6: 300", ""]
    assert t["rows"][3][4] == "6 (only S tested)"  # baseline z = 2 (rows by z, then design)
    assert t["rows"][7][4:7] == ["–", "< 25", "< ×0.1"] and t["rows"][7][-1] == "below range at every S"  # baseline z = 4


def test_page_renders_the_best_s_section(gathered):
    ds, summary = gathered
    report = {"mse_threshold": 0.1, "false_on_threshold": 1e-3, "designs_allocation": "transversal", "designs_redundancy": 6,
              "designs_d_model": 1000, "designs_n_layers": 2, "designs_n_active": 2}
    points = points_at(L=2)[::2]  # baseline, shared copies
    pngs = {"frontier": PNG, "curves": PNG}
    html = page.render(summary, ds, points, report, "hand", pngs, {})
    assert "Each design at its best S" in html and "Every design was run at one S only (transversal)" in html
    base = summary[summary["design"] == "baseline"]
    more = pd.concat([summary, base.assign(redundancy=4, capacity=base["capacity"] * 2, capacity_lo=base["capacity_lo"] * 2,
                                           capacity_hi=base["capacity_hi"] * 2)], ignore_index=True)
    html = page.render(more, ds, points, report, "hand", pngs, {})
    assert "Each design at its best S" in html and "<th>T* per tested S</th>" in html
    # the shared copies' lower bound ≥ 800 exceeds the baseline's measured 2 × 366 at S = 4: the bound is the largest
    assert "At D = 1000, L = 2, each design at its own best S, at equal D: z = 1: largest redundant k=3, shared, ≥ 800 at S = 6" in html
    assert "baseline 731 [565, 897] at S = 4" in html
    assert "(S range edge: smallest tested)" in html and "One S tested only: redundant k=3, shared (S = 6)." in html
    assert "<td>lower bound, none measured</td>" in html  # the shared copies: one S, a lower bound
