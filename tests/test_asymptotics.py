"""The scaling study's trend fit (cisim.analysis.trends): synthetic thresholds with a known trend."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cisim import theory
from cisim.analysis import trends

ROOT = Path(__file__).resolve().parents[1]


def synthetic(slope, noise=2e-5, widths=(1024, 2048, 4096, 8192, 16384), seeds=(0, 1, 2), status="ok", draw=0):
    rng = np.random.default_rng(draw)
    rows = []
    for D in widths:
        for s in seeds:
            thr = 0.002 + slope * np.log2(D / 1024) + rng.normal(0, noise)
            rows.append({"n_layers": 4, "n_active": 2, "d_model": D, "seed": s, "threshold": thr,
                         "capacity": thr * (D / 4) ** 2, "status": status})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("slope,verdict", [(3e-4, "grows"), (-3e-4, "shrinks")])
def test_the_fit_recovers_a_known_trend_and_names_it(slope, verdict):
    fits, bands = trends.fit_trend(synthetic(slope), n_boot=500, grid=[1024, 16384])
    f = fits.iloc[0]
    assert f["verdict"] == verdict
    assert abs(f["slope"] - slope) < 0.05 * abs(slope)
    assert f["slope_lo"] <= f["slope_boot_lo"] and f["slope_boot_hi"] <= f["slope_hi"]
    assert len(bands) == 2 and (bands["lo"] <= bands["fit"]).all() and (bands["fit"] <= bands["hi"]).all()


def test_the_slope_interval_covers_the_truth_in_most_repetitions():
    """Coverage over 40 noise draws with no trend: the 95 % interval holds 0 in ≥ 85 % of them."""
    covered = [trends.fit_trend(synthetic(0.0, draw=k), n_boot=200)[0].iloc[0]["verdict"].startswith("is constant") for k in range(40)]
    assert np.mean(covered) >= 0.85


def test_widths_without_a_threshold_and_lower_bounds_are_reported_not_fitted():
    seeds = synthetic(0.0)
    seeds.loc[seeds["d_model"] == 1024, "status"] = "below_range"
    seeds.loc[seeds["d_model"] == 1024, "threshold"] = np.nan
    fits, _ = trends.fit_trend(seeds, n_boot=100)
    assert fits.iloc[0]["below_range"] == "1024" and fits.iloc[0]["n_widths"] == 4
    only_bounds, _ = trends.fit_trend(synthetic(0.0, status="lower_bound"), n_boot=100)
    assert "lower bounds only" in only_bounds.iloc[0]["verdict"]
    assert any("1024" in s for s in trends.answer(fits))


def test_fit_all_fits_each_criterion_alone_and_the_large_D_end():
    seeds = synthetic(3e-4)
    for crit in ("mse", "fo"):
        seeds[f"threshold_{crit}"], seeds[f"status_{crit}"] = seeds["threshold"], seeds["status"]
    fits, bands = trends.fit_all(seeds, n_boot=50)
    assert trends.measures(seeds) == ["threshold", "threshold_mse", "threshold_fo"]
    ends = [m + " (D ≥ 4096)" for m in trends.measures(seeds)]
    assert list(fits["measure"]) == [m for pair in zip(trends.measures(seeds), ends) for m in pair]
    assert sorted(bands["d_model"].unique()) == [1024, 2048, 4096, 8192, 16384]


def law_seeds(law, widths, noise, k=1.0, a=1.6, seeds=(0, 1, 2, 3, 4), draw=0):
    """Per-seed thresholds T*(d/D)² following one law exactly, times log-normal noise."""
    rng = np.random.default_rng(draw)
    rows = []
    for D in widths:
        x = np.log2(D)
        y = {"power": 2.0 ** ((a - 2) * (x - 10)), "log_factor": (10 / x) ** k, "constant": 1.0}[law] * 0.002
        for s in seeds:
            rows.append({"n_layers": 4, "n_active": 1, "d_model": D, "seed": s, "status": "ok",
                         "threshold": y * math.exp(rng.normal(0, noise))})
    return pd.DataFrame(rows)


def test_laws_recover_a_power_law_and_reject_the_constant_threshold():
    (r,) = trends.laws(law_seeds("power", [2**m for m in range(10, 17)], noise=0.01)).to_dict("records")
    assert r["exponent_lo"] < 1.6 < r["exponent_hi"] and abs(r["exponent"] - 1.6) < 0.02
    assert r["gain_factor"] == pytest.approx(2 ** 0.6, rel=0.02)
    assert r["power_fits"] and not r["constant_fits"]


def test_laws_say_when_a_narrow_range_cannot_tell_power_from_log_factors_and_what_range_would():
    """1/log D over D = 2^10 … 2^14 is close to a power of D: with 5 % noise both laws fit, their curves
    differ by less than two standard errors, and they part only at a width beyond the range; with
    0.1 % noise over 2^8 … 2^20 the curvature shows and the power law is rejected."""
    (r,) = trends.laws(law_seeds("log_factor", [2**m for m in range(10, 15)], noise=0.05)).to_dict("records")
    assert r["power_fits"] and r["log_factor_fits"] and r["separation"] < 2 and r["apart_from"] > 2**14
    (sentence,) = trends.law_sentences(pd.DataFrame([r]), 4)
    assert "cannot be told apart here" in sentence and "only from D ≈ 2^" in sentence
    (wide,) = trends.laws(law_seeds("log_factor", [2**m for m in range(8, 21)], noise=0.001)).to_dict("records")
    assert wide["log_factor_fits"] and not wide["power_fits"] and wide["separation"] > 2
    assert wide["k"] == pytest.approx(1.0, abs=0.05)
    (words,) = trends.law_sentences(pd.DataFrame([wide]), 4)
    assert "The widths prefer D²/(log D)^k: the other law is rejected." in words


def test_laws_leave_out_whole_widths_with_a_bound_and_refuse_to_judge_without_spread():
    seeds = law_seeds("power", [2**m for m in range(10, 16)], noise=0.01)
    seeds.loc[(seeds["d_model"] == 2**15) & (seeds["seed"] == 0), "status"] = "lower_bound"
    (r,) = trends.laws(seeds).to_dict("records")
    assert r["left_out"] == "32768" and r["n_widths"] == 5 and "32768" not in r["widths"]
    flat = law_seeds("power", [2**m for m in range(10, 15)], noise=0.0)
    (u,) = trends.laws(flat).to_dict("records")
    assert u["power_fits"] is None and u["constant_fits"] is None and u["exponent"] == pytest.approx(1.6)
    (words,) = trends.law_sentences(pd.DataFrame([u]), 4)
    assert words.endswith("The seeds show no spread at these widths, so no law can be tested against it.")


def test_log_factors_per_doubling_between_the_tested_widths():
    lo, hi = trends.log_factor_range([1024, 2048, 4096, 8192, 16384])
    assert (lo, hi) == pytest.approx((10 / 11, 13 / 14))


def test_theory_threshold_solves_eq_6_55():
    load = trends.theory_threshold(16384, 4, 2, S=6, d=4, mse_threshold=0.1)
    T = load * (16384 / 4) ** 2
    assert abs(float(theory.mse_x_active(16384, T, 6, 2, 4)) - 0.1) < 1e-6
    assert np.isnan(trends.theory_threshold(1024, 8, 4, S=6, d=4, mse_threshold=0.1))  # the overlap term alone exceeds 0.1


@pytest.mark.slow
def test_gains_against_no_superposition_carry_the_band_and_are_worded():
    """T* = threshold·(D/4)², T₀ = D/4: the gain is threshold·D/4 and the band is the threshold's band in those units."""
    seeds = synthetic(3e-4)
    fits, bands = trends.fit_trend(seeds, n_boot=200, grid=sorted(seeds["d_model"].unique()))
    g = trends.gains(seeds, bands, 4)
    first = g[g["d_model"] == 1024].iloc[0]
    mean = seeds[seeds["d_model"] == 1024]["capacity"].mean()
    assert first["t0"] == 256 and first["capacity"] == pytest.approx(mean) and first["gain"] == pytest.approx(mean / 256)
    assert first["gain_lo"] == pytest.approx(first["capacity_lo"] / 256)
    band = bands[bands["d_model"] == 1024].iloc[0]
    assert first["band_gain"] == pytest.approx(band["fit"] * 256) and first["band_capacity_hi"] == pytest.approx(band["hi"] * 256**2)
    last = g[g["d_model"] == 16384].iloc[0]
    (sentence,) = trends.gain_sentences(g)
    assert sentence == (f"L = 4, z = 2: gain T*/T₀ over no superposition at D = 1024 (T₀ = 256) ×{first['gain']:.2f} "
                        f"[{first['gain_lo']:.2f}, {first['gain_hi']:.2f}], below 1; at D = 16384 (T₀ = 4096) ×{last['gain']:.2f} "
                        f"[{last['gain_lo']:.2f}, {last['gain_hi']:.2f}], above 1.")
    from cisim.plots.scaling import gain_vs_d
    assert gain_vs_d(g).startswith(b"\x89PNG")


