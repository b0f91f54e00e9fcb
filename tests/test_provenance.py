"""Every data file proves which config made it; failures keep what was good; studies side by side.

docs/reliability.md lists the guarantees and names the test guarding each. Workflow tests clone the
session's finished tiny study (tests/conftest.py) instead of running it again.
"""

import errno
import hashlib
import json
import os
import shlex
import shutil
import stat
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from cisim import config, datasets, files
from cisim.pages import landing

from .pipeline import clone, copy_workflow, smk

POINT = {"grid": "main", "design": "baseline", "allocation": "prime_step", "d_model": 400, "n_circuits": 80,
         "redundancy": 6, "n_layers": 2, "chi_scale": 1.0}
METRICS = ("mse_x_active", "false_on_rate", "nonfinite_count")


def fake_run(point: dict, label: str, n_samples: int, n_trajectories: int | None, seeds=(0,), zs=(1, 2)) -> xr.Dataset:
    """A run dataset as `simulate` writes it, from hand-made results: trajectories stored for the
    first min(n_samples, 5) samples, as cisim.simulate.run stores them with sim.n_trajectories = 5."""
    L = point["n_layers"]
    stored = min(n_samples, 5)
    results = {(s, z): SimpleNamespace(
        metrics={**{m: np.full(L + 1, 0.01 * z) for m in METRICS}, "active_fraction": np.full((L + 1, 4), 0.1)},
        x_true=np.ones((stored, L + 1, 2)), x_est=np.ones((stored, L + 1, 2)), n_samples=n_samples)
        for s in seeds for z in zs}
    diagnostics = {s: {"max_overlap": 1, "mean_squared_overlap": 0.1, "mean_squared_overlap_formula": 0.1, "load_min": 1, "load_max": 2}
                   for s in seeds}
    attrs = datasets.provenance(config.to_json({"point": point, "n_samples": n_samples}), rule="simulate")
    return datasets.run_to_dataset(point, label, results, diagnostics, attrs, n_trajectories)


# ---------------------------------------------------------------- in-process
def test_points_with_fewer_samples_than_n_trajectories_combine(tmp_path):
    """A point with 3 samples next to one with 10 (sim.n_trajectories = 5): the trajectory dimension
    is n_trajectories long in every run file (NaN = no sample), so gather's combine works; files
    written with their own lengths (before the padding) are padded when gathered."""
    few, many = {**POINT, "n_circuits": 20}, POINT
    for padded in (True, False):
        paths = [tmp_path / f"{padded}-{label}.nc" for label in ("few", "many")]
        for path, point, n in zip(paths, (few, many), (3, 10)):
            datasets.write(fake_run(point, path.stem, n, 5 if padded else None), path)
        summary = datasets.gather(paths)
        assert summary.sizes["trajectory"] == 5
        rows = summary.x_true.sel(point=paths[0].stem).isnull().all(["seed", "n_active", "layer", "component"]).values
        assert rows.tolist() == [False, False, False, True, True]
        assert not bool(summary.x_est.sel(point=paths[1].stem).isnull().any())


@pytest.mark.parametrize("n_trajectories", [5, None])
def test_the_netcdf4_run_writer_gives_the_file_xarray_writes(tmp_path, n_trajectories):
    """`write_run` (no xarray in the job) and `write(run_to_dataset(...))` give files that read back
    identical (values, dtypes, coordinates, attributes), for real results with the noise
    correlations' extra metrics and NaN trajectory rows (a z with fewer samples than trajectories)."""
    from cisim import construction, simulate

    from .conftest import tiny_spec

    spec = tiny_spec()
    circuits, network = construction.build(spec, seed=0)
    point = {**POINT, "d_model": spec.d_model, "n_circuits": spec.n_circuits, "redundancy": spec.redundancy, "n_layers": spec.n_layers}
    results = {(s, z): simulate.run(network, circuits, simulate.sample_inputs(spec.n_circuits, z, 3 + z, np.random.default_rng([s, z])),
                                    batch_size=128, noise=True, n_trajectories=5)
               for s in (0, 1) for z in (1, 2)}
    diagnostics = {s: {"max_overlap": 2, "mean_squared_overlap": 0.1, "mean_squared_overlap_formula": 0.12, "load_min": 1, "load_max": 3}
                   for s in (0, 1)}
    attrs = datasets.provenance(config.to_json({"point": point}), rule="simulate")
    args = (point, "g-real", results, diagnostics, attrs, n_trajectories)
    datasets.write(datasets.run_to_dataset(*args), tmp_path / "xarray.nc")
    datasets.write_run(*args, tmp_path / "netcdf4.nc")
    a, b = (xr.load_dataset(tmp_path / f"{name}.nc") for name in ("xarray", "netcdf4"))
    assert a.identical(b)
    assert {k: v.dtype for k, v in a.variables.items()} == {k: v.dtype for k, v in b.variables.items()}
    assert int(a.x_true.isnull().any("component").sum()) > 0  # NaN rows: fewer samples than trajectories
    assert datasets.gather([tmp_path / "xarray.nc"]).identical(datasets.gather([tmp_path / "netcdf4.nc"]))


