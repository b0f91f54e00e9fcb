"""The answer of the run files a study has so far, before its page exists.

A study runs in stages (`sweep.max_d_model`, `sweep.max_layers`, or single run files as Snakemake
targets; README): this prints, for whatever run files exist, what the scaling page would report
per (L, z, D) — the best S, the capacity T* with its 95 % t interval over seeds, the reference
T₀ = ⌊D/d⌋ and the gain T*/T₀ (`analysis.trends.best_s`), and the capacity at every tested S —
under the study's criteria (`report.criteria`). Usage:

    python -m cisim.jobs.frontier --study asymptotics data/asymptotics/runs/*D32768*.nc
    python -m cisim.jobs.frontier --study asymptotics --override report.criteria=[mse,rate] RUN.nc …
"""

from __future__ import annotations

import argparse

import numpy as np

from .. import config, datasets
from ..analysis import tables, trends


def rows(runs: list[str], study: str, overrides: list[str]) -> list[str]:
    """One line per (L, z, D) at its best S, then that setting's whole S curve."""
    cfg = config.compose(study, overrides)
    ds = datasets.gather(runs)
    d = tables.d_circuit(ds)
    _, best = trends.best_s(trends.thresholds(ds, cfg["report"]), d)
    out = [f"criteria {', '.join(cfg['report']['criteria'])}; T₀ = D/{d}; T* [95 % t interval over seeds]"]
    for _, r in best.sort_values(["n_layers", "n_active", "d_model"]).iterrows():
        s = f"S = {int(r['redundancy'])}" if np.isfinite(r["redundancy"]) else "no S works"
        gain = f"gain {r['gain']:.2f} [{r['gain_lo']:.2f}, {r['gain_hi']:.2f}]" if np.isfinite(r["gain"]) else "gain –"
        out.append(f"L = {r['n_layers']}, z = {r['n_active']}, D = {r['d_model']}: best {s} ({r['s_rule']}{', ' + r['s_edge'] + ' edge' if r['s_edge'] else ''}), "
                   f"T* = {r['capacity']:,.0f} [{r['capacity_lo']:,.0f}, {r['capacity_hi']:,.0f}], T₀ = {r['t0']:,}, {gain}; {r['s_curve']}")
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cisim.jobs.frontier", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run files (data/<study>/runs/*.nc)")
    parser.add_argument("--study", default="paper", help="the study whose report criteria apply (conf/study/)")
    parser.add_argument("--override", action="append", default=[], help="a Hydra override, as for the workflow")
    args = parser.parse_args(argv)
    print("\n".join(rows(args.runs, args.study, args.override)))


if __name__ == "__main__":
    main()
