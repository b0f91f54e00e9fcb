"""Benchmark: the post's main statistics (Figs 5–7) — T = 557, D = 1000, S = 6, L = 5, prime_step;
z = 1 with every circuit once, z = 2 and z = 3 with 100·T = 55,700 samples each.

Prints wall time (build, prepare, each z), peak memory and the per-layer MSE of x; the float32
matmul rate measured in the same run (before and after) and the GEMM work of the run, so the wall
time can be read against what the GEMMs alone need. The published implementation needs about
13.5 minutes and 9 GB for this on a 2-core machine. With --profile, z = 2 runs once more on one
worker and one BLAS thread under cProfile and the time splits into GEMMs, read-outs, statistics and
the rest. Usage:
    .venv/bin/python benchmarks/main_statistics.py [--seed 0] [--dtype float32] [--forward auto] [--threads 2] [--profile]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--dtype", default="float32")
parser.add_argument("--batch-size", type=int, default=512)
parser.add_argument("--forward", default="auto")
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--profile", action="store_true")
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import construction, simulate, theory  # noqa: E402
from machine import describe, load_average, matmul_gflops, matmul_side_by_side, peak_rss_mb  # noqa: E402

T, D, S, L = 557, 1000, 6, 5
start = time.perf_counter()
spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, allocation="prime_step")
circuits, network = construction.build(spec, seed=args.seed)
print(f"machine: {describe()}; BLAS threads {args.threads}; load average {load_average()}")
print(f"build: {time.perf_counter() - start:.2f} s")
rate = matmul_gflops(n=D, rows=2048, repeats=10)
print(f"float32 matmul (2048 × {D}) @ ({D} × {D}), {args.threads} BLAS threads: {rate:.0f} GFLOP/s (best of 10)")
alone, together = matmul_side_by_side(D, 512, args.threads)
print(f"float32 ({D} × {D}) @ ({D} × 512) on one BLAS thread: {alone:.0f} GFLOP/s alone, {together:.0f} GFLOP/s in all "
      f"with {args.threads} side by side (as the batches run)")
start = time.perf_counter()
prepared = simulate.prepare(network, circuits, np.dtype(args.dtype), args.forward)
print(f"prepare: {prepared.seconds:.2f} s; {prepared.plan.path}: {prepared.plan.summary}")
padded = 0  # samples the GEMMs ran: every batch is `batch_size` columns wide
for z in (1, 2, 3):
    inputs = simulate.sample_inputs(T, z, 100 * T, np.random.default_rng([args.seed, z]), exhaustive=(z == 1))
    r = simulate.run(network, circuits, inputs, batch_size=args.batch_size, dtype=np.dtype(args.dtype), forward=args.forward, prepared=prepared)
    m = r.metrics
    padded += -(-inputs.n_samples // r.batch_size) * r.batch_size
    print(f"z={z}: {inputs.n_samples} samples in {r.seconds:.2f} s ({inputs.n_samples * L / r.seconds:,.0f} sample-layers/s), "
          f"forward {r.forward}, read-out {r.readout}, batch {r.batch_size}")
    print("  layer            " + " ".join(f"{l:>8d}" for l in range(L + 1)))
    print("  mse_x_active     " + " ".join(f"{v:8.4f}" for v in m["mse_x_active"]))
    print("  theory (eq 6.55) " + " ".join(f"{v:8.4f}" for v in np.r_[0, theory.mse_x_active(D, T, S, z, np.arange(1, L + 1))]))
    print("  mse_x_inactive   " + " ".join(f"{v:8.4f}" for v in m["mse_x_inactive"]))
    print("  false_on_rate    " + " ".join(f"{v:8.4f}" for v in m["false_on_rate"]))
wall = time.perf_counter() - start
gemm = 2 * sum(op.multiply_adds for op in prepared.plan.ops if op.path == "dense") * padded / 1e9
after = matmul_gflops(n=D, rows=2048, repeats=10)
print(f"total wall time (from prepare): {wall:.2f} s; peak memory: {peak_rss_mb():.0f} MB; load average {load_average()}")
print(f"GEMM work: {gemm:.0f} GFLOP = {gemm / max(rate, after):.2f} s at the better matmul rate of this run "
      f"({rate:.0f} before, {after:.0f} GFLOP/s after), {gemm / together:.2f} s at the side-by-side rate; "
      f"everything else in the wall time is read-out, statistics and input")
if args.profile:
    import cProfile  # noqa: E402
    import pstats  # noqa: E402

    from cisim.backend import one_blas_thread  # noqa: E402

    inputs = simulate.sample_inputs(T, 2, 100 * T, np.random.default_rng([args.seed, 2]))
    with one_blas_thread(), cProfile.Profile() as profile:
        simulate.run(network, circuits, inputs, batch_size=args.batch_size, dtype=np.dtype(args.dtype), forward=args.forward,
                     prepared=prepared, workers=1)
    stats = pstats.Stats(profile).stats  # {(file, line, name): (calls, _, own s, cumulative s, callers)}

    def cumulative(*names):
        """Seconds spent in (and below) the functions `file.py:name`."""
        return sum(v[3] for (path, _, fn), v in stats.items() if f"{os.path.basename(path)}:{fn}" in names)

    total = cumulative("run.py:run")
    parts = {
        "GEMMs (dense layers)": cumulative("operators.py:__call__"),
        "read-outs (gathers, block sums)": cumulative("readout.py:__call__"),
        "statistics over all circuits": cumulative("accumulate.py:device_statistics"),
        "activity counts": cumulative("accumulate.py:activity_counts"),
        "bias + ReLU": cumulative("run.py:_relu_bias"),
        "truth, inputs, listing": cumulative("truth.py:true_states", "inputs.py:embed_input_columns", "inputs.py:initial_states",
                                             "truth.py:listing", "truth.py:inactive_mask"),
    }
    parts["the rest"] = total - sum(parts.values())
    print(f"profile (z = 2, one worker, one BLAS thread, cProfile): {total:.2f} s")
    for name, t in parts.items():
        print(f"  {name:<34} {t:6.2f} s  {100 * t / total:5.1f} %")
