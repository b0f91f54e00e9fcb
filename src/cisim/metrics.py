"""What the simulation measures: the per-layer metrics, their decision thresholds, and what
"the same numbers" means between two runs (post eqs 4.1–4.2, 5.33–5.35; docs/method.md §6).

Per circuit layer l = 0..L, over samples and circuits:

    mse_x_active       E‖x − x̂‖² over active circuits         max_x_active       max ‖x − x̂‖
                       (per rotation pair, ‖·‖²/m, for wide circuits with m pairs: `pair_error`)
    mse_alpha_active   E(1 − α̂)² over active circuits         max_alpha_active   max |1 − α̂|
    mse_x_inactive     E‖x̂‖² over inactive circuits            max_x_inactive     max ‖x̂‖
    mse_alpha_inactive E α̂² over inactive circuits             max_alpha_inactive max |α̂|
    false_on_rate      P(α̂ > 0.5 | inactive): erroneously switched on
    false_off_rate     P(α̂ < 0.5 | active)
    failed_rotation_rate P(‖x − x̂‖ ≥ 1 | active): no better than guessing 0
                       (decisions with a margin of DECISION_MARGIN: ties count as in exact arithmetic)
    any_false_on_rate  fraction of samples with ≥ 1 inactive circuit read as on
    any_false_off_rate fraction of samples with ≥ 1 active circuit read as off
    seizure_rate       fraction of samples with either (a wrong on-indicator decision anywhere)
    active_fraction    fraction of large neurons > 1e-4, per block (Fig 7)
    active_neurons     mean number of large neurons > 1e-4 per sample, per block
    nonfinite_count    NaN/Inf activations (never averaged away: sums stay NaN)

They are accumulated by `cisim.simulate.accumulate` in a fixed order. Determinism
(docs/reliability.md): the merge never depends on the batch size, the per-sample values do, by
rounding only: a float32 GEMM may round a column differently depending on how many columns the
call has and on the BLAS thread count (it does on AMD EPYC with OpenBLAS). So the promise is
bit-identical metrics for the same config, seed, batch size, thread count and machine, and
agreement within `AGREEMENT` (checked by `deviation`) across batch sizes, cores and machines.
"""

from __future__ import annotations

import numpy as np

ACTIVE_THRESHOLD = 1e-4  # the published code's "neuron is on" threshold (Fig 7)
ON_THRESHOLD = 0.5  # α̂ above this reads as "on"
FAILED_ROTATION = 1.0  # ‖δx‖ ≥ 1 is no better than guessing the mean
# Read-outs sit exactly on the thresholds far more often than chance: α̂ is a mean over S
# neurons whose indicator pairs saturate at exactly 0 or 1, so α̂ = 1/2 exactly whenever half
# of them saturate (S even), and a read-out of exactly 0 gives ‖δx‖ = ‖x‖ = 1. Which side
# float32 rounding puts such a tie on depends on the GEMM's shape and thread count, and flips
# up to 0.3 % of the decisions of a paper-sized network. Decisions are therefore taken with a
# margin far above rounding and far below the 1/S lattice spacing: a tie counts as neither on
# nor off (as in exact arithmetic) and a zero read-out as a failed rotation.
DECISION_MARGIN = 1e-3
READ_ON = ON_THRESHOLD + DECISION_MARGIN  # α̂ > READ_ON: read as on
READ_OFF = ON_THRESHOLD - DECISION_MARGIN  # α̂ < READ_OFF: read as off
FAILED_SQUARED = (FAILED_ROTATION - DECISION_MARGIN) ** 2  # ‖δx‖² ≥ this: failed rotation

RATES = ("false_on_rate", "false_off_rate", "failed_rotation_rate", "any_false_on_rate", "any_false_off_rate", "seizure_rate",
         "active_fraction")

# What "the same numbers" means across batch sizes, cores and machines (float32 simulations):
# MSEs, maxima and example read-outs agree to `relative`, and any two values closer than their
# ZERO_FLOOR agree (an error of 1e-6, squared 1e-12, is float32 rounding of unit-sized read-outs);
# a rate is a fraction of threshold decisions (taken with DECISION_MARGIN), and agrees to `rate`
# absolute (at most that fraction of decisions flipped). Both sit far below what float32 itself
# costs (float32 vs float64: up to 2e-6 relative, docs/benchmarks.md) and far below the
# seed-to-seed spread. Measured: benchmarks/determinism.py; documented: docs/reliability.md.
# A mean neuron count (active_neurons) agrees to `relative`: at most that fraction of the counted
# activations flipped across the 1e-4 threshold.
AGREEMENT = {"relative": 1e-5, "rate": 1e-5}
ZERO_FLOOR = {"mse_": 1e-12, "max_": 1e-6, "x_est": 1e-6, "active_neurons": 1e-6}


def deviation(a: dict, b: dict) -> dict:
    """Largest disagreement of two metric dicts (as `cisim.simulate.run` or a dataset gives them).

    Returns {"relative": max |a − b| / max(|a|, |b|, ZERO_FLOOR / AGREEMENT["relative"]) over MSEs, maxima and example
    read-outs `x_est` (NaN must sit in the same places, else inf), "rate": max |a − b| over
    RATES, "exact": whether every other entry (counts, truths, sample numbers) is identical,
    "where": the metric with the largest relative disagreement}.
    Compare with `AGREEMENT` (see `agree`).
    """
    relative, rate, exact, where = 0.0, 0.0, True, None
    for k in a:
        x, y = np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float)
        floor = next((f for prefix, f in ZERO_FLOOR.items() if k.startswith(prefix)), None)
        if floor is None and k not in RATES:
            exact = exact and np.array_equal(x, y, equal_nan=True)
        elif not np.array_equal(np.isnan(x), np.isnan(y)):  # NaN marks what did not run or diverged
            relative, rate, where = (relative, np.inf, where) if k in RATES else (np.inf, rate, k)
        elif k in RATES:
            rate = max(rate, float(np.abs(x - y)[~np.isnan(x)].max(initial=0.0)))
        else:
            x, y = x[~np.isnan(x)], y[~np.isnan(y)]
            with np.errstate(invalid="ignore"):
                # a difference below the floor always agrees: the scale never drops below floor / tolerance
                scale = np.maximum(np.maximum(np.abs(x), np.abs(y)), floor / AGREEMENT["relative"])
                rel = np.where(x == y, 0.0, np.abs(x - y) / scale)
            worst = float(np.nan_to_num(rel, nan=np.inf).max(initial=0.0))
            if worst > relative:
                relative, where = worst, k
    return {"relative": relative, "rate": rate, "exact": exact, "where": where}


def agree(a: dict, b: dict) -> bool:
    """True when two metric dicts are "the same numbers" in the sense of `AGREEMENT`."""
    dev = deviation(a, b)
    return dev["exact"] and dev["relative"] <= AGREEMENT["relative"] and dev["rate"] <= AGREEMENT["rate"]


def per_pair(sq, d_payload: int):
    """A squared payload norm ‖dx‖² (any array, any namespace) as the error per rotation pair,
    ‖dx‖²/m for a payload of d_payload = 2m neurons: the post's ‖δx‖² unchanged for its single pair,
    and a width-free error for wide circuits, whose payload is m unit vectors (‖x‖² = m)."""
    return sq if d_payload == 2 else sq * (2.0 / d_payload)


def pair_error(dx: np.ndarray) -> np.ndarray:
    """‖dx‖² per rotation pair (`per_pair`) over the last axis of `dx` (..., 2m)."""
    return per_pair((dx**2).sum(-1), dx.shape[-1])
