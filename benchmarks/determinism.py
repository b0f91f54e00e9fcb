"""How far the metrics move with the batch size and the BLAS thread count (docs/reliability.md).

A float32 GEMM may round a column differently depending on how many columns the call has and
on the thread count (seen on AMD EPYC with OpenBLAS), so cisim promises agreement within
`cisim.metrics.AGREEMENT` across batch sizes, cores and machines, and bit-identity only for the
same config, seed, batch size, thread count and machine. This script measures the actual spread
on the paper's main network (T = 557, D = 1000, S = 6, L = 5, prime_step), z = 1 (every circuit),
z = 2 and z = 3, for batch sizes 128 … 4096 and 1 or 2 BLAS threads, on both forward paths.
Usage: .venv/bin/python benchmarks/determinism.py [--samples 10000] [--seed 0]
"""

import argparse
import json
import os
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--samples", type=int, default=10000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--worker", type=int, default=0, help="internal: BLAS threads of one worker run")
args = parser.parse_args()

if args.worker:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.worker)
    import numpy as np

    from cisim import construction, simulate

    spec = construction.NetworkSpec(d_model=1000, n_circuits=557, redundancy=6, n_layers=5, allocation="prime_step")
    circuits, network = construction.build(spec, seed=args.seed)
    out = {}
    for forward in ("dense", "structured"):
        prepared = simulate.prepare(network, circuits, np.float32, forward)
        for z in (1, 2, 3):
            inputs = simulate.sample_inputs(557, z, args.samples, np.random.default_rng([args.seed, z]), exhaustive=(z == 1))
            for batch in (128, 256, 1024, 4096):
                m = simulate.run(network, circuits, inputs, batch_size=batch, forward=forward, prepared=prepared).metrics
                out[f"{forward} z={z} batch={batch}"] = {k: np.asarray(v).tolist() for k, v in m.items()}
    print(json.dumps(out))
    sys.exit()

import numpy as np  # noqa: E402

from cisim import metrics  # noqa: E402
from machine import describe  # noqa: E402

runs = {}
for threads in (1, 2):
    proc = subprocess.run([sys.executable, __file__, "--worker", str(threads), "--samples", str(args.samples), "--seed", str(args.seed)],
                          capture_output=True, text=True, check=True)
    runs.update({f"{k} threads={threads}": {m: np.array(v, dtype=float) for m, v in r.items()} for k, r in json.loads(proc.stdout).items()})
print(f"machine: {describe()}")
print("largest deviation from batch 128 / 1 thread: relative for continuous metrics (MSEs, maxima),")
print(f"absolute for rates (the fraction of threshold decisions that flipped); promised: {metrics.AGREEMENT}")
for forward in ("dense", "structured"):
    for z in (1, 2, 3):
        ref = runs[f"{forward} z={z} batch=128 threads=1"]
        others = [v for k, v in runs.items() if k.startswith(f"{forward} z={z} ") and v is not ref]
        devs = [metrics.deviation(ref, o) for o in others]
        worst = {k: max(d[k] for d in devs) for k in ("relative", "rate")}
        where = max(devs, key=lambda d: d["relative"])["where"]
        bitwise = sum(all(np.array_equal(ref[k], o[k], equal_nan=True) for k in ref) for o in others)
        print(f"{forward:10s} z={z}: relative {worst['relative']:.1e} ({where}), rate {worst['rate']:.1e}; "
              f"bit-identical to the reference: {bitwise} of {len(others)} variants")
