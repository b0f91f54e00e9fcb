"""Streaming per-layer metrics (post eqs 4.1–4.2, 5.33–5.35; docs/method.md §6), merged in a
fixed order.

Per layer l = 0..L, over samples and circuits:

    mse_x_active       E‖x − x̂‖² over active circuits         max_x_active       max ‖x − x̂‖
    mse_alpha_active   E(1 − α̂)² over active circuits         max_alpha_active   max |1 − α̂|
    mse_x_inactive     E‖x̂‖² over inactive circuits            max_x_inactive     max ‖x̂‖
    mse_alpha_inactive E α̂² over inactive circuits             max_alpha_inactive max |α̂|
    false_on_rate      P(α̂ > 0.5 | inactive): erroneously switched on
    false_off_rate     P(α̂ < 0.5 | active)
    failed_rotation_rate P(‖x − x̂‖ ≥ 1 | active): no better than guessing 0
                       (decisions with a margin of DECISION_MARGIN: ties count as in exact arithmetic)
    active_fraction    fraction of large neurons > 1e-4, per block (Fig 7)
    nonfinite_count    NaN/Inf activations (never averaged away: sums stay NaN)

Determinism (docs/reliability.md): per-sample values are summed in fixed chunks of `CHUNK`
samples and the chunk sums are added sequentially, counts are integers and maxima are
order-free, so the merge itself never depends on the batch size. The per-sample values do, by
rounding only: a float32 GEMM may round a column differently depending on how many columns the
call has and on the BLAS thread count (it does on AMD EPYC with OpenBLAS). So the promise is
bit-identical metrics for the same config, seed, batch size, thread count and machine, and
agreement within `AGREEMENT` (checked by `deviation`) across batch sizes, cores and machines.
"""

from __future__ import annotations

import numpy as np

CHUNK = 128
STAT_TILE = 1024  # circuits per tile of the per-sample sums (fixed, like CHUNK, for determinism)
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

SUMS = ("sq_x_active", "sq_alpha_active", "sq_x_inactive", "sq_alpha_inactive")
COUNTS = ("false_on", "false_off", "failed_rotation", "nonfinite")
MAXIMA = ("max_x_active", "max_alpha_active", "max_x_inactive", "max_alpha_inactive")
RATES = ("false_on_rate", "false_off_rate", "failed_rotation_rate", "active_fraction")

# What "the same numbers" means across batch sizes, cores and machines (float32 simulations):
# MSEs, maxima and example read-outs agree to `relative`, and any two values closer than their
# ZERO_FLOOR agree (an error of 1e-6, squared 1e-12, is float32 rounding of unit-sized read-outs);
# a rate is a fraction of threshold decisions (taken with DECISION_MARGIN), and agrees to `rate`
# absolute (at most that fraction of decisions flipped). Both sit far below what float32 itself
# costs (float32 vs float64: up to 2e-6 relative, docs/benchmarks.md) and far below the
# seed-to-seed spread. Measured: benchmarks/determinism.py; documented: docs/reliability.md.
AGREEMENT = {"relative": 1e-5, "rate": 1e-5}
ZERO_FLOOR = {"mse_": 1e-12, "max_": 1e-6, "x_est": 1e-6}