def test_scaling_tiny_study_builds_its_page(tmp_path):
    """The whole scaling pipeline in miniature (about a minute on two cores)."""
    from .pipeline import copy_workflow, smk
    from .twins import differences

    smk(copy_workflow(tmp_path), "scaling", "--config", "study=scaling_tiny")
    page = (tmp_path / "reports/scaling_tiny/scaling/index.html").read_text()
    assert "per doubling of D" in page and "What ran" in page
    assert "gain T*/T₀ over no superposition at D = " in page and "T₀ = D/d" in page
    assert differences("scaling_tiny", tmp_path) == []  # the same numbers as recorded (tests/twins.py)


@pytest.mark.slow
def test_asymptotics_tiny_study_shows_the_best_s_and_the_gain(tmp_path):
    """The asymptotics pipeline in miniature (S = 4 and 6 per width): the scaling page picks the
    best S per (L, z, D), fits the threshold there and shows the gain over no superposition."""
    from .pipeline import copy_workflow, smk
    from .twins import differences

    smk(copy_workflow(tmp_path), "scaling", "--config", "study=asymptotics_tiny")
    page = (tmp_path / "reports/asymptotics_tiny/scaling/index.html").read_text()
    assert "Best S per width" in page and "T*/(D/d)" in page and "T* at each tested S" in page
    assert "S = best of 4, 6" in page and "S = 4: " in page and "S = 6: " in page
    assert "gain T*/T₀ over no superposition at D = " in page and "per doubling of D" in page
    assert differences("asymptotics_tiny", tmp_path) == []  # the same numbers as recorded (tests/twins.py)
    # the run files alone give the page's best S and T* (`python -m cisim.jobs.frontier`, for partial stages)
    import pandas as pd

    from cisim.jobs import frontier

    best = pd.read_csv(tmp_path / "reports/asymptotics_tiny/scaling/best_s.csv")
    lines = frontier.rows(sorted(str(p) for p in (tmp_path / "data/asymptotics_tiny/runs").glob("*.nc")), "asymptotics_tiny", [])
    assert len(lines) == 1 + len(best)
    for _, r in best[best["status"] == "ok"].iterrows():
        head = f"L = {r['n_layers']}, z = {r['n_active']}, D = {r['d_model']}: best S = {int(r['redundancy'])} "
        assert any(line.startswith(head) and f"T* = {r['capacity']:,.0f} [" in line for line in lines), (head, lines)


