"""Benchmark: the post's main statistics (Figs 5–7) — T = 557, D = 1000, S = 6, L = 5, prime_step;
z = 1 with every circuit once, z = 2 and z = 3 with 100·T = 55,700 samples each.

Prints wall time (build, prepare, each z), peak memory and the per-layer MSE of x. The published
implementation needs about 13.5 minutes and 9 GB for this on a 2-core machine. Usage:
    .venv/bin/python benchmarks/main_statistics.py [--seed 0] [--dtype float32] [--forward auto] [--threads 2]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--dtype", default="float32")
parser.add_argument("--batch-size", type=int, default=512)
parser.add_argument("--forward", default="auto")
parser.add_argument("--threads", type=int, default=os.cpu_count())
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import construction, simulate, theory  # noqa: E402
from machine import describe, load_average, peak_rss_mb  # noqa: E402

T, D, S, L = 557, 1000, 6, 5
start = time.perf_counter()
spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, allocation="prime_step")
circuits, network = construction.build(spec, seed=args.seed)
print(f"machine: {describe()}; BLAS threads {args.threads}; load average {load_average()}")
print(f"build: {time.perf_counter() - start:.2f} s")
prepared = simulate.prepare(network, circuits, np.dtype(args.dtype), args.forward)
print(f"prepare: {prepared.seconds:.2f} s; {prepared.plan.path}: {prepared.plan.summary}")
for z in (1, 2, 3):
    inputs = simulate.sample_inputs(T, z, 100 * T, np.random.default_rng([args.seed, z]), exhaustive=(z == 1))
    r = simulate.run(network, circuits, inputs, batch_size=args.batch_size, dtype=np.dtype(args.dtype), forward=args.forward, prepared=prepared)
    m = r.metrics
    print(f"z={z}: {inputs.n_samples} samples in {r.seconds:.2f} s ({inputs.n_samples * L / r.seconds:,.0f} sample-layers/s), "
          f"forward {r.forward}, read-out {r.readout}, batch {r.batch_size}")
    print("  layer            " + " ".join(f"{l:>8d}" for l in range(L + 1)))
    print("  mse_x_active     " + " ".join(f"{v:8.4f}" for v in m["mse_x_active"]))
    print("  theory (eq 6.55) " + " ".join(f"{v:8.4f}" for v in np.r_[0, theory.mse_x_active(D, T, S, z, np.arange(1, L + 1))]))
    print("  mse_x_inactive   " + " ".join(f"{v:8.4f}" for v in m["mse_x_inactive"]))
    print("  false_on_rate    " + " ".join(f"{v:8.4f}" for v in m["false_on_rate"]))
print(f"total wall time: {time.perf_counter() - start:.2f} s; peak memory: {peak_rss_mb():.0f} MB; load average {load_average()}")
