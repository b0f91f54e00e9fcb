"""Benchmark: a whole study from a clean data/ in a temporary copy of the workflow.

Prints the wall time from clean, per-job wall time and peak memory (Snakemake `benchmark:` files),
and the wall time of an immediate no-op rerun. Targets for `paper` with 3 seeds: ≤ 5 min from
clean, ≤ 2 GB peak per job, no-op rerun ≤ 5 s (the published code: ~32 min and 18 GB for one seed).
Usage: .venv/bin/python benchmarks/study_run.py [--study paper] [--cores 2] [--keep DIR]
"""

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from pipeline import copy_workflow  # noqa: E402  (the workflow's files, as the test suite copies them)

parser = argparse.ArgumentParser()
parser.add_argument("--study", default="paper")
parser.add_argument("--cores", default="2")
parser.add_argument("--keep", help="run in this folder and keep it (default: a temporary folder)")
args = parser.parse_args()

work = Path(args.keep or tempfile.mkdtemp(prefix="cisim-bench-"))
work.mkdir(parents=True, exist_ok=True)
if not (work / "Snakefile").exists():  # --keep DIR: a second run reuses the copy
    copy_workflow(work)
cmd = [sys.executable, "-m", "snakemake", "--cores", args.cores, "--config", f"study={args.study}"]


def timed(extra=()):
    t = time.perf_counter()
    proc = subprocess.run([*cmd, *extra], cwd=work, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    return time.perf_counter() - t


print(f"machine: {describe()}")
clean = timed()
noop = timed()
rows = []
for tsv in sorted((work / "logs" / args.study / "benchmark").rglob("*.tsv")):
    with open(tsv) as f:
        rec = next(csv.DictReader(f, delimiter="\t"))
    rows.append((tsv.parent.name, tsv.stem, float(rec["s"]), float(rec["max_rss"])))
for rule in sorted({r[0] for r in rows}):
    sel = [r for r in rows if r[0] == rule]
    worst = max(sel, key=lambda r: r[2])
    print(f"{rule:9s} jobs={len(sel):3d}  total {sum(r[2] for r in sel):7.1f} s  slowest {worst[2]:6.1f} s ({worst[1]})  "
          f"peak memory {max(r[3] for r in sel):6.0f} MB")
print(f"study {args.study}: {clean:.1f} s from clean with --cores {args.cores}; no-op rerun {noop:.1f} s")
if not args.keep:
    shutil.rmtree(work)
