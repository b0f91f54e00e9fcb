"""End to end: the tiny study through Snakemake (allocate → simulate → gather → report), reruns, lint.

Runs in a temporary copy of the workflow so the checkout's data/ and reports/ are untouched.
Marked slow; `make test` (CI) runs it.
"""

from collections import Counter

import pytest
import xarray as xr

from .pipeline import clone, planned_jobs, smk
from .twins import differences

pytestmark = pytest.mark.slow


def dry_run(workdir, *config) -> Counter:
    return planned_jobs(smk(workdir, "-n", "--config", "study=tiny", *config).stdout)


@pytest.fixture(scope="module")
def tiny_run(tiny_study, tmp_path_factory):
    return clone(tiny_study, tmp_path_factory.mktemp("tiny"))


def test_tiny_study_runs_end_to_end(tiny_run):
    summary = xr.load_dataset(tiny_run / "data/tiny/summary.nc")
    assert summary.sizes["point"] == 5 and summary.sizes["seed"] == 3
    assert set(summary.grid.values) == {"main", "scaling"}
    # z = 1, layer 1: the active circuit is computed exactly (docs/method.md §7.1)
    assert float(summary.mse_x_active.sel(n_active=1, layer=1).max()) < 1e-6
    assert (tiny_run / "reports/tiny/index.html").stat().st_size > 10_000
    assert list((tiny_run / "reports/tiny/figures").glob("*.png"))
    assert differences("tiny", tiny_run) == []  # the same numbers as recorded (tests/twins.py)


def test_report_zip_is_published_without_warnings(tiny_run):
    proc = smk(tiny_run, "--config", "study=tiny", "--report", "reports/tiny/report.zip")
    assert (tiny_run / "reports/tiny/report.zip").stat().st_size > 10_000
    output = proc.stdout + proc.stderr
    assert "Warning" not in output and "ERROR" not in output, output[-3000:]


def test_immediate_rerun_schedules_nothing(tiny_run):
    assert dry_run(tiny_run) == Counter()


def test_changing_one_sweep_parameter_reschedules_only_its_point(tiny_run):
    jobs = dry_run(tiny_run, "overrides=[sweep.grids.main.n_samples=300]")
    assert jobs["simulate"] == 1 and jobs["gather"] == 1 and jobs["allocate"] == 0
    assert set(jobs) <= {"simulate", "gather", "plot", "publish", "landing", "all"}


def test_snakemake_lint_is_clean(tiny_run):
    proc = smk(tiny_run, "--lint", "--config", "study=tiny", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
