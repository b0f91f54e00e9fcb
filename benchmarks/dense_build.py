"""Benchmark: the one-off cost of expanding a factored weight layer into its dense matrix
(`cisim.simulate.operators.dense_matrix`) against the cost model's FILL_RATE and BUILD_RATE.

Per (D, T, S) of the baseline (transversal allocation): seconds of dense_matrix for layer 1 (best
of 3), the D² elements written and the T·S²·d² Δw entries scattered, and the model's seconds.
One BLAS thread. Usage: .venv/bin/python benchmarks/dense_build.py [--quick]
"""
import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

from cisim import construction  # noqa: E402
from cisim.simulate import operators  # noqa: E402
from machine import describe, load_average  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
CASES = [(2048, 1000, 6), (4096, 4000, 6)] if args.quick else [(4096, 4000, 6), (8192, 6000, 8), (8192, 11487, 4), (8192, 26921, 8)]
print(describe(), "| load", load_average())
print("D      T      S  seconds  D² (M)  Δw entries (M)  model s")
for D, T, S in CASES:
    spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=2, allocation="transversal")
    _, network = construction.build(spec, 0)
    layer = operators.layer_items(network.weights)[0]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        operators.dense_matrix(layer, np.float32)
        times.append(time.perf_counter() - start)
    entries = np.count_nonzero(layer.diff_w) * S * S
    model = operators.layer_costs(layer, np.float32)["dense_build"]
    print(f"{D:<6} {T:<6} {S:<2} {min(times):7.3f}  {D * D / 1e6:6.1f}  {entries / 1e6:14.1f}  {model:7.3f}")
