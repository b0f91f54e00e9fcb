"""Hardening: bad input, interrupted runs, determinism, corrupted data, numerical faults.

Every pipeline test runs Snakemake for real in a temporary copy of the workflow. docs/reliability.md
lists the guarantees and names the test guarding each.
"""

import os
from concurrent.futures import ThreadPoolExecutor
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from cisim import backend, config, datasets, metrics

from .pipeline import clone, copy_workflow, environment, smk

pytestmark = pytest.mark.slow
SMK = [sys.executable, "-m", "snakemake"]

# (override list, words the one-line error must contain)
BAD_INPUTS = [
    (["sim.foo=1"], ["sim.foo"]),  # unknown config key
    (["allocation=foo"], ["allocation/foo", "prime_step"]),  # unknown group option
    (["sim.batch_size=abc"], ["sim.batch_size", "abc", "Integer"]),  # wrong type
    (["sweep.grids.main.pairs=[[400,500]]"], ["n_circuits=500", "at most 86"]),  # above the allocator's capacity
    (["sweep.grids.main.redundancy=[101]"], ["redundancy=101", "n_blocks = 100"]),  # S > n_blocks
    (["sweep.grids.main.redundancy=[0]"], ["redundancy=0", ">= 1"]),  # S < 1 (the field's rule)
    (["sweep.grids.main.n_active=[81]"], ["n_active=81", "n_circuits = 80"]),  # z > T
    (["sweep.grids.main.n_active=[0]"], ["n_active=0", ">= 1"]),  # z < 1 (the field's rule)
    (["sweep.grids.main.pairs=[[402,50]]"], ["d_model=402", "multiple of the circuit width"]),
    (["sim.batch_size=0"], ["sim.batch_size=0", ">= 1"]),
    (["sim.n_samples=-5"], ["sim.n_samples=-5", ">= 1"]),
    (["sweep.grids.main.n_layers=[0]"], ["n_layers=0", ">= 1"]),
    (["sim.seeds=[]"], ["sim.seeds=[]", "non-empty"]),
    (["allocation=transversal", "allocation.q=10"], ["allocation.q=10", "prime power"]),
    (["sim.batch_size=="], ["sim.batch_size==", "parsing"]),  # malformed override
    (["backend=cupy"], ["backend.name='cupy'", "fallback_to_cpu"]),  # no GPU here
    (["+sim.foo=1"], ["sim.foo=1", "not a key of sim"]),  # an unknown key added with `+`
    (["sim.seeds=[-1]"], ["sim.seeds=-1", ">= 0"]),  # negative seed (numpy's SeedSequence)
    (["sweep.grids.main.n_active=[]"], ["sweep.grids.main.n_active=[]", "non-empty"]),  # empty sweep axis
    (["sweep.grids.main.n_samples=0"], ["sweep.grids.main.n_samples=0", ">= 1"]),  # 0 is refused, not replaced
    (["report.through_layer=5"], ["report.through_layer=5", "n_layers = 4"]),  # deeper than the scaling grid
    (["sim.n_samples=1000000000000"], ["sim.n_samples=1000000000000", "GiB"]),  # terabytes of inputs
    (["sim.max_point_hours=1e-6"], ["sweep.grids.main.n_samples=256", "h of one core", "sim.max_point_hours"]),  # too slow
    (["sim.seeds=[0", "1]"], ["sim.seeds=[0", "quote each override"]),  # an unquoted list, split by Snakemake
]


def overrides(*items) -> str:
    """The --config value carrying Hydra overrides: a YAML list of quoted strings."""
    return "overrides=[" + ",".join(f'"{o}"' for o in items) + "]"


def run(workdir, *args, timeout=600, cores="2"):
    return smk(workdir, *args, check=False, timeout=timeout, cores=cores)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("reliability"))


