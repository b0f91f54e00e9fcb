"""Streaming per-layer metrics (construction.md §4.2), merged in a fixed order.

Per layer l = 0..L, over samples and circuits:

    mse_x_active       E‖x − x̂‖² over active circuits         max_x_active       max ‖x − x̂‖
    mse_alpha_active   E(1 − α̂)² over active circuits         max_alpha_active   max |1 − α̂|
    mse_x_inactive     E‖x̂‖² over inactive circuits            max_x_inactive     max ‖x̂‖
    mse_alpha_inactive E α̂² over inactive circuits             max_alpha_inactive max |α̂|
    false_on_rate      P(α̂ > 0.5 | inactive): erroneously switched on
    false_off_rate     P(α̂ < 0.5 | active)
    failed_rotation_rate P(‖x − x̂‖ ≥ 1 | active): no better than guessing 0
    active_fraction    fraction of large neurons > 1e-4, per block (Fig 7)
    nonfinite_count    NaN/Inf activations (never averaged away: sums stay NaN)

Determinism: per-sample values are summed in fixed chunks of `CHUNK` samples and the chunk
sums are added sequentially, so any batch size that is a multiple of CHUNK gives bit-identical
sums; counts are integers and maxima are order-free.
"""

from __future__ import annotations

import numpy as np

CHUNK = 128
ACTIVE_THRESHOLD = 1e-4  # the published code's "neuron is on" threshold (Fig 7)
ON_THRESHOLD = 0.5  # α̂ above this reads as "on"
FAILED_ROTATION = 1.0  # ‖δx‖ ≥ 1 is no better than guessing the mean

SUMS = ("sq_x_active", "sq_alpha_active", "sq_x_inactive", "sq_alpha_inactive")
COUNTS = ("false_on", "false_off", "failed_rotation", "nonfinite")
MAXIMA = ("max_x_active", "max_alpha_active", "max_x_inactive", "max_alpha_inactive")


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
        self.active_neurons = np.zeros((n, d_circuit), dtype=np.int64)
        self.n_samples = 0

    def add_layer(self, layer: int, x_true, x_est_active, alpha_est_active, x_est_inactive, alpha_est_inactive, inactive_mask):
        """One layer of one batch.

        x_true, x_est_active : (bs, z, 2); alpha_est_active : (bs, z)
        x_est_inactive : (bs, T, 2); alpha_est_inactive : (bs, T); inactive_mask : (bs, T) bool
        (the inactive arrays cover all circuits; the mask selects the inactive ones).
        """
        err_x = np.sqrt(((x_true - x_est_active) ** 2).sum(-1))  # (bs, z)
        err_alpha = np.abs(1.0 - alpha_est_active)
        norm_x = np.sqrt((x_est_inactive**2).sum(-1))  # (bs, T)
        abs_alpha = np.abs(alpha_est_inactive)
        masked = lambda v: np.where(inactive_mask, v, 0.0)  # noqa: E731
        per_sample = {
            "sq_x_active": (err_x**2).sum(1),
            "sq_alpha_active": (err_alpha**2).sum(1),
            "sq_x_inactive": masked(norm_x**2).sum(1),
            "sq_alpha_inactive": masked(abs_alpha**2).sum(1),
        }
        for k, v in per_sample.items():
            self.sums[k][layer] = chunked_sum(self.sums[k][layer], v)
        self.counts["false_on"][layer] += int((inactive_mask & (alpha_est_inactive > ON_THRESHOLD)).sum())
        self.counts["false_off"][layer] += int((alpha_est_active < ON_THRESHOLD).sum())
        self.counts["failed_rotation"][layer] += int((err_x >= FAILED_ROTATION).sum())
        for k, v in (("max_x_active", err_x), ("max_alpha_active", err_alpha),
                     ("max_x_inactive", masked(norm_x)), ("max_alpha_inactive", masked(abs_alpha))):
            if v.size:
                self.maxima[k][layer] = np.fmax(self.maxima[k][layer], np.nanmax(v) if np.isfinite(v).any() else np.nan)

    def add_activity(self, layer: int, activations: np.ndarray, offsets: np.ndarray):
        """Count neurons above threshold per block and non-finite activations, (bs, D)."""
        on = activations > ACTIVE_THRESHOLD
        self.active_neurons[layer] += np.add.reduceat(on.sum(0), offsets[:-1])
        self.counts["nonfinite"][layer] += int((~np.isfinite(activations)).sum())

    def finalize(self, n_active: int, n_circuits: int, block_sizes) -> dict:
        """Per-layer results: dict of float64 arrays (L+1,), and active_fraction (L+1, d)."""
        n = self.n_samples
        act, inact = n * n_active, n * (n_circuits - n_active)
        safe = lambda num, den: num / den if den else np.full_like(num, np.nan, dtype=float)  # noqa: E731
        out = {
            "mse_x_active": safe(self.sums["sq_x_active"], act),
            "mse_alpha_active": safe(self.sums["sq_alpha_active"], act),
            "mse_x_inactive": safe(self.sums["sq_x_inactive"], inact),
            "mse_alpha_inactive": safe(self.sums["sq_alpha_inactive"], inact),
            "false_on_rate": safe(self.counts["false_on"].astype(float), inact),
            "false_off_rate": safe(self.counts["false_off"].astype(float), act),
            "failed_rotation_rate": safe(self.counts["failed_rotation"].astype(float), act),
            "nonfinite_count": self.counts["nonfinite"].copy(),
        }
        out.update({k: v.copy() for k, v in self.maxima.items()})
        # A diverged layer has NaN/Inf activations; its maxima must not look finite.
        for k in MAXIMA:
            out[k][self.counts["nonfinite"] > 0] = np.nan
        out["active_fraction"] = self.active_neurons / (n * np.asarray(block_sizes, dtype=float))[None, :]
        return out
