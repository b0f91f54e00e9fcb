"""Benchmark: how much the χ convention moves the paper network's per-layer MSEs (docs/reproduction.md).

The post's main network (T = 557, D = 1000, S = 6, L = 5, prime_step, Figs 5–7) is built twice
from one seed, with design.chi_convention = post (χ balances all pairs t ≠ u, post eq 5.24) and
published (pairs t < u, as the authors' code). Everything but χ is identical: circuits,
allocation, per-layer permutations and the inputs (the same z active circuits and phases per
sample), so the differences below are paired, not sampling noise. Prints χ per weight layer
and, per z, mse_x_active and mse_x_inactive of both with the relative difference
(published − post)/post. Usage:
    .venv/bin/python benchmarks/chi_convention.py [--seed 0] [--samples 20000] [--dtype float32] [--threads 1]
"""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--samples", type=int, default=20_000, help="sampled active sets per z (z = 1 sampled too)")
parser.add_argument("--dtype", default="float32")
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cisim import construction, simulate  # noqa: E402
from machine import describe  # noqa: E402

T, D, S, L = 557, 1000, 6, 5
CONVENTIONS = ("post", "published")
start = time.perf_counter()
print(f"machine: {describe()}; BLAS threads {args.threads}")
print(f"network: T={T}, D={D}, S={S}, L={L}, prime_step, seed {args.seed}; {args.samples} samples per z; {args.dtype}")
built = {}
for convention in CONVENTIONS:
    spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=S, n_layers=L, allocation="prime_step", chi_convention=convention)
    built[convention] = construction.build(spec, seed=args.seed)
chi = {c: built[c][1].chi[:, 0, 0] for c in CONVENTIONS}  # χ_ij is the same for every (i, j) with w̄_ij ≠ 0
print("weight layer (maps activation l to l+1)  " + " ".join(f"{l:>9d}" for l in range(1, L)))
for c in CONVENTIONS:
    print(f"chi {c:<37}" + " ".join(f"{v:9.6f}" for v in chi[c]))
print(f"{'chi relative difference':<41}" + " ".join(f"{v:+9.4%}" for v in chi["published"] / chi["post"] - 1))
for z in (1, 2, 3):
    inputs = simulate.sample_inputs(T, z, args.samples, np.random.default_rng([args.seed, z]))
    metrics = {}
    for c in CONVENTIONS:
        circuits, network = built[c]
        metrics[c] = simulate.run(network, circuits, inputs, dtype=np.dtype(args.dtype)).metrics
    print(f"\nz={z}  layer                              " + " ".join(f"{l:>9d}" for l in range(L + 1)))
    for key in ("mse_x_active", "mse_x_inactive"):
        post, published = metrics["post"][key], metrics["published"][key]
        print(f"  {key:<16} post                " + " ".join(f"{v:9.5f}" for v in post))
        print(f"  {key:<16} published           " + " ".join(f"{v:9.5f}" for v in published))
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(post == 0, 0.0, published / post - 1)
        print(f"  {key:<16} relative difference " + " ".join(f"{v:+9.3%}" for v in rel))
print(f"\ntotal wall time: {time.perf_counter() - start:.1f} s")
