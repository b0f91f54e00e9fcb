"""When does a simulated point *work*? The one definition every page uses.

A point (one network, one z) works at read-out layers 1..l when at each of them

    mse_x_active < mse_threshold   and   false_on_rate < false_on_threshold,

and no activation diverged (NaN/Inf). The thresholds are `report.mse_threshold` (0.1: an active
circuit's squared error is a tenth of guessing x = 0, ‖x‖ = 1) and `report.false_on_threshold`
(1e-3 inactive circuits read as on), docs/method.md §6. Both tests fold into one *margin*

    r = max over layers 1..l of max(mse_x_active / mse_threshold, false_on_rate / false_on_threshold)

(∞ where a metric is NaN/Inf or the run diverged), and the point works iff r < 1 (`works`). `r_mse`
and `r_fo` are the two criteria alone. Margins are computed per seed (a frontier's crossing,
`analysis.frontier`) or on seed-mean metrics (the paper page's load threshold); which one, and the
layers l, are stated where they are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METRICS = ("mse_x_active", "false_on_rate")


@dataclass(frozen=True)
class Criteria:
    """The thresholds of `works` (config group `report`)."""

    mse_threshold: float = 0.1
    false_on_threshold: float = 1e-3

    @classmethod
    def from_report(cls, report: dict) -> "Criteria":
        return cls(float(report["mse_threshold"]), float(report["false_on_threshold"]))

    def describe(self) -> str:
        return f"mse_x_active < {self.mse_threshold:g} and false_on_rate < {self.false_on_threshold:g}"


def works(r) -> np.ndarray | bool:
    """Whether margin(s) `r` (from `layer_margins` / `margins`) pass: r < 1."""
    return np.asarray(r) < 1.0 if np.ndim(r) else bool(r < 1.0)


def layer_margins(table: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """`table` (one row per read-out layer: mse_x_active, false_on_rate, optionally diverged) with
    columns r_mse, r_fo and r = max(r_mse, r_fo) added; NaN/Inf ratios and diverged rows are ∞."""
    t = table.copy()
    for col, var, thr in (("r_mse", "mse_x_active", criteria.mse_threshold), ("r_fo", "false_on_rate", criteria.false_on_threshold)):
        ratio = t[var] / thr
        t[col] = ratio.where(np.isfinite(ratio), np.inf)
    if "diverged" in t:
        bad = t["diverged"] != 0
        t.loc[bad, ["r_mse", "r_fo"]] = np.inf
    t["r"] = np.maximum(t["r_mse"], t["r_fo"])
    return t


def margins(table: pd.DataFrame, criteria: Criteria, keys: list[str], through_layer: int | None = None) -> pd.DataFrame:
    """One row per `keys` group: r, r_mse, r_fo = the largest margin over layers 1..through_layer
    (None: 1..n_layers of each point, i.e. through the last layer)."""
    last = table["n_layers"] if through_layer is None else through_layer
    t = layer_margins(table[(table["layer"] >= 1) & (table["layer"] <= last)], criteria)
    return t.groupby(keys, sort=True).agg(r=("r", "max"), r_mse=("r_mse", "max"), r_fo=("r_fo", "max")).reset_index()
