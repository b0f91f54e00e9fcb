"""Streaming accumulation of the per-layer metrics of `cisim.metrics` over batches of samples.

Source: docs/method.md §6 (the metrics), docs/reliability.md (determinism). "Layer" is a circuit
layer l = 0..L. Per batch, the statistics of the circuits whose true state is zero are reduced on
the array's device (`device_statistics`); the few listed circuits (non-zero truth) are scored on
the host against their exact states (`StreamingMetrics.add_layer`).

Determinism: per-sample values are summed in fixed chunks of `CHUNK` samples and the chunk sums
are added sequentially (`chunked_sum`), per-sample sums over circuits run in fixed tiles of
`STAT_TILE` circuits, counts are integers and maxima are order-free, so the merge itself never
depends on the batch size. The per-sample values do, by rounding only (a float32 GEMM may round a
column differently with the shape of the call): hence `cisim.metrics.AGREEMENT`.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import is_numpy_namespace

from ..backend import to_numpy
from ..metrics import ACTIVE_THRESHOLD, FAILED_SQUARED, ON_THRESHOLD, READ_OFF, READ_ON, pair_error, per_pair

CHUNK = 128  # samples per partial sum; batches are multiples of it
STAT_TILE = 1024  # circuits per tile of the per-sample sums (fixed, like CHUNK, for determinism)

SUMS = ("sq_x_active", "sq_alpha_active", "sq_x_inactive", "sq_alpha_inactive")
COUNTS = ("false_on", "false_off", "failed_rotation", "nonfinite")
# Samples (not circuits) with at least one wrong on-indicator decision: a false-on, a false-off, either.
SAMPLE_COUNTS = ("samples_false_on", "samples_false_off", "samples_seizure")
MAXIMA = ("max_x_active", "max_alpha_active", "max_x_inactive", "max_alpha_inactive")


def chunked_sum(total: float, values: np.ndarray) -> float:
    """Add per-sample `values` (bs,) to `total` chunk by chunk, in sample order."""
    pad = (-values.shape[0]) % CHUNK
    chunks = np.concatenate([values, np.zeros(pad)]).reshape(-1, CHUNK).sum(1)
    for c in chunks:
        total += c
    return total


def device_statistics(xp, channels, inactive, listed=None) -> dict:
    """Per-sample statistics over the circuits marked `inactive`, on the array's device.

    channels : [α̂, x̂_0, x̂_1, …], each (T, batch); inactive : bool (T, batch), False for the
    circuits whose true state is listed (they are scored on the host against their truth);
    listed : optional host (circuits, columns) int arrays of exactly those False cells, which
    lets numpy clear the few listed cells in place instead of masking every cell (same values).
    Returns host numpy arrays of shape (batch,): sums of ‖x̂‖²/m (per rotation pair,
    `metrics.pair_error`) and α̂² (float64), their maxima (squared, NaN propagates) and the number
    of α̂ > READ_ON. Every sum runs over circuits in
    index order for each sample, in fixed tiles of STAT_TILE circuits, so it does not depend on
    the batch size.
    """
    T = int(channels[0].shape[0])
    n_cols = int(channels[0].shape[1])
    tile = STAT_TILE  # fixed: the grouping of the sums must not depend on the batch size
    in_place = listed is not None and is_numpy_namespace(xp)
    sums = {"sq_x_inactive": None, "sq_alpha_inactive": None, "false_on": None}
    maxima = {"max_x_inactive": None, "max_alpha_inactive": None}
    for lo in range(0, T, tile):  # circuit tiles in order: sums add tile by tile, per sample
        hi = min(lo + tile, T)
        alpha = channels[0][lo:hi, :]
        square = np.empty_like(alpha) if in_place else None
        q = _payload_squares(channels, lo, hi, square)
        if in_place:  # zero the listed cells: the values of xp.where(mask, ·, 0) without a pass over the mask
            rows, cols = listed
            here = (rows >= lo) & (rows < hi)
            flat = (rows[here] - lo) * n_cols + cols[here]
            qi, ai, on = q, np.square(alpha, out=square), alpha > READ_ON
            for a in (qi, ai, on):
                np.put(a, flat, 0)
            # counts of at most `tile` circuits: 16-bit sums are exact below 2¹⁶ and quicker
            false_on = np.add.reduce(on.view(np.uint8), axis=0, dtype=np.uint16 if tile < 2**16 else np.int64).astype(np.int64)
        else:
            mask = inactive[lo:hi, :]
            qi = xp.where(mask, q, 0.0)
            ai = xp.where(mask, alpha * alpha, 0.0)
            false_on = xp.count_nonzero(xp.logical_and(alpha > READ_ON, mask), axis=0)
        part = {
            "sq_x_inactive": xp.sum(qi, axis=0, dtype=xp.float64),
            "sq_alpha_inactive": xp.sum(ai, axis=0, dtype=xp.float64),
            "false_on": false_on,
        }
        for k, v in part.items():
            sums[k] = v if sums[k] is None else sums[k] + v
        for k, v in (("max_x_inactive", xp.max(qi, axis=0)), ("max_alpha_inactive", xp.max(ai, axis=0))):
            maxima[k] = v if maxima[k] is None else xp.where(xp.isnan(v) | xp.isnan(maxima[k]), xp.nan, xp.maximum(maxima[k], v))
    return {k: to_numpy(v) for k, v in {**sums, **maxima}.items()}


def _payload_squares(channels, lo: int, hi: int, square=None):
    """‖x̂‖² per rotation pair (`metrics.per_pair`) of circuits [lo, hi): Σ_k x̂_k·x̂_k over the payload
    channels, in channel order. `square`: a reusable numpy array of the tile's shape, into which
    each square is written (np.square(x) is x·x: the same bits) instead of a fresh one."""
    if square is None:
        q = channels[1][lo:hi, :] * channels[1][lo:hi, :]
        for x in channels[2:]:
            q += x[lo:hi, :] * x[lo:hi, :]
    else:
        q = np.square(channels[1][lo:hi, :])
        for x in channels[2:]:
            q += np.square(x[lo:hi, :], out=square)
    return per_pair(q, len(channels) - 1)


def activity_counts(xp, X, offsets, bs: int, rectified: bool = True) -> tuple[np.ndarray, int]:
    """Neurons above ACTIVE_THRESHOLD per block (int64 (d,)) and non-finite values among the first
    `bs` columns of the activations X (D, batch), on X's device; `offsets` (d + 1,) block bounds.

    After a ReLU (`rectified`) nothing is −inf, so a finite maximum means no NaN/inf and the
    count is skipped; otherwise the minimum is checked as well.
    """
    on = X[:, :bs] > ACTIVE_THRESHOLD
    per_block = [to_numpy(xp.count_nonzero(on[offsets[i] : offsets[i + 1], :])) for i in range(len(offsets) - 1)]
    finite = bool(np.isfinite(to_numpy(xp.max(X[:, :bs]))))
    if finite and not rectified:
        finite = bool(np.isfinite(to_numpy(xp.min(X[:, :bs]))))
    nonfinite = 0 if finite else to_numpy(xp.count_nonzero(xp.logical_not(xp.isfinite(X[:, :bs]))))
    return np.array(per_block, dtype=np.int64), int(nonfinite)


def _fold_max(current: float, values: np.ndarray) -> float:
    """`current` raised to √ of the largest of the squared `values` (NaN skipped; a layer with
    non-finite activations gets NaN maxima in `finalize`)."""
    if not values.size:
        return current
    worst = np.nanmax(values) if np.isfinite(values).any() else np.nan
    return np.fmax(current, np.sqrt(worst))


class StreamingMetrics:
    """Per-layer sums, counts and maxima over batches of samples, merged in a fixed order.

    n_layers : L (circuit layers 1..L, plus layer 0, the input); d_circuit : d (blocks).
    Fields are arrays over layers 0..L: `sums` (SUMS), `counts` (COUNTS and SAMPLE_COUNTS: samples
    with ≥ 1 false-on, ≥ 1 false-off, either; integers, so their merge is order-free), `maxima` (MAXIMA),
    `n_on_pairs` / `n_off_pairs` the (sample, circuit) pairs scored as active / inactive,
    `active_neurons` (L+1, d) neurons above ACTIVE_THRESHOLD per block; `n_samples` so far.
    """

    def __init__(self, n_layers: int, d_circuit: int):
        n = n_layers + 1
        self.sums = {k: np.zeros(n) for k in SUMS}
        self.counts = {k: np.zeros(n, dtype=np.int64) for k in (*COUNTS, *SAMPLE_COUNTS)}
        self.maxima = {k: np.zeros(n) for k in MAXIMA}
        self.n_on_pairs = np.zeros(n, dtype=np.int64)
        self.n_off_pairs = np.zeros(n, dtype=np.int64)
        self.active_neurons = np.zeros((n, d_circuit), dtype=np.int64)
        self.n_samples = 0
        self.decisions = None  # computed activity only: [passed-over children, of them read as on] per layer

    def add_decisions(self, layer: int, n_passed_over: int, n_false_on: int):
        """Children a truly-on parent passed over at `layer` (`truth.passed_over`) and how many of
        them were read as on (α̂ > READ_ON): the false-on decisions of computed activity."""
        if self.decisions is None:
            self.decisions = np.zeros((len(self.n_on_pairs), 2), dtype=np.int64)
        self.decisions[layer] += (n_passed_over, n_false_on)

    def add_layer(self, layer: int, n_circuits: int, bs: int, inactive: dict, est: tuple, truth: tuple):
        """One circuit layer of one batch of `bs` real samples.

        inactive : `device_statistics` (arrays of length ≥ bs; only the first bs are used).
        est      : (α̂, x̂) of the listed circuits, shapes (k, bs) and (k, bs, 2m).
        truth    : (valid (k, bs) bool, α (k, bs), x (k, bs, 2m)): the listed circuits' true states;
                   a listed circuit with α > ON_THRESHOLD is active, every other circuit inactive.
        """
        valid, alpha_true, x_true = truth
        alpha_est, x_est = est
        err_x = pair_error(x_true - x_est)
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
        self.n_on_pairs[layer] += n_act
        self.n_off_pairs[layer] += n_circuits * bs - n_act
        false_on = inactive["false_on"][:bs].astype(np.int64) + (listed_off & (alpha_est > READ_ON)).sum(0)  # per sample (bs,)
        false_off = (act & (alpha_est < READ_OFF)).sum(0)
        self.counts["false_on"][layer] += int(false_on.sum())
        self.counts["false_off"][layer] += int(false_off.sum())
        any_on, any_off = false_on > 0, false_off > 0
        self.counts["samples_false_on"][layer] += int(any_on.sum())
        self.counts["samples_false_off"][layer] += int(any_off.sum())
        self.counts["samples_seizure"][layer] += int((any_on | any_off).sum())
        self.counts["failed_rotation"][layer] += int((act & (err_x >= FAILED_SQUARED)).sum())
        for key, values in (
            ("max_x_active", err_x[act]),
            ("max_alpha_active", err_alpha[act]),
            ("max_x_inactive", np.concatenate([inactive["max_x_inactive"][:bs].astype(np.float64), err_x[listed_off]])),
            ("max_alpha_inactive", np.concatenate([inactive["max_alpha_inactive"][:bs].astype(np.float64), err_alpha[listed_off]])),
        ):
            self.maxima[key][layer] = _fold_max(self.maxima[key][layer], values)

    def add_activity(self, layer: int, active_per_block: np.ndarray, nonfinite: int):
        """Neurons above ACTIVE_THRESHOLD per block and non-finite activations of one batch
        (`activity_counts`)."""
        self.active_neurons[layer] += active_per_block
        self.counts["nonfinite"][layer] += int(nonfinite)

    def finalize(self, block_sizes) -> dict:
        """Per-layer results: dict of float64 arrays (L+1,), and active_fraction, active_neurons (L+1, d)."""
        act, inact = self.n_on_pairs.astype(float), self.n_off_pairs.astype(float)
        samples = np.full(len(act), float(self.n_samples))
        with np.errstate(invalid="ignore", divide="ignore"):  # layer 0 has no read-outs: NaN → 0 below
            out = {
                "mse_x_active": self.sums["sq_x_active"] / act,
                "mse_alpha_active": self.sums["sq_alpha_active"] / act,
                "mse_x_inactive": self.sums["sq_x_inactive"] / inact,
                "mse_alpha_inactive": self.sums["sq_alpha_inactive"] / inact,
                "false_on_rate": self.counts["false_on"] / inact,
                "false_off_rate": self.counts["false_off"] / act,
                "failed_rotation_rate": self.counts["failed_rotation"] / act,
                "any_false_on_rate": self.counts["samples_false_on"] / samples,
                "any_false_off_rate": self.counts["samples_false_off"] / samples,
                "seizure_rate": self.counts["samples_seizure"] / samples,
            }
        for v in out.values():
            v[0] = 0.0  # layer-0 estimates are exact by definition (the published convention)
        out["nonfinite_count"] = self.counts["nonfinite"].copy()
        out.update({k: v.copy() for k, v in self.maxima.items()})
        # A diverged layer has NaN/Inf activations; its maxima must not look finite.
        for k in MAXIMA:
            out[k][self.counts["nonfinite"] > 0] = np.nan
        out["active_fraction"] = self.active_neurons / (self.n_samples * np.asarray(block_sizes, dtype=float))[None, :]
        out["active_neurons"] = self.active_neurons / float(self.n_samples)  # per sample, per block
        if self.decisions is not None:
            out.update(decision_rates(self.decisions, self.counts["false_on"], inact))
        return out


def decision_rates(decisions: np.ndarray, false_on: np.ndarray, n_inactive: np.ndarray) -> dict:
    """Split false-on into wrong decisions and interference (per layer, (L+1,) each).

    decisions : int (L+1, 2) passed-over children and those read as on; false_on, n_inactive : (L+1,).
    decision_false_on_rate      P(read on | a truly-on parent passed the circuit over)
    interference_false_on_rate  P(read on | inactive and no on parent chose between it and another)
    decision_false_on_share     the fraction of all false-on circuits that were wrong decisions
    Layers without passed-over children (0, 1) get 0, 0 and 0 (interference: the false-on rate).
    """
    passed, wrong = decisions[:, 0].astype(float), decisions[:, 1].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "decision_false_on_rate": np.where(passed > 0, wrong / passed, 0.0),
            "interference_false_on_rate": np.where(n_inactive > passed, (false_on - wrong) / (n_inactive - passed), 0.0),
            "decision_false_on_share": np.where(false_on > 0, wrong / false_on, 0.0),
        }
    out["interference_false_on_rate"][0] = 0.0
    return out