def deviation(a: dict, b: dict) -> dict:
    """Largest disagreement of two metric dicts (as `BatchMetrics.finalize` or a dataset gives them).

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


def chunked_sum(total: float, values: np.ndarray) -> float:
    """Add per-sample `values` (bs,) to `total` chunk by chunk, in sample order."""
    pad = (-values.shape[0]) % CHUNK
    chunks = np.concatenate([values, np.zeros(pad)]).reshape(-1, CHUNK).sum(1)
    for c in chunks:
        total += c
    return total


class StreamingMetrics:
    """Accumulates per-layer sums, counts and maxima over batches of samples."""

    def __init__(self, n_layers: int, d_circuit: int):
        n = n_layers + 1
        self.sums = {k: np.zeros(n) for k in SUMS}
        self.counts = {k: np.zeros(n, dtype=np.int64) for k in COUNTS}
        self.maxima = {k: np.zeros(n) for k in MAXIMA}
        self.n_active = np.zeros(n, dtype=np.int64)  # (sample, circuit) pairs that were active
        self.n_inactive = np.zeros(n, dtype=np.int64)
        self.active_neurons = np.zeros((n, d_circuit), dtype=np.int64)
        self.n_samples = 0

    def add_layer(self, layer: int, alpha_est, x_est, rows, cols, alpha_true, x_true):
        """One layer of one batch.

        alpha_est (bs, T) and x_est (bs, T, 2) are every circuit's read-outs. The true state is
        given sparsely: circuits (rows[i], cols[i]) have α = alpha_true[i], x = x_true[i]; every
        other circuit is exactly zero. A circuit is active when its true α > 0.5.
        """
        bs = alpha_est.shape[0]
        sq_x = np.einsum("btc,btc->bt", x_est, x_est)  # error² of a zero-truth circuit is its read-out²
        sq_alpha = alpha_est * alpha_est
        sq_x[rows, cols] = ((x_true - x_est[rows, cols]) ** 2).sum(-1)
        sq_alpha[rows, cols] = (alpha_true - alpha_est[rows, cols]) ** 2
        act = alpha_true > ON_THRESHOLD
        ar, ac = rows[act], cols[act]
        act_x, act_alpha = sq_x[ar, ac], sq_alpha[ar, ac]
        sq_x[ar, ac] = 0.0  # what remains are the inactive circuits
        sq_alpha[ar, ac] = 0.0
        per_sample = {
            "sq_x_active": np.bincount(ar, weights=act_x, minlength=bs),
            "sq_alpha_active": np.bincount(ar, weights=act_alpha, minlength=bs),
            "sq_x_inactive": sq_x.sum(1, dtype=np.float64),
            "sq_alpha_inactive": sq_alpha.sum(1, dtype=np.float64),
        }
        for k, v in per_sample.items():
            self.sums[k][layer] = chunked_sum(self.sums[k][layer], v)
        n_act = int(ar.size)
        self.n_active[layer] += n_act
        self.n_inactive[layer] += alpha_est.size - n_act
        alpha_act = alpha_est[ar, ac]
        self.counts["false_on"][layer] += int((alpha_est > READ_ON).sum() - (alpha_act > READ_ON).sum())
        self.counts["false_off"][layer] += int((alpha_act < READ_OFF).sum())
        self.counts["failed_rotation"][layer] += int((act_x >= FAILED_SQUARED).sum())
        for k, v in (("max_x_active", act_x), ("max_alpha_active", act_alpha),
                     ("max_x_inactive", sq_x), ("max_alpha_inactive", sq_alpha)):
            if v.size:
                worst = np.nanmax(v) if np.isfinite(v).any() else np.nan
                self.maxima[k][layer] = np.fmax(self.maxima[k][layer], np.sqrt(worst))

    def add_activity(self, layer: int, activations: np.ndarray, offsets: np.ndarray):
        """Count neurons above threshold per block and non-finite activations, (bs, D)."""
        on = activations > ACTIVE_THRESHOLD
        self.active_neurons[layer] += np.add.reduceat(on.sum(0), offsets[:-1])
        self.counts["nonfinite"][layer] += int((~np.isfinite(activations)).sum())

    def finalize(self, block_sizes) -> dict:
        """Per-layer results: dict of float64 arrays (L+1,), and active_fraction (L+1, d)."""
        act, inact = self.n_active.astype(float), self.n_inactive.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):  # layer 0 has no read-outs: NaN → 0 below
            out = {
                "mse_x_active": self.sums["sq_x_active"] / act,
                "mse_alpha_active": self.sums["sq_alpha_active"] / act,
                "mse_x_inactive": self.sums["sq_x_inactive"] / inact,
                "mse_alpha_inactive": self.sums["sq_alpha_inactive"] / inact,
                "false_on_rate": self.counts["false_on"] / inact,
                "false_off_rate": self.counts["false_off"] / act,
                "failed_rotation_rate": self.counts["failed_rotation"] / act,
            }
        for v in out.values():
            v[0] = 0.0  # layer-0 estimates are exact by definition (the published convention)
        out["nonfinite_count"] = self.counts["nonfinite"].copy()
        out.update({k: v.copy() for k, v in self.maxima.items()})
        # A diverged layer has NaN/Inf activations; its maxima must not look finite.
        for k in MAXIMA:
            out[k][self.counts["nonfinite"] > 0] = np.nan
        out["active_fraction"] = self.active_neurons / (self.n_samples * np.asarray(block_sizes, dtype=float))[None, :]
        return out


# ---------------------------------------------------------------- array-API path (cisim.simulate)
def device_statistics(xp, channels, inactive) -> dict:
    """Per-sample statistics over the circuits marked `inactive`, on the array's device.

    channels : [α̂, x̂_0, x̂_1, …], each (T, batch); inactive : bool (T, batch), False for the
    circuits whose true state is listed (they are scored on the host against their truth).
    Returns host numpy arrays of shape (batch,): sums of ‖x̂‖² and α̂² (float64), their maxima
    (squared, NaN propagates) and the number of α̂ > READ_ON. Every sum runs over circuits in
    index order for each sample, in fixed tiles of STAT_TILE circuits, so it does not depend on
    the batch size.
    """
    from .backend import to_numpy

    T = int(channels[0].shape[0])
    tile = STAT_TILE  # fixed: the grouping of the sums must not depend on the batch size
    sums = {"sq_x_inactive": None, "sq_alpha_inactive": None, "false_on": None}
    maxima = {"max_x_inactive": None, "max_alpha_inactive": None}
    for lo in range(0, T, tile):  # circuit tiles in order: sums add tile by tile, per sample
        hi = min(lo + tile, T)
        mask = inactive[lo:hi, :]
        alpha = channels[0][lo:hi, :]
        q = channels[1][lo:hi, :] * channels[1][lo:hi, :]
        for x in channels[2:]:
            q += x[lo:hi, :] * x[lo:hi, :]
        qi = xp.where(mask, q, 0.0)
        ai = xp.where(mask, alpha * alpha, 0.0)
        part = {
            "sq_x_inactive": xp.sum(qi, axis=0, dtype=xp.float64),
            "sq_alpha_inactive": xp.sum(ai, axis=0, dtype=xp.float64),
            "false_on": xp.count_nonzero(xp.logical_and(alpha > READ_ON, mask), axis=0),
        }
        for k, v in part.items():
            sums[k] = v if sums[k] is None else sums[k] + v
        for k, v in (("max_x_inactive", xp.max(qi, axis=0)), ("max_alpha_inactive", xp.max(ai, axis=0))):
            maxima[k] = v if maxima[k] is None else xp.where(xp.isnan(v) | xp.isnan(maxima[k]), xp.nan, xp.maximum(maxima[k], v))
    return {k: to_numpy(v) for k, v in {**sums, **maxima}.items()}


def _fold_max(current: float, values: np.ndarray) -> float:
    if not values.size:
        return current
    worst = np.nanmax(values) if np.isfinite(values).any() else np.nan
    return np.fmax(current, np.sqrt(worst))


class BatchMetrics(StreamingMetrics):
    """`StreamingMetrics` fed per batch from device statistics plus the listed circuits."""

    def add_layer_batch(self, layer: int, n_circuits: int, bs: int, inactive: dict, est: tuple, truth: tuple):
        """One layer of one batch of `bs` real samples.

        inactive : `device_statistics` (arrays of length ≥ bs; only the first bs are used).
        est      : (α̂, x̂) of the listed circuits, shapes (k, bs) and (k, bs, 2).
        truth    : (valid (k, bs) bool, α (k, bs), x (k, bs, 2)): the listed circuits' true states;
                   a listed circuit with α > ON_THRESHOLD is active, every other circuit inactive.
        """
        valid, alpha_true, x_true = truth
        alpha_est, x_est = est
        err_x = ((x_true - x_est) ** 2).sum(-1)
        err_alpha = (alpha_true - alpha_est) ** 2
        act = valid & (alpha_true > ON_THRESHOLD)
        listed_off = valid & ~act
        per_sample = {
            "sq_x_active": np.where(act, err_x, 0.0).sum(0),
            "sq_alpha_active": np.where(act, err_alpha, 0.0).sum(0),
            "sq_x_inactive": inactive["sq_x_inactive"][:bs] + np.where(listed_off, err_x, 0.0).sum(0),
            "sq_alpha_inactive": inactive["sq_alpha_inactive"][:bs] + np.where(listed_off, err_alpha, 0.0).sum(0),
        }
        for k, v in per_sample.items():
            self.sums[k][layer] = chunked_sum(self.sums[k][layer], v)
        n_act = int(act.sum())
        self.n_active[layer] += n_act
        self.n_inactive[layer] += n_circuits * bs - n_act
        self.counts["false_on"][layer] += int(inactive["false_on"][:bs].sum()) + int((listed_off & (alpha_est > READ_ON)).sum())
        self.counts["false_off"][layer] += int((act & (alpha_est < READ_OFF)).sum())
        self.counts["failed_rotation"][layer] += int((act & (err_x >= FAILED_SQUARED)).sum())
        for key, values in (
            ("max_x_active", err_x[act]),
            ("max_alpha_active", err_alpha[act]),
            ("max_x_inactive", np.concatenate([inactive["max_x_inactive"][:bs].astype(np.float64), err_x[listed_off]])),
            ("max_alpha_inactive", np.concatenate([inactive["max_alpha_inactive"][:bs].astype(np.float64), err_alpha[listed_off]])),
        ):
            self.maxima[key][layer] = _fold_max(self.maxima[key][layer], values)

    def add_counts(self, layer: int, active_per_block: np.ndarray, nonfinite: int):
        """Neurons above ACTIVE_THRESHOLD per block and non-finite activations of one batch."""
        self.active_neurons[layer] += active_per_block
        self.counts["nonfinite"][layer] += int(nonfinite)
