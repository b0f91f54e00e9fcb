"""End to end: the tiny study through Snakemake (allocate → simulate → gather → report), reruns, lint.

Runs in a temporary copy of the workflow so the checkout's data/ and reports/ are untouched.
Marked slow; `make test` (CI) runs it.
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
pytestmark = pytest.mark.slow


def copy_workflow(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for item in ("Snakefile", "conf", "workflow", "profiles", "src", "environment.yml"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / item)
    return dest


def smk(workdir, *args, check=True):
    proc = subprocess.run([*SNAKEMAKE, "--cores", "2", *args], cwd=workdir, capture_output=True, text=True, timeout=600)
    if check and proc.returncode:
        raise AssertionError(proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc


def planned_jobs(workdir, *config) -> Counter:
    """Rule → number of jobs a dry run schedules (from Snakemake's 'Job stats' table)."""
    out = smk(workdir, "-n", "--config", "study=tiny", *config).stdout
    if "Nothing to be done" in out:
        return Counter()
    table = out.split("Job stats:")[1].split("\n\n")[0]
    return Counter({m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", table, re.M) if m[0] != "total"})


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("tiny"))
    smk(workdir, "--config", "study=tiny")
    return workdir


def test_tiny_study_runs_end_to_end(tiny_run):
    summary = xr.load_dataset(tiny_run / "data/tiny/summary.nc")
    assert summary.sizes["point"] == 5 and summary.sizes["seed"] == 3
    assert set(summary.grid.values) == {"main", "scaling"}
    # z = 1, layer 1: the active circuit is computed exactly (construction.md §5 sanity facts)
    assert float(summary.mse_x_active.sel(n_active=1, layer=1).max()) < 1e-6
    assert (tiny_run / "reports/tiny/index.html").stat().st_size > 10_000
    assert list((tiny_run / "reports/tiny/figures").glob("*.png"))


def test_report_zip_is_published(tiny_run):
    smk(tiny_run, "--config", "study=tiny", "--report", "reports/tiny/report.zip")
    assert (tiny_run / "reports/tiny/report.zip").stat().st_size > 10_000


def test_immediate_rerun_schedules_nothing(tiny_run):
    assert planned_jobs(tiny_run) == Counter()


def test_changing_one_sweep_parameter_reschedules_only_its_point(tiny_run):
    jobs = planned_jobs(tiny_run, "overrides=[sweep.grids.main.n_samples=300]")
    assert jobs["simulate"] == 1 and jobs["gather"] == 1 and jobs["allocate"] == 0
    assert set(jobs) <= {"simulate", "gather", "plot", "publish", "landing", "all"}


def test_editing_a_construction_source_file_reschedules_the_simulations(tiny_run):
    source = tiny_run / "src/cisim/construction/weights.py"
    original = source.read_text()
    try:
        source.write_text(original + "\n# an edit\n")
        jobs = planned_jobs(tiny_run)
        assert jobs["simulate"] == 5 and jobs["gather"] == 1
    finally:
        source.write_text(original)


def test_snakemake_lint_is_clean(tiny_run):
    proc = smk(tiny_run, "--lint", "--config", "study=tiny", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