def test_best_s_picks_the_largest_capacity_per_width_and_keeps_one_s_unchanged():
    seeds = synthetic(0.0)
    seeds["design"], seeds["allocation"], seeds["redundancy"] = "baseline", "transversal", 6
    for col in ("capacity_tested", "t_min", "t_max"):
        seeds[col] = seeds["capacity"]
    seeds["t_min"] = 1.0
    same, best = trends.best_s(seeds, 4)
    assert same[seeds.columns].equals(seeds.sort_values(["n_layers", "n_active", "d_model", "seed"]).reset_index(drop=True))
    assert (best["redundancy"] == 6).all() and (best["s_edge"] == "single").all()
    other = seeds.copy()
    other["redundancy"] = 4
    other["capacity"] = np.where(other["d_model"] >= 4096, 2.0, 0.5) * other["capacity"]
    picked, best = trends.best_s(pd.concat([seeds, other], ignore_index=True), 4)
    assert list(best.sort_values("d_model")["redundancy"]) == [6, 6, 4, 4, 4]
    assert set(picked[picked["d_model"] == 1024]["redundancy"]) == {6}
    assert best["s_curve"].str.contains("S = 4: ").all() and trends.setting(picked)["S"] == "best of 4, 6"


@pytest.mark.parametrize("law,right,wrong", [("power", "power", "log_factor"), ("log_factor", "log_factor", "power")])
def test_laws_fitted_without_the_largest_widths_predict_them_only_when_they_are_the_true_law(law, right, wrong):
    """Out of sample: with 0.1 % noise over D = 2^8 … 2^20 the true law, fitted without the two
    largest widths, predicts them and the other law misses them; the sentence says which."""
    (r,) = trends.laws(law_seeds(law, [2**m for m in range(8, 21)], noise=0.001, k=1.0)).to_dict("records")
    assert r["holdout"] == "524288,1048576" and r["holdout_df"] == trends.HOLDOUT
    assert r[f"{right}_predicts"] and not r[f"{wrong}_predicts"]
    assert r[f"{wrong}_holdout_chi2"] > 10 * r[f"{right}_holdout_chi2"]
    (words,) = trends.law_sentences(pd.DataFrame([r]), 4)
    name = {"power": "D^a", "log_factor": "D²/(log D)^k"}
    assert f"{name[right]} predicts them within their errors" in words and f"{name[wrong]} misses them" in words


def test_laws_hold_out_nothing_with_too_few_widths():
    (r,) = trends.laws(law_seeds("power", [2**m for m in range(10, 14)], noise=0.01)).to_dict("records")
    assert "holdout" not in r and "Out of sample" not in trends.law_sentences(pd.DataFrame([r]), 4)[0]


def test_the_factor_per_doubling_and_the_band_follow_a_power_of_d():
    """A threshold falling ×0.75 per doubling of D (exactly, every seed): the factor is 0.75 and
    the band's centre is the threshold itself at every width, D = 2^10 … 2^16."""
    rows = [{"n_layers": 4, "n_active": 1, "d_model": 2**m, "seed": s, "status": "ok", "threshold": 0.006 * 0.75 ** (m - 10)}
            for m in range(10, 17) for s in (0, 1, 2)]
    fits, bands = trends.fit_trend(pd.DataFrame(rows), n_boot=50, grid=[2**m for m in range(10, 17)])
    assert fits.iloc[0]["factor"] == pytest.approx(0.75) and fits.iloc[0]["factor_lo"] == pytest.approx(0.75)
    assert np.allclose(bands["fit"], [0.006 * 0.75 ** (m - 10) for m in range(10, 17)])
    assert fits.iloc[0]["slope"] < 0 and fits.iloc[0]["verdict"] == "shrinks"
