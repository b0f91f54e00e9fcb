"""Benchmark: dense vs structured weight layers — which path wins at which (T, D), and the cost model.

For each D and superposition load T(d/D)² (baseline design, transversal allocation, S = 6), times
one weight layer applied to a batch of realistic activations (layer 1 of sampled z = 2 inputs),
best of `--repeats`, in µs per sample, for both paths; then fits the constants of the cost model in
`cisim.simulate.operators` (GEMM_RATE from the dense timings; GATHER_RATE and ELEMENT_RATE from the structured
timings and each operator's `work()` counts) and prints the table that docs/benchmarks.md records.
Single BLAS thread by default (the pipeline runs one simulation per core). Usage:
    .venv/bin/python benchmarks/crossover.py [--threads 1] [--batch 128] [--repeats 5] [--quick]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--batch", type=int, default=128)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--quick", action="store_true", help="fewer sizes (CI smoke run)")
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import construction, simulate  # noqa: E402
from cisim.backend import namespace  # noqa: E402
from cisim.simulate import operators  # noqa: E402
from cisim.simulate.readout import readout_matrix  # noqa: E402
from machine import describe, load_average, matmul_gflops, peak_rss_mb  # noqa: E402

D_VALUES = (1024, 2048, 4096) if args.quick else (1024, 2048, 4096, 8192, 16384)
LOADS = (0.0005, 0.002, 0.01) if args.quick else (0.0005, 0.001, 0.002, 0.004, 0.01)
xp = namespace("numpy")


def best(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def activations(network, circuits, batch):
    """A^1 of z = 2 inputs, feature-major (D, batch), float32."""
    inputs = simulate.sample_inputs(network.n_circuits, 2, batch, np.random.default_rng(0))
    x0 = np.stack([np.cos(inputs.phases), np.sin(inputs.phases)], -1)
    a0 = circuits.encode(np.ones(inputs.active.shape), x0)
    A0 = simulate.embed_input_columns(network, circuits, inputs.active, a0, batch, np.float32)
    return np.maximum(A0 + network.bias.astype(np.float32)[:, None], 0.0)


print(f"machine: {describe()}; load average {load_average()}")
print(f"float32 matmul, {args.threads} thread(s): {matmul_gflops(threads_note=args.threads):.0f} GFLOP/s (best of 5)")
rows = []
print(f"{'D':>6} {'T':>7} {'load':>7} {'dense µs':>9} {'struct µs':>9} {'winner':>10} {'model':>10} {'gathers':>10} {'elements':>10}")
for D in D_VALUES:
    for load in LOADS:
        T = int(round(load * (D // 4) ** 2))
        spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=6, n_layers=2, allocation="transversal")
        circuits, network = construction.build(spec, seed=0)
        X = activations(network, circuits, args.batch)
        R = readout_matrix(circuits)
        layer = network.structure[0]
        op_s = operators.StructuredOperator(layer, np.float32, xp, readout_rows=R)
        t_s = best(lambda: op_s.apply(X, True), args.repeats) / args.batch
        work = op_s.work()
        del op_s
        op_d = operators.DenseOperator(layer, np.float32, xp)
        t_d = best(lambda: op_d(X), args.repeats) / args.batch
        multiply_adds = op_d.multiply_adds  # the GEMMs skip the zero blocks: the flops they really do
        del op_d
        costs = operators.layer_costs(layer, np.float32)
        model = "dense" if costs["dense"] <= costs["structured"] else "structured"
        winner = "dense" if t_d <= t_s else "structured"
        rows.append((D, T, load, t_d, t_s, work["gathers"], work["elements"], multiply_adds))
        print(f"{D:>6} {T:>7} {load:>7.4f} {t_d * 1e6:>9.1f} {t_s * 1e6:>9.1f} {winner:>10} {model:>10} {work['gathers']:>10} {work['elements']:>10}", flush=True)

a = np.array(rows)
gemm = np.median(2 * a[:, 7] / a[:, 3])  # flop/s of the GEMMs as run (the model charges 2·D² at this rate: an upper bound)
A = np.stack([a[:, 5], a[:, 6]], 1)
inv_rates, *_ = np.linalg.lstsq(A / a[:, 4:5], np.ones(len(a)), rcond=None)  # relative least squares
print(f"fitted: GEMM_RATE = {gemm:.3g} flop/s; GATHER_RATE = {1 / inv_rates[0]:.3g}/s; ELEMENT_RATE = {1 / inv_rates[1]:.3g}/s "
      f"(cisim.simulate.operators uses {operators.GEMM_RATE:.3g}, {operators.GATHER_RATE:.3g}, {operators.ELEMENT_RATE:.3g})")
print(f"peak memory: {peak_rss_mb():.0f} MB; load average {load_average()}")