def test_bad_input_is_refused_in_one_line_naming_key_value_and_what_is_allowed():
    """The table above, through what the Snakefile runs before any job (workflow/rules/common.smk:
    compose, then the backend check), which prints `cisim: <message>` and exits non-zero."""
    failures = []
    for items, words in BAD_INPUTS:
        try:
            cfg = config.compose("tiny", items)
            backend.select(cfg["backend"]["name"], cfg["backend"]["fallback_to_cpu"])
        except (config.ConfigError, ValueError, RuntimeError) as e:
            line = f"cisim: {e}"
            if "\n" in line or not all(w in line for w in words):
                failures.append(f"{items}: {line}")
        else:
            failures.append(f"{items}: accepted")
    assert not failures, "\n".join(failures)


def test_bad_input_stops_snakemake_before_any_job_and_writes_nothing(workdir):
    """One case of each kind as a real Snakemake run (four at a time): schema, range, capacity,
    parse error. Non-zero exit, exactly one `cisim:` line, no data/ or reports/ written."""

    def check(case):
        items, words = case
        proc = run(workdir, "--config", "study=tiny", overrides(*items))
        errors = [l for l in proc.stderr.splitlines() if l.startswith("cisim:")]
        if proc.returncode == 0 or len(errors) != 1 or not all(w in errors[0] for w in words):
            return f"{items}: rc={proc.returncode} errors={errors or proc.stderr[-500:]}"
        return None

    cases = [BAD_INPUTS[i] for i in (0, 3, 6, 14)]
    with ThreadPoolExecutor(4) as pool:
        failures = [f for f in pool.map(check, cases) if f]
    assert not failures, "\n".join(failures)
    assert not (workdir / "data").exists() and not (workdir / "reports").exists()


def test_yaml_syntax_error_is_refused_in_one_line_with_file_line_and_column(tmp_path):
    """A hand-edited conf/ file with a YAML syntax error: one `cisim:` line naming file:line:col
    (not a traceback), non-zero exit, nothing written."""
    wd = copy_workflow(tmp_path / "yaml")
    conf = wd / "conf/sim/tiny.yaml"
    conf.write_text(conf.read_text().replace("batch_size: 256", "batch_size: [256"))
    proc = run(wd, "--config", "study=tiny")
    errors = [l for l in proc.stderr.splitlines() if l.startswith("cisim:")]
    assert proc.returncode != 0 and len(errors) == 1 and "tiny.yaml:" in errors[0] and "not valid YAML" in errors[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not (wd / "data").exists() and not (wd / "reports").exists()


def summary_of(workdir) -> xr.Dataset:
    return xr.load_dataset(workdir / "data/tiny/summary.nc")


def assert_same_numbers(a: xr.Dataset, b: xr.Dataset):
    """Bit-identical data variables: same config, seed, batch size, cores and machine."""
    assert set(a.data_vars) == set(b.data_vars)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)


def assert_numbers_agree(a: xr.Dataset, b: xr.Dataset):
    """Agreement within metrics.AGREEMENT: another batch size or core count (docs/reliability.md)."""
    assert set(a.data_vars) == set(b.data_vars)
    dev = metrics.deviation({v: a[v].values for v in a.data_vars}, {v: b[v].values for v in b.data_vars})
    assert dev["exact"] and dev["relative"] <= metrics.AGREEMENT["relative"] and dev["rate"] <= metrics.AGREEMENT["rate"], dev


@pytest.fixture(scope="module")
def reference(tiny_study):
    """One clean tiny run (--cores 2, sim.batch_size=256): the numbers every other run must reproduce."""
    return summary_of(tiny_study)


