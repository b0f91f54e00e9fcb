"""Benchmark: the CPU time Snakemake's own process spends per job it schedules.

Runs a study from clean in a temporary copy of the workflow until `--jobs` jobs have finished
(then stops it as Ctrl-C would, letting running jobs end), once per scheduler setting, and prints
the Snakemake process's own CPU time (`getrusage(RUSAGE_SELF)`: DAG, scheduling, bookkeeping; not
the jobs, which are child processes) per finished job. On 2 cores every CPU-second of that process
is a second a job does not get. Each round of job selection visits every ready job's inputs, and
each job lists its script's source files as inputs (workflow/rules/common.smk, `code_inputs`).
Usage: .venv/bin/python benchmarks/scheduler_cost.py [--study designs] [--jobs 150] [--cores 2]
"""

import argparse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe, load_average

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from pipeline import copy_workflow  # noqa: E402  (the workflow's files, as the test suite copies them)

SETTINGS = {  # "--scheduler-subsample 0" undoes the default profile's sampling
    "ilp (Snakemake's default)": ["--scheduler-subsample", "0"],
    "greedy": ["--scheduler", "greedy", "--scheduler-subsample", "0"],
    **{f"ilp, {n} ready jobs sampled": ["--scheduler-subsample", str(n)] for n in (32, 64)},
}
parser = argparse.ArgumentParser()
parser.add_argument("--study", default="designs")
parser.add_argument("--jobs", type=int, default=150)
parser.add_argument("--cores", default="2")
parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
parser.add_argument("--profile", action="store_true", help="also print the Snakemake process's cProfile (CPU time)")
args = parser.parse_args()

RUN = """
import cProfile, io, pstats, resource, sys, time
from snakemake.cli import main
mode, sys.argv = sys.argv[1], ["snakemake", *sys.argv[2:]]
prof = cProfile.Profile(time.process_time)
if mode == "profile":
    prof.enable()
try:
    main()
except SystemExit:
    pass
prof.disable()
r = resource.getrusage(resource.RUSAGE_SELF)
print(f"CPU {r.ru_utime + r.ru_stime:.2f}", file=sys.stderr)
if mode == "profile":
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(r"scheduling|dag.py", 12)
    print(out.getvalue(), file=sys.stderr)
"""


def run(extra):
    work = copy_workflow(Path(tempfile.mkdtemp(prefix="cisim-sched-")))
    log = open(work / "snakemake.log", "w+")
    t = time.perf_counter()
    mode = "profile" if args.profile else "plain"
    proc = subprocess.Popen([sys.executable, "-c", RUN, mode, "--cores", args.cores, "--config", f"study={args.study}",
                             *extra], cwd=work, stdout=log, stderr=subprocess.STDOUT)
    while proc.poll() is None:
        time.sleep(0.5)
        if len(re.findall(r"^Finished jobid", (work / "snakemake.log").read_text(), re.M)) >= args.jobs:
            proc.send_signal(signal.SIGTERM)  # Snakemake waits for running jobs, then exits
            proc.wait(timeout=300)
    wall = time.perf_counter() - t
    log.close()
    text = (work / "snakemake.log").read_text()
    if args.profile:
        print(text[text.rindex("CPU "):].split("\n", 1)[1])
    shutil.rmtree(work)
    jobs = len(re.findall(r"^Finished jobid", text, re.M))
    return jobs, wall, float(re.findall(r"^CPU ([\d.]+)$", text, re.M)[-1])


print(f"machine: {describe()}; load average {load_average()}")
for name in args.settings:
    jobs, wall, cpu = run(SETTINGS[name])
    print(f"  {name:<28} {jobs} jobs in {wall:6.1f} s; Snakemake's own CPU {cpu:6.1f} s = "
          f"{cpu / jobs:.2f} s per job; load average {load_average()}")
