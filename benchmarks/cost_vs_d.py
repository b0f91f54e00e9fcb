"""Benchmark: how the cost of a forward pass grows with D and T, for the dense and structured paths.

Two series (baseline, S = 6, L = 4, transversal allocation, z = 2, batch 256): T growing like D² at
a fixed superposition load T(d/D)² = 0.002, and T fixed at 2048. For each D the time of
`simulate.run` per sample and layer (read-outs and statistics included, best of `--repeats`) on each
path; the dense path only while its (L − 1)·D² float32 weights fit `--dense-gb`. Then the exponents
of the power laws seconds ∝ D^a (least squares in log-log over the sizes measured). The float32
matmul rate is measured in the same run. Usage:
    .venv/bin/python benchmarks/cost_vs_d.py [--sizes 1024 2048 4096 8192 16384 32768 65536] [--threads 2]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384, 32768, 65536])
parser.add_argument("--samples", type=int, default=256)
parser.add_argument("--repeats", type=int, default=2)
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--dense-gb", type=float, default=3.5)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import construction, simulate  # noqa: E402
from cisim.analysis.stats import line_fit  # noqa: E402
from machine import describe, load_average, matmul_gflops, peak_rss_mb  # noqa: E402

L, S, z = 4, 6, 2
print(f"machine: {describe()}; BLAS threads {args.threads}; load average {load_average()}; "
      f"float32 matmul {matmul_gflops(n=2000, repeats=3):.0f} GFLOP/s")
print("series        D        T   path        µs per sample·layer   prepare s")
fits = {}
for series in ("load 0.002", "T = 2048"):
    for D in args.sizes:
        T = int(0.002 * (D / 4) ** 2) if series == "load 0.002" else 2048
        spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, allocation="transversal")
        try:
            circuits, network = construction.build(spec, seed=0)
        except ValueError as e:  # the allocation cannot place T circuits at this D
            print(f"{series:10} {D:6d} {T:8d}   skipped: {e}")
            continue
        inputs = simulate.sample_inputs(T, z, args.samples, np.random.default_rng([0, z]))
        for path in ("dense", "structured"):
            if path == "dense" and (L - 1) * D * D * 4 / 2**30 > args.dense_gb:
                continue
            prepared = simulate.prepare(network, circuits, np.float32, path)
            best = np.inf
            for _ in range(args.repeats):
                t = time.perf_counter()
                simulate.run(network, circuits, inputs, batch_size=256, forward=path, prepared=prepared)
                best = min(best, time.perf_counter() - t)
            us = best / (args.samples * L) * 1e6
            fits.setdefault((series, path), []).append((D, us))
            print(f"{series:10} {D:6d} {T:8d}   {path:10} {us:20.1f}   {prepared.seconds:9.2f}", flush=True)
print("exponents a of µs per sample·layer ∝ D^a (least squares, log-log):")
for (series, path), points in fits.items():
    if len(points) >= 2:
        x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
        print(f"  {series:10} {path:10} a = {line_fit(x, y)[1]:.2f} over D = {points[0][0]}…{points[-1][0]}")
print(f"peak memory {peak_rss_mb():.0f} MB; load average {load_average()}")
