"""Benchmark: the forward pass on a GPU (CuPy) against numpy, in one command (docs/gpu.md).

1. the backend tests under CuPy (`tests/test_backend.py`: CuPy against numpy on the same seed);
2. the device's float32 matmul rate, (4096 × D) @ (D × D), measured in the same run;
3. `simulate.run` throughput, samples·layers per second, numpy vs CuPy, at D = 4096 and 16384
   (S = 6, transversal, L = 4, z = 2, load T(d/D)² = 0.002), dense and structured paths, and the
   largest relative disagreement of their metrics (`cisim.metrics.deviation`).
Without a CUDA device it says so in one line and exits non-zero (run it on a GPU node). `--backends numpy`
runs the numpy half only (a check of the script itself on any machine).
Usage: pip install cupy-cuda12x && .venv/bin/python benchmarks/gpu.py [--samples 4096] [--sizes 4096 16384]
"""

import argparse
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from cisim import construction, metrics, simulate
from machine import describe, matmul_gflops, peak_rss_mb

parser = argparse.ArgumentParser()
parser.add_argument("--samples", type=int, default=4096)
parser.add_argument("--batch", type=int, default=1024)
parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 16384])
parser.add_argument("--backends", nargs="+", default=["numpy", "cupy"], choices=["numpy", "cupy"])
parser.add_argument("--paths", nargs="+", default=["dense", "structured"], choices=["dense", "structured"])
args = parser.parse_args()
print(f"machine: {describe()}")

if "cupy" in args.backends:
    try:
        import cupy

        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # no cupy, no driver, no device: nothing to measure here
        sys.exit(f"gpu.py: no CUDA device usable by CuPy ({type(e).__name__}: {e}); run it on a GPU node (docs/gpu.md)")
    if n_devices < 1:
        sys.exit("gpu.py: CuPy sees no CUDA device; run it on a GPU node (docs/gpu.md)")
    props = cupy.cuda.runtime.getDeviceProperties(0)
    print(f"device: {props['name'].decode()}, {props['totalGlobalMem'] / 2**30:.0f} GiB, CuPy {cupy.__version__}")
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_backend.py"],
                           cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    lines = tests.stdout.strip().splitlines() or ["(no output)"]
    print("backend tests under CuPy: " + lines[-1])
    if tests.returncode != 0:
        print("\n".join(lines[-40:]) + tests.stderr[-2000:])

    def device_matmul(n: int, rows: int = 4096, repeats: int = 10) -> float:
        a = cupy.random.standard_normal((rows, n), dtype=cupy.float32)
        b = cupy.random.standard_normal((n, n), dtype=cupy.float32)
        a @ b
        cupy.cuda.Device().synchronize()
        best = np.inf
        for _ in range(repeats):
            t = time.perf_counter()
            a @ b
            cupy.cuda.Device().synchronize()
            best = min(best, time.perf_counter() - t)
        return 2 * rows * n * n / best / 1e9

S, L, z, load = 6, 4, 2, 0.002
for D in args.sizes:
    T = int(load * (D / 4) ** 2)
    spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, allocation="transversal")
    circuits, network = construction.build(spec, seed=0)
    inputs = simulate.sample_inputs(T, z, args.samples, np.random.default_rng([0, z]))
    rates = {"numpy": matmul_gflops(n=D, repeats=3)} if "numpy" in args.backends else {}
    if "cupy" in args.backends:
        rates["cupy"] = device_matmul(D)
    print(f"D = {D}, T = {T}: float32 matmul " + ", ".join(f"{b} {r:.0f} GFLOP/s" for b, r in rates.items()))
    for path in args.paths:
        results = {}
        for backend in args.backends:
            if path == "dense" and backend == "numpy" and D > 8192:
                print(f"  {path:>10} {backend:>5}: skipped (D² weights; the CPU takes minutes)")
                continue
            try:  # one failing backend or path must not hide the other measurements
                prepared = simulate.prepare(network, circuits, forward=path, backend=backend)
                simulate.run(network, circuits, inputs, batch_size=args.batch, forward=path, backend=backend, prepared=prepared)  # warm-up
                t = time.perf_counter()
                results[backend] = simulate.run(network, circuits, inputs, batch_size=args.batch, forward=path, backend=backend, prepared=prepared)
                seconds = time.perf_counter() - t
            except Exception as e:
                print(f"  {path:>10} {backend:>5}: FAILED {type(e).__name__}: {e}")
                traceback.print_exc(limit=6, file=sys.stdout)
                continue
            print(f"  {path:>10} {backend:>5}: {args.samples * L / seconds:,.0f} samples·layers/s "
                  f"({args.samples} samples in {seconds:.2f} s, prepare {prepared.seconds:.2f} s)")
        if len(results) == 2:
            dev = metrics.deviation(results["numpy"].metrics, results["cupy"].metrics)
            print(f"  {path:>10} numpy vs cupy: relative {dev['relative']:.1e} ({dev['where']}), rate {dev['rate']:.1e}")
print(f"peak host memory: {peak_rss_mb():.0f} MB")
