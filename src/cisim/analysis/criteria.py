"""When does a simulated point *work*? The one definition every page uses.

Every criterion c compares one per-layer quantity q_c with its threshold θ_c (config group
`report`; docs/method.md §6.1). Per read-out layer:

    name            q_c                                                   θ_c (default)
    mse             mse_x_active                                          report.mse_threshold (0.1)
    rate            false_on_rate                                         report.false_on_threshold (1e-3)
    expected_wrong  false_on_rate · (T − z): inactive circuits read       report.expected_wrong_threshold (1)
                    as on per sample
    seizure         seizure_rate: fraction of samples with ≥ 1 circuit    report.seizure_threshold (0.1)
                    read as on or off wrongly
    neurons         max over blocks of active_neurons / (z·S): active     report.neuron_threshold (2)
                    large neurons of the busiest block over the
                    noise-free count (each active circuit switches on at
                    most S neurons of a block)

The criteria a study applies are `report.criteria` (default ("mse", "rate"): mse_x_active <
0.1 and false-on < 1e-3). They fold into one *margin*

    r = max over layers 1..l and over the applied c of q_c / θ_c

(∞ where a quantity is NaN/Inf or the run diverged), and the point works iff r < 1 (`works`).
`layer_margins` / `margins` also give each criterion's own margin r_<suffix> (SUFFIX: r_mse,
r_fo, r_expected_wrong, r_seizure, r_neurons) for every criterion whose quantities the table has,
applied or not, so a page can say which one binds. Margins are computed per seed (a frontier's
crossing, `analysis.frontier`) or on seed-mean metrics (the paper page's load threshold); which
one, and the layers l, are stated where they are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NAMES = ("mse", "rate", "expected_wrong", "seizure", "neurons")  # every criterion, in column order
DEFAULT = ("mse", "rate")
SUFFIX = {"mse": "mse", "rate": "fo", "expected_wrong": "expected_wrong", "seizure": "seizure", "neurons": "neurons"}
WORDS = {"mse": "active-circuit error", "fo": "false-on rate", "expected_wrong": "expected wrongly-on circuits",
         "seizure": "seizure rate", "neurons": "active neurons"}  # criterion suffix → what pages call it
# Dataset variables each criterion reads (besides the coordinates n_circuits, n_active, redundancy).
VARIABLES = {"mse": ("mse_x_active",), "rate": ("false_on_rate",), "expected_wrong": ("false_on_rate",),
             "seizure": ("seizure_rate",), "neurons": ("active_neurons",)}
METRICS = ("mse_x_active", "false_on_rate")  # what the default criteria read


@dataclass(frozen=True)
class Criteria:
    """The thresholds of every criterion and which of them `works` applies (config group `report`)."""

    mse_threshold: float = 0.1
    false_on_threshold: float = 1e-3
    expected_wrong_threshold: float = 1.0
    seizure_threshold: float = 0.1
    neuron_threshold: float = 2.0
    applied: tuple = DEFAULT

    def __post_init__(self):
        unknown = [c for c in self.applied if c not in NAMES]
        if unknown or not self.applied:
            raise ValueError(f"criteria {list(self.applied)} are not allowed: choose one or more of {', '.join(NAMES)}")

    @classmethod
    def from_report(cls, report: dict) -> "Criteria":
        """From the `report` config group; fields it lacks keep their defaults."""
        base = cls()
        get = lambda k: float(report.get(k, getattr(base, k)))  # noqa: E731
        return cls(get("mse_threshold"), get("false_on_threshold"), get("expected_wrong_threshold"),
                   get("seizure_threshold"), get("neuron_threshold"), tuple(report.get("criteria", DEFAULT)))

    @property
    def thresholds(self) -> dict:
        """{criterion name: θ_c} for every criterion."""
        return {"mse": self.mse_threshold, "rate": self.false_on_threshold, "expected_wrong": self.expected_wrong_threshold,
                "seizure": self.seizure_threshold, "neurons": self.neuron_threshold}

    def variables(self) -> tuple:
        """Dataset variables the applied criteria read, in NAMES order, without repeats."""
        return tuple(dict.fromkeys(v for c in NAMES if c in self.applied for v in VARIABLES[c]))

    def describe(self) -> str:
        text = {"mse": f"mse_x_active < {self.mse_threshold:g}", "rate": f"false_on_rate < {self.false_on_threshold:g}",
                "expected_wrong": f"false_on_rate·(T − z) < {self.expected_wrong_threshold:g}",
                "seizure": f"seizure_rate < {self.seizure_threshold:g}",
                "neurons": f"active neurons of the busiest block < {self.neuron_threshold:g}·z·S"}
        return " and ".join(text[c] for c in NAMES if c in self.applied)


def works(r) -> np.ndarray | bool:
    """Whether margin(s) `r` (from `layer_margins` / `margins`) pass: r < 1."""
    return np.asarray(r) < 1.0 if np.ndim(r) else bool(r < 1.0)


def expected_wrong(table: pd.DataFrame) -> pd.Series:
    """Inactive circuits read as on per sample: false_on_rate · (n_circuits − n_active)."""
    return table["false_on_rate"] * (table["n_circuits"] - table["n_active"])


def neuron_ratio(table: pd.DataFrame) -> pd.Series:
    """Active neurons of the busiest block (`active_neurons`, reduced over blocks) over z·S."""
    return table["active_neurons"] / (table["n_active"] * table["redundancy"])


QUANTITY = {"mse": lambda t: t["mse_x_active"], "rate": lambda t: t["false_on_rate"], "expected_wrong": expected_wrong,
            "seizure": lambda t: t["seizure_rate"], "neurons": neuron_ratio}
COORDS = {"expected_wrong": ("n_circuits", "n_active"), "neurons": ("n_active", "redundancy")}


def columns(criteria: Criteria, table: pd.DataFrame) -> list[str]:
    """The criteria whose quantities `table` has (every applied one must be there: ValueError)."""
    have = [c for c in NAMES if all(k in table for k in (*VARIABLES[c], *COORDS.get(c, ())))]
    missing = [c for c in criteria.applied if c not in have]
    if missing:
        need = sorted({k for c in missing for k in (*VARIABLES[c], *COORDS.get(c, ())) if k not in table})
        raise ValueError(f"criteria {missing} need columns {need}: the dataset predates them or the table left them out")
    return have


def layer_margins(table: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """`table` (one row per read-out layer: the criteria's quantities, optionally diverged) with
    a column r_<SUFFIX[c]> per criterion it has and r = the max over the applied ones; NaN/Inf
    ratios and diverged rows are ∞."""
    t = table.copy()
    have = columns(criteria, t)
    cols = [f"r_{SUFFIX[c]}" for c in have]
    for c, col in zip(have, cols):
        ratio = QUANTITY[c](t) / criteria.thresholds[c]
        t[col] = ratio.where(np.isfinite(ratio), np.inf)
    if "diverged" in t:
        bad = t["diverged"] != 0
        t.loc[bad, cols] = np.inf
    t["r"] = t[[f"r_{SUFFIX[c]}" for c in criteria.applied if c in have]].max(axis=1)
    return t


def margins(table: pd.DataFrame, criteria: Criteria, keys: list[str], through_layer: int | None = None) -> pd.DataFrame:
    """One row per `keys` group: r and every r_<suffix> of `layer_margins` = the largest margin
    over layers 1..through_layer (None: 1..n_layers of each point, i.e. through the last layer)."""
    last = table["n_layers"] if through_layer is None else through_layer
    t = layer_margins(table[(table["layer"] >= 1) & (table["layer"] <= last)], criteria)
    cols = ["r", *[f"r_{SUFFIX[c]}" for c in NAMES if f"r_{SUFFIX[c]}" in t]]
    return t.groupby(keys, sort=True).agg(**{c: (c, "max") for c in cols}).reset_index()
