"""Benchmark: what every Snakemake job pays before its own work, and what that costs a study.

Each `allocate` and `simulate` job is a fresh Python process (Snakemake's `script:`) that imports
numpy, cisim and, to read and write its netCDF files, netCDF4 (xarray with pandas only in the jobs
that gather and draw; its import is timed alone for comparison). Prints the median of
`--repeats` fresh processes for each import set, then the job counts of a study (a dry run of its
DAG, timed) and the wall time those start-ups alone take on `--cores` cores.
Usage: .venv/bin/python benchmarks/job_startup.py [--study designs] [--cores 2] [--repeats 7]
"""

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import describe, load_average

ROOT = Path(__file__).resolve().parents[1]
parser = argparse.ArgumentParser()
parser.add_argument("--study", default="designs")
parser.add_argument("--cores", type=int, default=2)
parser.add_argument("--repeats", type=int, default=7)
args = parser.parse_args()

IMPORTS = {
    "python alone": "pass",
    "xarray + pandas": "import xarray",
    "allocate": "import cisim.jobs.allocate, cisim.datasets, netCDF4",
    "simulate": "import cisim.jobs.simulate, cisim.datasets, netCDF4",
}  # a rule's name: its job's whole start-up, netCDF I/O included


def seconds(code: str) -> float:
    runs = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


print(f"machine: {describe()}; load average {load_average()}")
cost = {name: seconds(code) for name, code in IMPORTS.items()}
for name, s in cost.items():
    print(f"  {name:<30} {s:6.3f} s per process (median of {args.repeats})")
t = time.perf_counter()
dry = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--cores", str(args.cores),
                      "--forceall", "--nolock", "--config", f"study={args.study}"],
                     cwd=ROOT, capture_output=True, text=True, check=True)
dag = time.perf_counter() - t
jobs = {m[0]: int(m[1]) for m in re.findall(r"^(allocate|simulate)\s+(\d+)$", dry.stdout, re.M)}
wall = sum(n * cost[rule] for rule, n in jobs.items()) / args.cores
print(f"study {args.study}: {jobs} from clean; dry run (DAG) {dag:.1f} s; their start-ups alone "
      f"≈ {wall:.0f} s wall on {args.cores} cores (" + " + ".join(f"{n} × {cost[r]:.2f} s" for r, n in jobs.items()) + f") / {args.cores}")
