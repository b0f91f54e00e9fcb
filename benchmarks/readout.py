"""Benchmark: the read-out of every circuit's channels — dense (0/1 GEMM) vs gather, and the cost model.

For the post's main network and the scaling grid's sizes (baseline, S = 6, L = 4; rectified
Gaussian activations: their values do not change the cost), times `ChannelReadout` with each strategy, best of `--repeats`, in µs per sample, prints
which one the cost model of `cisim.simulate.readout` picks and whether that is the faster one.
Single BLAS thread by default (the pipeline runs one simulation per core). Usage:
    .venv/bin/python benchmarks/readout.py [--threads 1] [--batch 512] [--repeats 5]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--batch", type=int, default=512)
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import construction  # noqa: E402
from cisim.backend import namespace  # noqa: E402
from cisim.simulate.readout import ChannelReadout, readout_matrix  # noqa: E402
from machine import describe, load_average, matmul_gflops  # noqa: E402

print(f"machine: {describe()}; BLAS threads {args.threads}; load average {load_average()}; "
      f"float32 matmul {matmul_gflops(n=1000, repeats=3):.0f} GFLOP/s")
xp = namespace("numpy")
print("   D      T  S  strategy chosen | dense µs/sample  gather µs/sample | model right?")
for D, T, allocation in [(1000, 557, "prime_step"), (1000, 250, "transversal"), (2000, 1000, "transversal"),
                         (2000, 3000, "transversal"), (4096, 2097, "transversal"), (4096, 8389, "transversal")]:
    spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=6, n_layers=4, allocation=allocation)
    circuits, network = construction.build(spec, seed=0)
    R = readout_matrix(circuits)
    rng = np.random.default_rng(1)
    X = np.maximum(rng.standard_normal((D, args.batch)).astype(np.float32), 0)  # activations' shape and density do not change the cost
    times, chosen = {}, ChannelReadout(network.positions[0], network.block_sizes, R, np.float32, xp).strategy
    for strategy in ("dense", "gather"):
        ro = ChannelReadout(network.positions[0], network.block_sizes, R, np.float32, xp, strategy=strategy)
        ro(X)
        best = np.inf
        for _ in range(args.repeats):
            t = time.perf_counter()
            ro(X)
            best = min(best, time.perf_counter() - t)
        times[strategy] = best / args.batch * 1e6
    faster = min(times, key=times.get)
    print(f"{D:5d} {T:6d}  6  {chosen:>15} | {times['dense']:15.2f}  {times['gather']:16.2f} | {'yes' if chosen == faster else 'NO'}")