def test_a_simulate_job_reads_and_writes_without_xarray(tmp_path):
    """The job's file work (`read_allocations`, `write_run`) runs on netCDF4 alone: importing xarray
    and pandas would cost each of a study's hundreds of jobs most of a second."""
    import subprocess
    import sys

    code = f"""
import sys
from types import SimpleNamespace
import numpy as np
from cisim import config, datasets
point = {POINT!r}
attrs = datasets.provenance(config.to_json({{"point": point}}), rule="allocate")
datasets.write_allocations({{0: {{"main": np.zeros((80, 6), int)}}}}, {{0: {{"main": dict(max_overlap=1, mean_squared_overlap=0.1,
    mean_squared_overlap_formula=0.1, load_min=1, load_max=2)}}}}, attrs, {str(tmp_path / "a.nc")!r})
allocations = datasets.read_allocations({str(tmp_path / "a.nc")!r}, attrs["config_sha256"])
assert allocations[0]["main"].shape == (80, 6)
r = SimpleNamespace(metrics={{"mse_x_active": np.zeros(3), "nonfinite_count": np.zeros(3, int), "active_fraction": np.zeros((3, 4))}},
                    x_true=np.zeros((1, 3, 2)),
                    x_est=np.zeros((1, 3, 2)), n_samples=1)
datasets.write_run(point, "p", {{(0, 1): r}}, {{0: dict(max_overlap=1, mean_squared_overlap=0.1, mean_squared_overlap_formula=0.1,
                   load_min=1, load_max=2)}}, attrs, None, {str(tmp_path / "r.nc")!r})
print("xarray" in sys.modules, "pandas" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
    assert float(xr.load_dataset(tmp_path / "r.nc").mse_x_active.sum()) == 0.0


def test_a_damaged_allocation_file_is_refused_in_one_line(tmp_path):
    """Zeroed bytes inside an allocation file (it opens, a variable fails to read) or a truncated one:
    one DataError naming the file and the rule that rebuilds it, never a bare netCDF error; a run
    variable the netCDF4 writer cannot store as xarray would is refused before any file exists."""
    attrs = datasets.provenance(config.to_json({"point": POINT}), rule="allocate")
    path = tmp_path / "a.nc"
    rng = np.random.default_rng(0)
    summary = dict(max_overlap=1, mean_squared_overlap=0.1, mean_squared_overlap_formula=0.1, load_min=1, load_max=2)
    datasets.write_allocations({0: {"main": rng.integers(400, size=(20000, 6))}}, {0: {"main": summary}}, attrs, path)
    assert datasets.read_allocations(path, attrs["config_sha256"])[0]["main"].shape == (20000, 6)
    good = path.read_bytes()
    for damaged in (good[: len(good) // 2] + bytes(4096) + good[len(good) // 2 + 4096 :], good[: len(good) // 3]):
        path.write_bytes(damaged)
        with pytest.raises(datasets.DataError, match=r"a\.nc is unreadable .*rule 'allocate' rebuilds it") as e:
            datasets.read_allocations(path, attrs["config_sha256"])
        assert "\n" not in str(e.value)
    flagged = SimpleNamespace(metrics={"nonfinite_count": np.zeros(3, int), "flags": np.zeros(3, bool), "active_fraction": np.zeros((3, 4))},
                              x_true=np.zeros((1, 3, 2)), x_est=np.zeros((1, 3, 2)), n_samples=1)
    with pytest.raises(TypeError, match="'flags' has dtype bool"):  # xarray would store it as int8 with a flag: not written alike
        datasets.write_run(POINT, "p", {(0, 1): flagged}, {0: summary}, attrs, None, tmp_path / "r.nc")
    assert not (tmp_path / "r.nc").exists()


def test_a_file_made_from_other_params_is_refused_in_one_line_with_its_rebuild_command(tmp_path):
    path = tmp_path / "data/tiny/runs/main.nc"
    ds = fake_run(POINT, "main", 10, 5)
    datasets.write(ds, path)
    run_config = {"study": "tiny", "overrides": ["sim.seeds=[0,1]"]}
    assert datasets.read_run(path, ds.attrs["config_sha256"], run_config).attrs["config_sha256"] == ds.attrs["config_sha256"]
    other = datasets.config_sha256(config.to_json({"point": POINT, "n_samples": 300}))
    with pytest.raises(datasets.DataError) as e:
        datasets.read_run(path, other, run_config)
    line = str(e.value)
    assert "\n" not in line and str(path) in line and "'simulate'" in line
    assert line.endswith(f"""rebuild it: snakemake --config study=tiny 'overrides=["sim.seeds=[0,1]"]' --forcerun {path}""")
    with pytest.raises(datasets.DataError, match="forcerun"):
        datasets.gather([path], expected_sha256={path: other})
    # the hash a rule expects is the hash provenance stores for the same JSON
    assert datasets.provenance('{"a": 1}')["config_sha256"] == hashlib.sha256(b'{"a": 1}').hexdigest() == datasets.config_sha256('{"a": 1}')


@contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_an_allocation_file_round_trips_without_xarray_on_the_writing_side(tmp_path):
    """`write_allocations` (netCDF4 alone, so an allocate job skips importing xarray) writes what
    `read_allocations` reads back exactly, with the provenance attributes and variable names."""
    from cisim import construction

    spec = construction.NetworkSpec(d_model=400, n_circuits=40, redundancy=6, n_layers=3, design="redundant_indicators",
                                    design_options={"k": 3, "embedding": "independent"}, allocation="transversal")
    allocations = {seed: construction.allocate(spec, seed) for seed in (0, 3)}
    summaries = {seed: {name: {"max_overlap": 2.0, "mean_squared_overlap": 0.5 + seed, "mean_squared_overlap_formula": 0.25,
                               "load_min": 1.0, "load_max": np.nan} for name in alloc} for seed, alloc in allocations.items()}
    cfg = '{"allocation": "transversal"}'
    path = tmp_path / "alloc.nc"
    datasets.write_allocations(allocations, summaries, datasets.provenance(cfg, rule="allocate"), path)
    back = datasets.read_allocations(path, expected_sha256=datasets.config_sha256(cfg))
    assert back.keys() == allocations.keys()
    for seed in allocations:
        for name, a in allocations[seed].items():
            assert np.array_equal(back[seed][name], a) and back[seed][name].dtype == np.int64
    ds = xr.load_dataset(path)
    assert float(ds[f"mean_squared_overlap_{name}"].sel(seed=3)) == 3.5 and np.isnan(ds[f"load_max_{name}"]).all()
    assert ds[f"allocation_{name}"].dims == ("seed", "circuit", "slot") and ds.attrs["snakemake_rule"] == "allocate"


def test_written_files_respect_the_umask(tmp_path):
    """As open() creates files: 0o666 minus the umask (tempfile.mkstemp would give 0600)."""
    ds = fake_run(POINT, "main", 10, 5)
    for mask in (0o002, 0o022, 0o077):
        with umask(mask):
            datasets.write(ds, tmp_path / f"run-{mask:o}.nc")
            files.publish_page(tmp_path / f"page-{mask:o}.html.sha256", "<html></html>")
        for name in (f"run-{mask:o}.nc", f"page-{mask:o}.html", f"page-{mask:o}.html.sha256"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask, name


def test_a_full_disk_or_a_refused_permission_is_named_and_the_old_file_kept(tmp_path, monkeypatch):
    ds = fake_run(POINT, "main", 10, 5)
    path, page = tmp_path / "runs/main.nc", tmp_path / "pages/index.html"
    datasets.write(ds, path)
    files.publish_page(f"{page}.sha256", "good page")
    before = path.read_bytes()

    def fail(error):
        def raiser(*args, **kwargs):
            raise error
        return raiser

    with monkeypatch.context() as m:  # netCDF reports a full disk with its own error code
        m.setattr(xr.Dataset, "to_netcdf", fail(RuntimeError("NetCDF: HDF error")))
        m.setattr(files.shutil, "disk_usage", lambda _: SimpleNamespace(total=100, used=100, free=0))
        with pytest.raises(files.WriteError, match=f"cannot write {path}: no space left on device"):
            datasets.write(ds, path)
    with monkeypatch.context() as m:  # a library error with space to spare is not put down to the disk
        m.setattr(xr.Dataset, "to_netcdf", fail(RuntimeError("NetCDF: HDF error")))
        with pytest.raises(RuntimeError, match="HDF error"):
            datasets.write(ds, path)
    with monkeypatch.context() as m:
        m.setattr(Path, "write_bytes", fail(OSError(errno.ENOSPC, "No space left on device")))
        with pytest.raises(files.WriteError, match=f"cannot write {page}: no space left on device"):
            files.publish_page(f"{page}.sha256", "new page")
    with monkeypatch.context() as m:  # the folder refuses the temporary file (a test as root cannot chmod its way there)
        m.setattr(files.os, "open", fail(PermissionError(errno.EACCES, "Permission denied", str(path.parent / ".main.nc.1.tmp"))))
        with pytest.raises(files.WriteError) as e:
            datasets.write(ds, path)
        assert str(e.value) == f"cannot write {path}: permission denied ({path.parent})"
    assert path.read_bytes() == before and page.read_text() == "good page"
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_landing_page_lists_every_study_folder_with_a_page(tmp_path):
    for study, pages in {"tiny": ["index.html"], "designs_tiny": ["index.html", "designs/index.html"], "half": ["figures/a.png"]}.items():
        for name in pages:
            (tmp_path / study / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / study / name).write_text("page")
    with ThreadPoolExecutor(2) as pool:  # two studies refreshing at once: one after the other (flock)
        list(pool.map(lambda s: landing.refresh(tmp_path, tmp_path / s / ".landing"), ["tiny", "designs_tiny"]))
    html = (tmp_path / "index.html").read_text()
    assert 'href="tiny/index.html"' in html and 'href="designs_tiny/designs/index.html"' in html and "half" not in html
    line = (tmp_path / "tiny/.landing").read_text()
    assert line.split()[0] == hashlib.sha256((tmp_path / "index.html").read_bytes()).hexdigest()


# ---------------------------------------------------------------- workflow (clones of the tiny study)
def failure_lines(proc, *words) -> list[str]:
    return [line for line in (proc.stdout + proc.stderr).splitlines() if all(w in line for w in words)]


@pytest.mark.slow
def test_gather_refuses_a_run_file_made_from_other_params(tmp_path, tiny_study):
    """Untouched run files check out (the tiny study itself gathered them, and the last gather
    below checks them again); one replaced by another point's file is refused."""
    wd = clone(tiny_study, tmp_path / "swapped")
    runs = sorted((wd / "data/tiny/runs").glob("*.nc"))
    source = next(p for p in runs if p.name.startswith("main-"))
    target = next(p for p in runs if p.name.startswith("scaling-") and "T20" in p.name)
    shutil.copy(source, target)  # the right name, another point's params
    proc = smk(wd, "gather", "--config", "study=tiny", check=False)
    assert proc.returncode != 0
    rel = target.relative_to(wd).as_posix()
    command = f"snakemake --config study=tiny --forcerun {rel}"
    lines = failure_lines(proc, "DataError", rel, command)
    assert lines and lines[0].endswith(command), (proc.stdout + proc.stderr)[-3000:]
    # the command named rebuilds the file (here only up to gather: the pages are tested elsewhere)
    smk(wd, *shlex.split(command)[1:], "--until", "gather")
    assert xr.load_dataset(wd / "data/tiny/summary.nc").sizes["point"] == 5