def test_same_config_same_numbers_across_clean_runs_cores_and_batch_sizes(tmp_path, reference):
    """A second clean run with --cores 1 and another internal batch size (128) agrees with the
    reference (--cores 2, sim.batch_size=256) within metrics.AGREEMENT; a run with the reference's
    settings is bit-identical (test_a_killed_simulation_reruns_to_identical_results)."""
    wd = copy_workflow(tmp_path / "cores1-batch128")
    proc = run(wd, "gather", "--config", "study=tiny", overrides("sim.batch_size=128"), cores="1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_numbers_agree(reference, summary_of(wd))


def test_a_killed_simulation_reruns_to_identical_results(tmp_path, tiny_study):
    # the finished tiny study with a larger main point: only that point reruns, and is killed inside `simulate`
    wd = clone(tiny_study, tmp_path / "killed")
    slow = overrides("sweep.grids.main.n_samples=12000")
    proc = subprocess.Popen([*SMK, "gather", "--cores", "2", "--config", "study=tiny", slow], cwd=wd, env=environment(wd),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = wd / "logs/tiny/simulate/main-baseline-prime_step-D400-T80-S6-L4.log"
    final = wd / "data/tiny/runs/main-baseline-prime_step-D400-T80-S6-L4.nc"
    before = final.stat().st_mtime_ns
    # wait for the simulation's first progress line (or for the run to end, which fails below)
    while proc.poll() is None and not (log.exists() and log.stat().st_mtime_ns > before and "samples/s" in log.read_text()):
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # the job wrote only to a temporary file: the old run file is untouched or gone, never half-written
    assert not final.exists() or final.stat().st_mtime_ns == before
    # Snakemake keeps its lock after a SIGKILL; `--unlock` is the documented recovery.
    assert run(wd, "--unlock", "--config", "study=tiny").returncode == 0
    again = run(wd, "gather", "--config", "study=tiny", slow)
    assert again.returncode == 0, again.stderr[-2000:]
    assert not list(final.parent.glob(".*.tmp"))
    rerun = summary_of(wd)
    assert int(rerun.n_samples.sel(point=final.stem).max()) == 12000
    # the killed point itself equals an uninterrupted run with the same settings
    clean = clone(tiny_study, tmp_path / "clean")
    assert run(clean, "gather", "--config", "study=tiny", slow).returncode == 0
    assert_same_numbers(summary_of(clean), rerun)


def test_truncated_or_foreign_run_file_is_named_with_the_rule_that_rebuilds_it(tmp_path, tiny_study):
    wd = clone(tiny_study, tmp_path / "corrupt")
    target = wd / "data/tiny/runs/scaling-baseline-prime_step-D400-T20-S6-L4.nc"
    for damage in ("truncate", "foreign"):
        if damage == "truncate":
            data = target.read_bytes()
            target.write_bytes(data[: len(data) // 3])
        else:
            xr.Dataset({"v": ("x", np.arange(3))}).to_netcdf(target)
        proc = run(wd, "gather", "--config", "study=tiny")
        assert proc.returncode != 0
        text = proc.stdout + proc.stderr
        assert "DataError" in text and str(target.relative_to(wd)) in text and "rule 'simulate' rebuilds it" in text


def test_gathered_dataset_is_checked_before_a_report_is_drawn(tmp_path):
    path = tmp_path / "summary.nc"
    xr.Dataset({"mse_x_active": ("point", [0.1])}, coords={"point": ["p"]}, attrs={"source": "cisim 0"}).to_netcdf(path)
    with pytest.raises(datasets.DataError, match="missing seed"):
        datasets.read_summary(path)


def test_diverging_setting_is_marked_in_the_dataset(tmp_path):
    wd = copy_workflow(tmp_path / "diverge")
    proc = run(wd, "gather", "--config", "study=tiny", overrides("design.chi_scale=-1e30"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    ds = summary_of(wd)
    assert int(ds.diverged.sum()) > 0
    bad = ds.nonfinite_count.sum(["seed", "n_active"]) > 0
    assert bool(np.isnan(ds.max_x_inactive.where(ds.nonfinite_count > 0)).all() | (ds.nonfinite_count == 0).all())
    assert bool(bad.any())
