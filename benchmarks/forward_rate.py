"""Benchmark: forward-pass throughput against the machine's measured float32 matmul rate (same run).

At D = 2000 (S = 6, transversal, L = 4, z = 2) for T = 1000 and T = 2000 (the paper grid's
largest network), prints
  * the float32 matmul rate of this machine, (4096 × 2000) @ (2000 × 2000), best of 5;
  * one dense weight layer alone (W X for a batch of activations): GFLOP/s of the multiply-adds
    its GEMMs do (the zero blocks skipped, `operators.DenseOperator`) and % of that rate;
  * the whole simulation (`simulate.run`: embedding, every layer, read-outs, streaming metrics)
    with the dense and with the structured path: samples·layers per second, GFLOP/s counted as
    the dense GEMM flops 2·D² per weight layer (the work the cost model charges the dense path; its
    GEMMs do 3/4 of it, the zero blocks skipped), % of the matmul
    rate, and the time split;
  * peak memory.
Usage: .venv/bin/python benchmarks/forward_rate.py [--threads 2] [--samples 8192] [--batch 512]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--samples", type=int, default=8192)
parser.add_argument("--batch", type=int, default=512)
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import construction, simulate  # noqa: E402
from cisim.simulate import operators  # noqa: E402
from cisim.backend import namespace  # noqa: E402
from machine import describe, load_average, matmul_gflops, peak_rss_mb  # noqa: E402

D, S, L, z = 2000, 6, 4, 2
print(f"machine: {describe()}; BLAS threads {args.threads}; load average {load_average()}")
rate = matmul_gflops(n=D, repeats=10)
print(f"float32 matmul (4096 × {D}) @ ({D} × {D}): {rate:.0f} GFLOP/s (best of 10; measured again at the end)")
xp = namespace("numpy")


def best(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


for T in (1000, 2000):
    spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, allocation="transversal")
    circuits, network = construction.build(spec, seed=0)
    X = np.maximum(np.random.default_rng(0).standard_normal((D, args.batch)).astype(np.float32) - 1.0, 0.0)
    op = operators.DenseOperator(network.structure[0], np.float32, xp)
    t, _ = best(lambda: op(X), 20)
    layer_rate = 2 * op.multiply_adds * args.batch / t / 1e9
    print(f"T = {T} (load {T * (4 / D) ** 2:.4f}): one dense layer, batch {args.batch}: {layer_rate:.0f} GFLOP/s = {100 * layer_rate / rate:.0f} % of matmul "
          f"(its GEMMs do {op.multiply_adds / D**2:.2f} of D² multiply-adds: the indicator rows' zero blocks are skipped)")
    inputs = simulate.sample_inputs(T, z, args.samples, np.random.default_rng([0, z]))
    for path in ("dense", "structured"):
        prepared = simulate.prepare(network, circuits, forward=path)
        seconds, result = best(lambda: simulate.run(network, circuits, inputs, batch_size=args.batch, forward=path, prepared=prepared), args.repeats)
        sl = args.samples * L / seconds
        gflops = 2 * D * D * (L - 1) * args.samples / seconds / 1e9
        print(f"  simulate.run {path:>10}: {args.samples} samples × {L} layers in {seconds:.2f} s (best of {args.repeats}) = "
              f"{sl:,.0f} sample·layers/s; {gflops:.0f} GFLOP/s dense-equivalent = {100 * gflops / rate:.0f} % of matmul; "
              f"prepare {prepared.seconds:.2f} s; read-out {result.readout}")
after = matmul_gflops(n=D, repeats=10)
print(f"float32 matmul again: {after:.0f} GFLOP/s; the percentages above use the first measurement ({rate:.0f}); "
      f"with the larger of the two they are ×{rate / max(rate, after):.2f}")
print(f"peak memory: {peak_rss_mb():.0f} MB; load average {load_average()}")
