"""The scaling study's page: does the working threshold on T(d/D)² hold as D grows?

Context from `analysis.trends.Trends` (thresholds per seed, trend fits, their sentences, the
shape comparison, the per-width table and what ran) and the figure of
`plots.scaling.threshold_vs_d` (PNG bytes), rendered through `templates/scaling.html.j2`.
"""

from __future__ import annotations

from ..analysis import trends
from ..analysis.criteria import Criteria
from . import html

FIT_COLUMNS = {"measure": "measure", "n_layers": "L", "n_active": "z", "widths": "widths", "slope": "b per doubling",
               "slope_lo": "b lo", "slope_hi": "b hi", "factor": "×/doubling", "factor_lo": "lo", "factor_hi": "hi",
               "verdict": "verdict", "below_range": "no threshold at"}
TABLE_COLUMNS = {"n_layers": "L", "n_active": "z", "d_model": "D", "threshold": "threshold T(d/D)²", "lo": "95 % lo",
                 "hi": "95 % hi", "capacity": "T", **{m: label for m, label in trends.MEASURES.items() if m != "threshold"},
                 "n_seeds": "seeds", "status": "status"}
LAW_COLUMNS = {"n_layers": "L", "n_active": "z", "widths": "widths", "se": "se of log T*", "exponent": "a (T* ∝ D^a)",
               "exponent_lo": "a lo", "exponent_hi": "a hi", "exponent_end": "a, two largest D", "gain_factor": "gain ×/doubling", "k": "k (D²/log^k D)",
               "constant_chi2": "χ² D²", "power_chi2": "χ² D^a", "log_factor_chi2": "χ² log factor", "power_df": "dof",
               "separation": "max separation (se)", "apart_from": "parts from D", "holdout": "held out",
               "power_holdout_chi2": "χ² D^a, held out", "log_factor_holdout_chi2": "χ² log factor, held out"}
COST_COLUMNS = {"point": "point", "n_samples": "samples", "job_seconds": "job s", "simulate_seconds": "simulate s",
                "peak_rss_mb": "peak MB", "forward": "forward", "batch": "batch"}


def _table(df, columns: dict):
    """`html.table` of the columns of `columns` that `df` has (an empty string for no rows)."""
    return html.table(df, {k: v for k, v in columns.items() if k in df.columns}) if len(df) else ""


def provenance(t: trends.Trends, root) -> dict:
    """The page's provenance rows: commit, points, seeds, samples per (point, seed, z), resamples."""
    return {**html.page_commit(root), "points": len(t.costs),
            "seeds": ",".join(str(s) for s in sorted(t.seeds["seed"].unique())),
            "sampled active sets per (point, seed, z)": ",".join(str(int(n)) for n in sorted(t.costs["n_samples"].dropna().unique())),
            "bootstrap resamples": t.n_boot}


GAIN_COLUMNS = {"n_layers": "L", "n_active": "z", "d_model": "D", "t0": "T₀ = D/d", "capacity": "T*", "capacity_lo": "95 % lo",
                "capacity_hi": "95 % hi", "gain": "gain T*/T₀", "gain_lo": "gain lo", "gain_hi": "gain hi",
                "band_gain": "fit gain", "band_gain_lo": "band lo", "band_gain_hi": "band hi", "status": "status"}


BEST_COLUMNS = {"n_layers": "L", "n_active": "z", "d_model": "D", "redundancy": "best S", "capacity": "T*",
                "capacity_lo": "95 % lo", "capacity_hi": "95 % hi", "t0": "D/d", "gain": "T*/(D/d)", "status": "status",
                "s_rule": "chosen as", "s_edge": "S range edge", "s_curve": "T* at each tested S"}


def render(t: trends.Trends, png: bytes, study: str, report: dict, root, gain_png: bytes | None = None) -> str:
    """The page's HTML. `report`: the study's report config group (the two thresholds); `root`:
    the checkout whose commit the page names; `gain_png`: `plots.scaling.gain_vs_d` of `t.gains`."""
    costs = t.costs
    lo, hi = trends.log_factor_range(t.seeds["d_model"].unique())
    criteria = Criteria.from_report(report)
    return html.render(
        "scaling.html.j2", title=f"scaling – {study}", study=study, report=report, setting=t.setting,
        criteria=criteria.describe(), sentences=trends.answer(t.fits), d_circuit=t.d_circuit,
        law_sentences=trends.law_sentences(t.laws, t.d_circuit), laws=_table(t.laws, LAW_COLUMNS),
        theory_sentences=trends.theory_sentences(t.seeds, t.theory, criteria.applied),
        gain_sentences=trends.gain_sentences(t.gains),
        best=_table(t.best, BEST_COLUMNS) if len(t.setting["S_values"]) > 1 else "", gains=_table(t.gains, GAIN_COLUMNS),
        gain_figure=html.figure(gain_png, "Capacity T* and the gain T*/T₀ over no superposition (T₀ = D/d) vs D; dots: mean over "
                                          "seeds with 95 % t interval; lines and shades: the trend fit and its 95 % bootstrap band; "
                                          "dashed: T₀, and gain 1.", "gain_vs_D") if gain_png else "",
        figure=html.figure(png, "Threshold load vs D; lines: the fit ln threshold = α + β·log₂D (a power of D) with its 95 % "
                                "bootstrap band; dotted: small-noise theory.", "threshold_vs_D"),
        fits=_table(t.fits, FIT_COLUMNS),
        log_factor=(lo, hi), table=_table(t.table, TABLE_COLUMNS), n_points=len(costs),
        paths=html.table(trends.forward_paths(costs)) if len(costs) else "",
        recorded=int(costs["job_seconds"].notna().sum()) if len(costs) else 0,
        slowest=_table(trends.slowest(costs), COST_COLUMNS), provenance=provenance(t, root))
