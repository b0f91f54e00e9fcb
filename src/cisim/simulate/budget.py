"""Memory and time of a simulation: the batch width `run` uses, and the estimates that let the
config refuse a point that cannot fit or finish (`cisim.config.check_point`, docs/reliability.md).

All of it follows from the forward pass's cost model (`operators`: GEMM_RATE, GATHER_RATE,
DENSE_BUDGET_BYTES) and its working set per sample; estimates, not measurements.
"""

from __future__ import annotations

import os

import numpy as np

from ..construction.network import Network
from . import operators
from .accumulate import CHUNK
from .inputs import DIRECT_TABLE_ENTRIES, REJECTION_MIN_ACCEPTANCE, distinct_acceptance

# Largest working set of one batch; the batch is cut to fit (results do not depend on it).
BATCH_BUDGET_BYTES = int(float(os.environ.get("CISIM_BATCH_BUDGET_GB", "1.5")) * 2**30)


def bytes_per_sample(d_model: int, n_circuits: int, n_channels: int, itemsize: int) -> int:
    """Working set of one sample of a batch: activations, read-out channels, temporaries, mask."""
    return itemsize * (4 * d_model + (n_channels + 4) * n_circuits) + n_circuits


def batch_columns(batch_size: int, plan: operators.Plan, network: Network, n_channels: int, dtype,
                  n_samples: int | None = None) -> int:
    """Samples per batch: batch_size rounded up to a multiple of CHUNK, cut to BATCH_BUDGET_BYTES;
    with `n_samples`, then spread evenly over the batches that many samples need (rounded up to a
    multiple of CHUNK), so that the last batch pads few all-zero samples (300 samples at
    batch_size 1024 run as one batch of 384, not 1024). A function of the config (and of
    CISIM_BATCH_BUDGET_GB) alone: the same config gives the same batches, hence the same bits
    (docs/reliability.md)."""
    batch = -(-batch_size // CHUNK) * CHUNK
    itemsize = np.dtype(dtype).itemsize
    T, D = network.n_circuits, network.d_model
    per_sample = bytes_per_sample(D, T, n_channels, itemsize)
    for op in plan.ops:
        if op.path == operators.STRUCTURED:
            per_sample = max(per_sample, op.work()["bytes_per_sample"] + itemsize * (n_channels + 2) * T)
    fit = max(CHUNK, (BATCH_BUDGET_BYTES // per_sample) // CHUNK * CHUNK)
    batch = min(batch, fit)
    if n_samples:
        n_batches = -(-n_samples // batch)
        batch = -(-(-(-n_samples // n_batches)) // CHUNK) * CHUNK
    return int(batch)


def estimated_seconds(d_model: int, n_circuits: int, n_weight_layers: int, redundancy: int, n_samples: int, dtype,
                      forward: str, d_circuit: int = 4) -> float:
    """Rough single-core time of `n_samples` forward passes, from the cost constants of `operators`:
    per sample and weight layer the cheaper allowed path, dense 2·D²/GEMM_RATE or structured
    ≈ 2·d²·T·S gathers (each used pair's inputs and outputs) plus the read-out of every circuit at
    every layer (d·T·S gathers). An estimate for refusing what cannot finish, not a promise."""
    itemsize = np.dtype(dtype).itemsize
    dense = 2.0 * d_model * d_model / (operators.GEMM_RATE * 4 / itemsize)
    structured = 2.0 * d_circuit**2 * n_circuits * redundancy / operators.GATHER_RATE * (itemsize / 4)
    per_layer = {"dense": dense, "structured": structured}.get(forward, min(dense, structured))
    readout = d_circuit * n_circuits * redundancy / operators.GATHER_RATE
    return float(n_samples * (n_weight_layers * per_layer + (n_weight_layers + 1) * readout))


def peak_bytes(d_model: int, n_circuits: int, n_weight_layers: int, redundancy: int, inputs: dict, batch_size: int, dtype,
               forward: str, n_channels: int = 3, d_circuit: int = 4) -> dict:
    """Rough peak memory of one simulation (one seed's network), in bytes, by part:

        dense weights    (N − 1)·D²·itemsize, when the dense path can be taken (forward = dense, or
                         auto while within operators.DENSE_BUDGET_BYTES; auto above it and
                         structured keep only the factored tables below)
        position tables  32·(N − 1)·T·d·S: the embedding positions and the structured layers'
                         gather tables, about four int64 (T, d, S) tables per layer (d = 4 nominal)
        one batch        bytes_per_sample × the columns `batch_columns` allows (≥ one CHUNK)
        inputs           24·n·z for the largest n·z of `inputs` {z: n} (active int64, its sorted
                         copy, phases float64), plus the direct draw's index table when z is large

    An estimate for refusing configs that cannot run (config.check_point), not a measurement:
    designs that build some layers only densely (routed or unequal-pool layers) may need more.
    """
    itemsize = np.dtype(dtype).itemsize
    dense = n_weight_layers * d_model**2 * itemsize
    if forward == operators.STRUCTURED or (forward == "auto" and dense > operators.DENSE_BUDGET_BYTES):
        dense = 0
    per_sample = bytes_per_sample(d_model, n_circuits, n_channels, itemsize)
    columns = min(-(-batch_size // CHUNK) * CHUNK, max(CHUNK, BATCH_BUDGET_BYTES // per_sample // CHUNK * CHUNK))
    draw = {z: 24 * n * z + (8 * min(n, max(1, DIRECT_TABLE_ENTRIES // n_circuits)) * n_circuits
                              if distinct_acceptance(n_circuits, z) < REJECTION_MIN_ACCEPTANCE else 0)
            for z, n in inputs.items()}
    tables = 32 * max(n_weight_layers, 1) * n_circuits * d_circuit * redundancy
    return {"dense weights": dense, "position tables": tables, "one batch": columns * per_sample, "inputs": max(draw.values(), default=0)}
