"""Benchmark: one network far beyond laptop sizes through the structured path.

Default: D = 65,536 (n = 16,384 positions per block), T = 1,000,000 circuits (T(d/D)² = 0.0037),
S = 6, transversal allocation, L = 4, z = 2, 128 samples. The dense weights would need
3 × 65,536² × 4 bytes = 48 GiB; the factored form never allocates D². Prints the time and peak
memory of every stage and the per-layer metrics. With --threads k (default 2, the machines' cores)
the weight layers are indexed side by side (`cisim.backend.side_by_side`) and the batch's row tiles
are split over the k threads (`operators.row_threads`; 128 samples are one batch); --threads 1 is
the one-core figure. Usage:
    .venv/bin/python benchmarks/wide.py [--d-model 65536] [--n-circuits 1000000] [--layers 4] [--samples 128] [--threads 2]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--d-model", type=int, default=65536)
parser.add_argument("--n-circuits", type=int, default=1_000_000)
parser.add_argument("--layers", type=int, default=4)
parser.add_argument("--z", type=int, default=2)
parser.add_argument("--samples", type=int, default=128)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import allocation, construction, simulate  # noqa: E402
from machine import describe, load_average, matmul_gflops, peak_rss_mb  # noqa: E402

D, T, L = args.d_model, args.n_circuits, args.layers
print(f"machine: {describe()}; load average {load_average()}; {args.threads} thread(s); "
      f"float32 matmul {matmul_gflops():.0f} GFLOP/s")
print(f"D = {D}, T = {T:,}, S = 6, L = {L}, z = {args.z}, T(d/D)² = {T * (4 / D) ** 2:.5f}; "
      f"transversal capacity {allocation.capacity('transversal', D // 4, 6):,}")
print(f"dense weights would need {(L - 1) * D * D * 4 / 2**30:.1f} GiB in float32")
t0 = time.perf_counter()
spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=6, n_layers=L, allocation="transversal")
allocs = construction.allocate(spec, seed=0)
t1 = time.perf_counter()
print(f"allocate: {t1 - t0:.1f} s, peak {peak_rss_mb():.0f} MB", flush=True)
circuits, network = construction.build(spec, seed=0, allocations=allocs)
t2 = time.perf_counter()
print(f"build (χ and factored weights, {len(network.weights)} layers): {t2 - t1:.1f} s, peak {peak_rss_mb():.0f} MB", flush=True)
prepared = simulate.prepare(network, circuits, np.float32, "auto")
print(f"prepare (index tables): {prepared.seconds:.1f} s, peak {peak_rss_mb():.0f} MB; {prepared.plan.summary}", flush=True)
work = prepared.plan.ops[0].work()
print(f"per sample and layer: {work['gathers']:,} gathered elements, {work['elements']:,} other operations", flush=True)
inputs = simulate.sample_inputs(T, args.z, args.samples, np.random.default_rng(0))
r = simulate.run(network, circuits, inputs, batch_size=128, prepared=prepared)
print(f"simulate: {args.samples} samples × {L} layers in {r.seconds:.1f} s = {r.seconds / args.samples / L * 1e3:.1f} ms per sample·layer; "
      f"forward {r.forward}, batch {r.batch_size}")
m = r.metrics
for key in ("mse_x_active", "mse_x_inactive", "false_on_rate", "max_x_inactive"):
    print(f"  {key:<16}" + " ".join(f"{v:10.3g}" for v in m[key]))
print("  active fraction " + " ".join(f"{v:10.3g}" for v in m["active_fraction"].mean(1)))
r = max(np.nanmax(m["mse_x_active"][1:] / 0.1), np.nanmax(m["false_on_rate"][1:] / 1e-3))
print(f"margin r = max over layers of (mse_x_active / 0.1, false_on_rate / 0.001) = {r:.3g}: {'works' if r < 1 else 'fails'}")
print(f"total: {time.perf_counter() - t0:.1f} s; peak memory {peak_rss_mb():.0f} MB; load average {load_average()}")
