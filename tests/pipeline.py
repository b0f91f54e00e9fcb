"""Running the workflow for real, in temporary copies, so the checkout's data/ and reports/ stay untouched.

A copy runs its own `src/` (first on PYTHONPATH, ahead of the editable install), so edits made to
the copy are what its jobs import, and edits to the checkout while the suite runs change nothing.
`tiny_study` (tests/conftest.py) runs the tiny study once per session; tests that need a finished
run `clone` it instead of running it again.
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
ITEMS = ("Snakefile", "conf", "workflow", "profiles", "src", "environment.yml")
IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info")


def copy_workflow(dest: Path, src: Path = ROOT) -> Path:
    """The workflow's files (no data, reports or Snakemake state) copied to `dest`."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for item in ITEMS:
        path = Path(src) / item
        if path.is_dir():
            shutil.copytree(path, dest / item, ignore=IGNORE)
        elif path.is_file():
            shutil.copy2(path, dest / item)
    return dest


def clone(workdir: Path, dest: Path) -> Path:
    """A finished run's whole folder (outputs, logs, .snakemake metadata), modification times kept,
    so Snakemake sees the clone exactly as up to date as the original."""
    shutil.copytree(workdir, dest, symlinks=True, dirs_exist_ok=True)
    return Path(dest)


def environment(workdir: Path) -> dict:
    paths = [str(Path(workdir) / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def smk(workdir, *args, check=True, timeout=600, cores="2") -> subprocess.CompletedProcess:
    """`snakemake --cores 2 <args>` in `workdir` with the copy's own sources."""
    proc = subprocess.run([*SNAKEMAKE, "--cores", cores, *args], cwd=workdir, env=environment(workdir),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode:
        raise AssertionError(proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc


def planned_jobs(out: str) -> Counter:
    """Rule → number of jobs a dry run's output schedules (from Snakemake's 'Job stats' table)."""
    if "Nothing to be done" in out:
        return Counter()
    table = out.split("Job stats:")[1].split("\n\n")[0]
    return Counter({m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", table, re.M) if m[0] != "total"})


@contextmanager
def edited(path: Path, text: str):
    """`path` holds `text` (created if absent); afterwards its old content and mtime come back."""
    old = (path.read_text(), path.stat()) if path.exists() else None
    path.write_text(text)
    try:
        yield path
    finally:
        if old is None:
            path.unlink()
        else:
            path.write_text(old[0])
            os.utime(path, ns=(old[1].st_atime_ns, old[1].st_mtime_ns))  # Snakemake compares mtimes
