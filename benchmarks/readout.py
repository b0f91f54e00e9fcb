"""Benchmark: the read-out of every circuit's channels — dense (0/1 GEMM) vs gather, and the cost model.

For the post's main network and the scaling grid's sizes (baseline, S = 6, L = 4; rectified
Gaussian activations: their values do not change the cost), times `ChannelReadout` with each strategy, best of `--repeats`, in µs per sample, prints
which one the cost model of `cisim.simulate.readout` picks and whether that is the faster one. Then,
for the post's network, one channel's gather (`operators.gathered`) against two other ways of
summing the same S rows per circuit (one take of all S·T rows then a sum over S; the same per
row tile), with the bytes the rows copy per second.
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
from cisim.simulate import operators  # noqa: E402
from cisim.simulate.readout import ChannelReadout, readout_matrix  # noqa: E402
from machine import _timed, describe, load_average, matmul_gflops  # noqa: E402

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

spec = construction.NetworkSpec(d_model=1000, n_circuits=557, redundancy=6, n_layers=4, allocation="prime_step")
circuits, network = construction.build(spec, seed=0)
n, T, S = network.block_sizes[0], network.n_circuits, spec.redundancy
V = np.maximum(np.random.default_rng(1).standard_normal((n, args.batch)).astype(np.float32), 0)  # one block combination
idx = [np.ascontiguousarray(network.positions[0][:, 0, s]) for s in range(S)]  # block 0 starts at 0: local = global
flat = np.stack(idx, 1).ravel()
tile = operators.tile_rows(args.batch, 4)
ways = {"gathered (S takes, in place)": lambda: operators.gathered(xp, V, idx, T, tile),
        "one take of S·T rows, sum over S": lambda: np.take(V, flat, axis=0).reshape(T, S, -1).sum(axis=1),
        "the same per row tile": lambda: np.concatenate([np.take(V, flat[lo * S:(lo + tile) * S], axis=0).reshape(-1, S, args.batch).sum(1)
                                                        for lo in range(0, T, tile)])}
reference = ways["gathered (S takes, in place)"]()
for name, f in ways.items():
    assert np.array_equal(f(), reference)  # the same sums, in the same order
    best = min(_timed(f) for _ in range(10 * args.repeats))
    print(f"one channel, T = {T}, S = {S}, batch {args.batch}: {name:<34} {best * 1e3:6.3f} ms; rows copied at {T * S * args.batch * 4 / best / 1e9:5.1f} GB/s")