@pytest.mark.slow
def test_simulate_refuses_an_allocation_file_made_from_other_params(tmp_path, tiny_study):
    wd = clone(tiny_study, tmp_path / "allocation")
    path = next((wd / "data/tiny/allocations").glob("*T20*.nc"))
    ds = xr.load_dataset(path)
    params = json.loads(ds.attrs["config_json"])
    other = config.to_json({**params, "seeds": params["seeds"][:1]})  # e.g. made with fewer seeds
    ds.attrs.update(config_json=other, config_sha256=datasets.config_sha256(other))
    datasets.write(ds, path)
    proc = smk(wd, "gather", "--config", "study=tiny", check=False)
    rel = path.relative_to(wd).as_posix()
    assert proc.returncode != 0
    assert failure_lines(proc, "DataError", rel, "'allocate'", f"--forcerun {rel}"), (proc.stdout + proc.stderr)[-3000:]


@pytest.mark.slow
def test_a_failing_publish_keeps_the_last_good_page(tmp_path, tiny_study):
    """publish fails (here: its summary is unreadable, mtime kept so only the forced publish runs):
    the page is the previous one, byte for byte; only its receipt is gone, so the next run retries."""
    wd = clone(tiny_study, tmp_path / "publish")
    page, receipt, summary = wd / "reports/tiny/index.html", wd / "reports/tiny/index.html.sha256", wd / "data/tiny/summary.nc"
    good, data, times = page.read_bytes(), summary.read_bytes(), summary.stat()
    summary.write_bytes(data[: len(data) // 3])
    os.utime(summary, ns=(times.st_atime_ns, times.st_mtime_ns))
    proc = smk(wd, "--config", "study=tiny", "--forcerun", "publish", check=False)
    assert proc.returncode != 0 and failure_lines(proc, "DataError", "data/tiny/summary.nc")
    assert page.read_bytes() == good and not receipt.exists()
    assert not list(page.parent.glob(".*.tmp"))
    summary.write_bytes(data)
    os.utime(summary, ns=(times.st_atime_ns, times.st_mtime_ns))
    smk(wd, "--config", "study=tiny")  # the missing receipt reschedules publish (and the landing page)
    assert receipt.read_text() == f"{hashlib.sha256(page.read_bytes()).hexdigest()}  index.html\n"
    assert (wd / "reports/tiny/.landing").exists() and 'href="tiny/index.html"' in (wd / "reports/index.html").read_text()


def planned_files(workdir, study) -> tuple[set, set]:
    """(outputs and logs, inputs) of every job a dry run of `study` schedules in a fresh copy."""
    out = smk(workdir, "-n", "--config", f"study={study}").stdout
    written, read = set(), set()
    for kind, paths in ((k, v) for k, v in (line.strip().split(": ", 1) for line in out.splitlines()
                                            if line.strip().startswith(("input: ", "output: ", "log: ", "benchmark: ")))):
        (read if kind == "input" else written).update(paths.split(", "))
    return written, read


@pytest.mark.slow
def test_two_studies_write_disjoint_files(tmp_path):
    """Snakemake locks the files a run writes; two studies in one checkout run side by side when
    neither writes a file the other writes or reads. The landing page is no study's output."""
    wd = copy_workflow(tmp_path / "two")
    with ThreadPoolExecutor(2) as pool:
        (tiny_w, tiny_r), (pp_w, pp_r) = pool.map(lambda s: planned_files(wd, s), ["tiny", "pingpong_tiny"])
    assert tiny_w and pp_w
    assert not tiny_w & (pp_w | pp_r) and not pp_w & (tiny_w | tiny_r)
    assert "reports/index.html" not in tiny_w | pp_w
    assert all(p.split("/")[1] == "tiny" for p in tiny_w) and all(p.split("/")[1] == "pingpong_tiny" for p in pp_w)
