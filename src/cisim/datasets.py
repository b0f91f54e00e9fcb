"""The only xarray/netCDF module: datasets in and out, provenance, atomic writes, checks.

Layout of a run file (one per simulation point, all its seeds and z values):

    dims    point (1), seed, n_active, layer, block, trajectory, component
    coords  point (label), grid, design, allocation, d_model, n_circuits, redundancy, n_layers,
            chi_scale, superposition_load (along point); seed; n_active; layer; block
    vars    the per-layer metrics of `cisim.metrics` (point, seed, n_active, layer),
            active_fraction and active_neurons (… layer, block), x_true / x_est (… trajectory, layer, component),
            allocation diagnostics (point, seed), n_samples and diverged (point, seed, n_active)
    attrs   provenance (config JSON and sha256, git commit and dirty flag, backend, versions),
            chi_convention (post or published: which circuit pairs χ balances, docs/reproduction.md),
            wall_time_seconds (total) and wall_times_json (per seed and z)

`gather` combines a study's run files with `xr.combine_by_coords` along `point`; it keeps each
run's config_sha256, git_commit and chi_convention as coordinates along `point`.

Provenance is checked, not only stored: a reader given the sha256 of the params JSON its rule
expects (`config_sha256`; `read_run`, `read_allocations`, `gather`) refuses a file made from other
params with one line naming the file and the command that rebuilds it (`rebuild_command`).
Writes go through `cisim.files.atomic`: a temporary file in the target folder, renamed into place,
so a killed job never leaves a truncated file under the final name; files get the permissions of a
normal open() (umask applies), and a full disk or a refused permission is named in one line.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shlex
import subprocess
from pathlib import Path

import numpy as np

from . import __version__
from .files import WriteError, atomic  # noqa: F401  (WriteError: what `write` raises, cause named)


class _Xarray:
    """xarray, imported on first use: importing it (with pandas) takes most of a second, and the
    `allocate` and `simulate` jobs, which read and write their files with netCDF4 alone
    (`write_allocations`, `read_allocations`, `write_run`), never need it."""

    def __getattr__(self, name):
        import xarray

        globals()["xr"] = xarray
        return getattr(xarray, name)


xr = _Xarray()

CONVENTIONS = "CF-1.12"
DEFAULT_CHI_CONVENTION = "post"  # what a run file without the attribute used (the only convention before it existed)

VARIABLES = {  # name: (long_name, units)
    "mse_x_active": ("mean squared error of the rotated vector (per rotation pair), active circuits", "1"),
    "mse_alpha_active": ("mean squared error of the on-indicator, active circuits", "1"),
    "mse_x_inactive": ("mean squared read-out of the rotated vector, inactive circuits", "1"),
    "mse_alpha_inactive": ("mean squared read-out of the on-indicator, inactive circuits", "1"),
    "max_x_active": ("worst-case error norm of the rotated vector, active circuits", "1"),
    "max_alpha_active": ("worst-case absolute error of the on-indicator, active circuits", "1"),
    "max_x_inactive": ("worst-case read-out norm of the rotated vector, inactive circuits", "1"),
    "max_alpha_inactive": ("worst-case absolute read-out of the on-indicator, inactive circuits", "1"),
    "false_on_rate": ("fraction of inactive circuits read as on (alpha > 0.5)", "1"),
    "false_off_rate": ("fraction of active circuits read as off (alpha < 0.5)", "1"),
    "failed_rotation_rate": ("fraction of active circuits with vector error >= 1", "1"),
    "nonfinite_count": ("number of NaN or Inf activations", "1"),
    "active_fraction": ("fraction of large-network neurons above 1e-4", "1"),
    "active_neurons": ("mean number of large-network neurons above 1e-4 per sample", "1"),
    "any_false_on_rate": ("fraction of samples with at least one inactive circuit read as on", "1"),
    "any_false_off_rate": ("fraction of samples with at least one active circuit read as off", "1"),
    "seizure_rate": ("fraction of samples with at least one circuit read as on or off wrongly", "1"),
    "copy_correlation": ("correlation of the indicator copies' read-out errors, inactive circuits", "1"),
    "neuron_correlation": ("correlation of the indicator errors on the S neurons of one copy, inactive circuits", "1"),
    "decision_false_on_rate": ("fraction of the children an on parent passed over that are read as on", "1"),
    "interference_false_on_rate": ("fraction of the other inactive circuits read as on", "1"),
    "decision_false_on_share": ("fraction of the circuits read as on wrongly that an on parent passed over", "1"),
    "x_true": ("true rotated vector of the first active circuit", "1"),
    "x_est": ("read-out of the rotated vector of the first active circuit", "1"),
    "n_samples": ("number of sampled forward passes", "1"),
    "diverged": ("1 if any activation was NaN or Inf at any layer", "1"),
    "max_overlap": ("largest number of positions two circuits share", "1"),
    "mean_squared_overlap": ("measured E[(X/S)^2] over distinct circuit pairs", "1"),
    "mean_squared_overlap_formula": ("(T S/n - 1)/(S (T - 1)) for an even overlap-1 design", "1"),
    "load_min": ("fewest circuits on a used neuron", "1"),
    "load_max": ("most circuits on a neuron", "1"),
}
COORDS = {
    "point": ("simulation point: grid and network", ""),
    "grid": ("sweep grid the point belongs to", ""),
    "design": ("large-network design", ""),
    "allocation": ("neuron allocation (allocator)", ""),
    "d_model": ("large-network width D", "1"),
    "n_circuits": ("number of small circuits T", "1"),
    "redundancy": ("large neurons per small-circuit neuron S", "1"),
    "n_layers": ("weight layers L", "1"),
    "chi_scale": ("scale factor on the suppression constant chi", "1"),
    "chi_convention": ("circuit pairs chi balances: post (t != u) or published (t < u)", ""),
    "superposition_load": ("T (d/D)^2", "1"),
    "seed": ("random seed", "1"),
    "n_active": ("active circuits per forward pass z", "1"),
    "layer": ("activation layer", "1"),
    "block": ("neuron block (small-circuit neuron index)", "1"),
}
POINT_COORDS = ("grid", "design", "allocation", "d_model", "n_circuits", "redundancy", "n_layers", "chi_scale", "superposition_load")
REQUIRED_SUMMARY_COORDS = ("point", "seed", "n_active", "layer", *POINT_COORDS)


class DataError(RuntimeError):
    """A data file is unreadable or not what the pipeline expects (one line, names the file)."""


def git_state(repo: Path) -> tuple[str, int]:
    """(commit, dirty 0/1) of the repository holding the code, or ("unknown", 1)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo, capture_output=True, text=True, check=True).stdout
        return commit, int(bool(dirty.strip()))
    except (OSError, subprocess.CalledProcessError):
        return "unknown", 1


def config_sha256(config_json: str) -> str:
    """The hash a file's provenance stores for the params JSON its job received (hex sha256 of the
    UTF-8 text). Rules compute the hash they expect with this same function (workflow/rules/provenance.smk)."""
    return hashlib.sha256(config_json.encode()).hexdigest()


def rebuild_command(path, run_config: dict | None = None) -> str:
    """The command that rebuilds `path` with the run's `--config` (study, overrides) and then
    everything downstream of it: `snakemake --config study=tiny --forcerun data/tiny/runs/<point>.nc`.
    run_config: the workflow's config dict (`snakemake.config` in a job script)."""
    run_config = run_config or {}
    entries = []
    if "study" in run_config:
        entries.append(f"study={run_config['study']}")
    overrides = run_config.get("overrides") or []
    if overrides:
        items = [overrides] if isinstance(overrides, str) else list(overrides)
        entries.append(shlex.quote("overrides=[" + ",".join(json.dumps(str(o)) for o in items) + "]"))
    config = f" --config {' '.join(entries)}" if entries else ""
    return f"snakemake{config} --forcerun {path}"


def check_made_from(attrs: dict, path, rule: str, expected_sha256: str | None, run_config: dict | None = None) -> None:
    """Refuse a file whose stored config_sha256 (in its global `attrs`) is not the hash of the params
    its rule expects now (a file copied in, synced from another run, or left by `--rerun-triggers
    mtime`): one-line DataError naming the file and the command that rebuilds it. expected_sha256
    None: no check."""
    if expected_sha256 is None:
        return
    stored = attrs.get("config_sha256")
    if stored != expected_sha256:
        found = f"config_sha256 {stored[:12]}" if stored else "no config_sha256"
        raise DataError(f"{path} was made from other '{rule}' params than this run's ({found}, expected {expected_sha256[:12]}); "
                        f"rebuild it: {rebuild_command(path, run_config)}")


def provenance(config_json: str, backend: str = "numpy", rule: str = "") -> dict:
    """netCDF-safe provenance attributes (str and numbers only)."""
    commit, dirty = git_state(Path(__file__).resolve().parents[2])
    return {
        "Conventions": CONVENTIONS,
        "source": f"cisim {__version__}",
        "references": "Linsefors & Bushnaq, Rotations in Superposition (2025)",
        "config_json": config_json,
        "config_sha256": config_sha256(config_json),
        "git_commit": commit,
        "git_dirty": dirty,
        "backend": backend,
        "numpy_version": np.__version__,
        "xarray_version": importlib.metadata.version("xarray"),
        "snakemake_rule": rule,
    }


def _annotate(ds: xr.Dataset) -> xr.Dataset:
    for name, (long_name, units) in {**VARIABLES, **COORDS}.items():
        if name in ds.variables:
            ds[name].attrs.update(long_name=long_name, **({"units": units} if units else {}))
    return ds


def write(ds: xr.Dataset, path: str | os.PathLike) -> None:
    """Write netCDF atomically (`cisim.files.atomic`): a temporary file in the same folder, created
    like open() creates files (umask applies), renamed into place; WriteError names a full disk
    ("no space left on device") or a refused permission with the file."""
    encoding = {v: {"zlib": True, "complevel": 4} for v in ds.data_vars if ds[v].dtype.kind in "fiu"}
    with atomic(path) as tmp:
        # netCDF writes into the existing empty file: it keeps the mode `atomic` created it with.
        ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)


def read(path: str | os.PathLike, rule: str, required: tuple = ()) -> xr.Dataset:
    """Load a pipeline file, failing with one line that names the file and the rule rebuilding it."""
    try:
        ds = xr.load_dataset(path, engine="netcdf4")
    except Exception as e:  # netCDF4 raises OSError/RuntimeError/ValueError for truncated files
        raise _unreadable(path, rule, e) from None
    _check_cisim_file(path, rule, ds.attrs, ds.variables, required)
    return ds


def _unreadable(path, rule: str, error: Exception) -> DataError:
    return DataError(f"{path} is unreadable ({type(error).__name__}); delete it and rerun: rule '{rule}' rebuilds it")


def _check_cisim_file(path, rule: str, attrs, variables, required: tuple) -> None:
    missing = [c for c in required if c not in variables]
    if attrs.get("source", "").split(" ")[0] != "cisim" or missing:
        what = f"missing {', '.join(missing)}" if missing else "not written by cisim"
        raise DataError(f"{path} is not a cisim '{rule}' file ({what}); delete it and rerun: rule '{rule}' rebuilds it")


# ---------------------------------------------------------------- allocations
def write_allocations(allocations: dict, summaries: dict, attrs: dict, path) -> None:
    """Write an `allocate` output atomically with netCDF4 alone (no xarray import):
    allocations {seed: {name: int (T, S)}} as `allocation_<name>` (seed, circuit, slot) and the
    summaries {seed: {name: dict of numbers}} as `<key>_<name>` (seed); read by `read_allocations`."""
    import netCDF4

    seeds = sorted(allocations)
    names = sorted(allocations[seeds[0]])
    with atomic(path) as tmp:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            T, S = np.asarray(allocations[seeds[0]][names[0]]).shape
            for dim, size in (("seed", len(seeds)), ("circuit", T), ("slot", S)):
                nc.createDimension(dim, size)
            nc.createVariable("seed", "i8", ("seed",))[:] = np.asarray(seeds, dtype=np.int64)
            for name in names:
                stacked = np.stack([np.asarray(allocations[s][name], dtype=np.int64) for s in seeds])
                if stacked.shape[1:] != (T, S):
                    raise ValueError(f"allocation {name!r} has shape {stacked.shape[1:]}, expected {(T, S)} like {names[0]!r}")
                _nc_variable(nc, f"allocation_{name}", stacked, ("seed", "circuit", "slot"))
                for key in ("max_overlap", "mean_squared_overlap", "mean_squared_overlap_formula", "load_min", "load_max"):
                    _nc_variable(nc, f"{key}_{name}", np.array([summaries[s][name][key] for s in seeds], dtype=np.float64), ("seed",))
            nc.setncatts(attrs)


def _nc_variable(nc, name: str, values: np.ndarray, dims: tuple, compress: bool = True) -> None:
    """One variable as xarray writes it: floats with NaN as the fill value, text as variable-length
    strings, the long name and units of VARIABLES / COORDS."""
    if values.dtype.kind not in "fiuU":  # bool, bytes and objects: xarray would encode them otherwise
        raise TypeError(f"variable {name!r} has dtype {values.dtype}: only numbers and text are written without xarray")
    fill = np.nan if values.dtype.kind == "f" else None  # as xarray writes floats: NaN marks missing
    if values.dtype.kind == "U":
        var = nc.createVariable(name, str, dims)
        var[:] = values.astype(object)
    else:
        var = nc.createVariable(name, values.dtype, dims, zlib=compress, complevel=4 if compress else None, fill_value=fill)
        var[:] = values
    long_name, units = {**VARIABLES, **COORDS}.get(name, (None, ""))
    if long_name:
        var.setncatts({"long_name": long_name, **({"units": units} if units else {})})


def read_allocations(path, expected_sha256: str | None = None, run_config: dict | None = None) -> dict:
    """{seed: {name: int ndarray (T, S)}} from an `allocate` output; with expected_sha256 (the hash of
    the allocation params the reading rule expects) a file made from other params is refused. Read
    with netCDF4 alone, like `write_allocations` writes: a `simulate` job never imports xarray."""
    import netCDF4

    try:  # everything is read first: a damaged file can fail at any variable, not only when opened
        with netCDF4.Dataset(path) as nc:
            nc.set_auto_mask(False)
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
            arrays = {name: np.asarray(var[:]) for name, var in nc.variables.items()}
    except Exception as e:  # as `read`: OSError/RuntimeError/ValueError for a truncated, damaged or foreign file
        raise _unreadable(path, "allocate", e) from None
    _check_cisim_file(path, "allocate", attrs, arrays, ("seed",))
    check_made_from(attrs, path, "allocate", expected_sha256, run_config)
    names = [v[len("allocation_") :] for v in arrays if v.startswith("allocation_")]
    if not names:
        raise DataError(f"{path} is not a cisim 'allocate' file (no allocation variables); delete it and rerun: rule 'allocate' rebuilds it")
    return {int(s): {n: arrays[f"allocation_{n}"][i].astype(np.int64) for n in names} for i, s in enumerate(arrays["seed"])}


# ---------------------------------------------------------------- runs
def run_to_dataset(point: dict, label: str, results: dict, allocation_summary: dict, attrs: dict,
                   n_trajectories: int | None = None) -> xr.Dataset:
    """One run file. results: {(seed, n_active): simulate.Result}; allocation_summary: {seed: dict}.

    n_trajectories: length of the `trajectory` dimension (`sim.n_trajectories`), the same for every
    point of a study, so that points combine; a run with fewer samples than that stores NaN in the
    rows it has no sample for. None: the longest stored in `results`."""
    data, coords, attrs = _run_contents(point, label, results, allocation_summary, attrs, n_trajectories)
    return _annotate(xr.Dataset(data, coords=coords, attrs=attrs))


def write_run(point: dict, label: str, results: dict, allocation_summary: dict, attrs: dict, n_trajectories: int | None,
              path) -> None:
    """Write `run_to_dataset(...)` to `path` with netCDF4 alone, as `write` would (xarray reads back
    the identical dataset), atomically: a `simulate` job then never imports xarray and pandas
    (most of a second per job; docs/benchmarks.md § 7g, § 7h)."""
    import netCDF4

    data, coords, attrs = _run_contents(point, label, results, allocation_summary, attrs, n_trajectories)
    dim_coords = {k: np.asarray(v) for k, v in coords.items() if not isinstance(v, tuple)}
    other_coords = {k: (v[0], np.asarray(v[1])) for k, v in coords.items() if isinstance(v, tuple)}
    sizes = {k: v.size for k, v in dim_coords.items()}
    for dims, values in data.values():
        sizes.update(zip(dims, np.shape(values)))
    with atomic(path) as tmp:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            for dim, size in sizes.items():
                nc.createDimension(dim, size)
            for name, (dims, values) in data.items():
                _nc_variable(nc, name, np.asarray(values), dims)
                if other_coords:  # as xarray records non-dimension coordinates
                    nc[name].setncattr("coordinates", " ".join(sorted(other_coords)))
            for name, (dims, values) in [*((k, ((k,), v)) for k, v in dim_coords.items()), *other_coords.items()]:
                _nc_variable(nc, name, values, dims, compress=False)
            nc.setncatts(attrs)


def _run_contents(point: dict, label: str, results: dict, allocation_summary: dict, attrs: dict,
                  n_trajectories: int | None) -> tuple[dict, dict, dict]:
    """(data {name: (dims, array)}, coords, attrs) of one run file (`run_to_dataset`)."""
    seeds = sorted({s for s, _ in results})
    zs = sorted({z for _, z in results})
    first = results[(seeds[0], zs[0])]
    n_layers = point["n_layers"]
    n_blocks = first.metrics["active_fraction"].shape[1]
    data = {}
    for key in first.metrics:
        stack = np.stack([np.stack([results[(s, z)].metrics[key] for z in zs]) for s in seeds])[None]
        dims = ("point", "seed", "n_active", "layer") + (("block",) if np.ndim(first.metrics[key]) == 2 else ())
        data[key] = (dims, stack)
    longest = max(max(r.x_true.shape[0], r.x_est.shape[0]) for r in results.values())
    n_traj = longest if n_trajectories is None else n_trajectories
    if n_traj < longest:
        raise ValueError(f"n_trajectories={n_trajectories} is shorter than the {longest} trajectories stored in the results")
    for key in ("x_true", "x_est"):
        arr = np.full((1, len(seeds), len(zs), n_traj, n_layers + 1, 2), np.nan)
        for i, s in enumerate(seeds):
            for j, z in enumerate(zs):
                v = getattr(results[(s, z)], key)
                arr[0, i, j, : v.shape[0]] = v
        data[key] = (("point", "seed", "n_active", "trajectory", "layer", "component"), arr)
    data["n_samples"] = (("point", "seed", "n_active"), np.array([[[results[(s, z)].n_samples for z in zs] for s in seeds]]))
    data["diverged"] = (("point", "seed", "n_active"), (data["nonfinite_count"][1].sum(-1) > 0).astype(np.int8))
    for key in ("max_overlap", "mean_squared_overlap", "mean_squared_overlap_formula", "load_min", "load_max"):
        data[key] = (("point", "seed"), np.array([[allocation_summary[s][key] for s in seeds]], dtype=float))
    coords = {
        "point": [label],
        "seed": seeds,
        "n_active": zs,
        "layer": np.arange(n_layers + 1),
        "block": np.arange(n_blocks),
        "component": ["x0", "x1"],
    }
    d_circuit = n_blocks
    load = point["n_circuits"] * (d_circuit / point["d_model"]) ** 2
    values = {**{k: point[k] for k in POINT_COORDS if k in point}, "superposition_load": load}
    for key in POINT_COORDS:
        coords[key] = ("point", [values[key]])
    return data, coords, {**attrs, "chi_convention": point.get("chi_convention", DEFAULT_CHI_CONVENTION)}


def read_run(path, expected_sha256: str | None = None, run_config: dict | None = None) -> xr.Dataset:
    """A `simulate` output; with expected_sha256 (the hash of the simulate params the reading rule
    expects for this point) a file made from other params is refused, naming the rebuild command."""
    ds = read(path, "simulate", REQUIRED_SUMMARY_COORDS)
    check_made_from(ds.attrs, path, "simulate", expected_sha256, run_config)
    return ds


def run_attrs(path) -> dict:
    """A `simulate` output's attributes only (provenance, config_json, forward_json, job time and
    memory), without loading its arrays."""
    with xr.open_dataset(path) as run:
        return dict(run.attrs)


def gather(paths, expected_sha256: dict | None = None, run_config: dict | None = None) -> xr.Dataset:
    """Combine run files along `point` (xr.combine_by_coords); provenance kept per point.

    expected_sha256: {path: sha256 of the simulate params JSON that point must have been made
    from} — every file is checked before anything is combined (`read_run`); None: no check."""
    expected = None if expected_sha256 is None else {str(k): v for k, v in expected_sha256.items()}
    parts = []
    for p in paths:
        ds = read_run(p, None if expected is None else expected[str(p)], run_config)
        ds = ds.assign_coords(
            config_sha256=("point", [ds.attrs["config_sha256"]]),
            git_commit=("point", [ds.attrs["git_commit"]]),
            chi_convention=("point", [ds.attrs.get("chi_convention", DEFAULT_CHI_CONVENTION)]),
        )
        parts.append(ds)
    # Points may run different z values and depths: align them on the union first (NaN = not run),
    # so that combine_by_coords only concatenates along `point`.
    union = {dim: sorted(set().union(*(p[dim].values.tolist() for p in parts))) for dim in ("n_active", "layer", "block")}
    parts = [p.reindex({d: v for d, v in union.items() if d in p.dims}) for p in parts]
    # `trajectory` has no coordinate: files written before run_to_dataset padded it to
    # sim.n_trajectories, or made with another value, are padded with NaN rows (= no sample).
    n_traj = max(p.sizes.get("trajectory", 0) for p in parts)
    parts = [p.pad(trajectory=(0, n_traj - p.sizes["trajectory"])) if "trajectory" in p.dims and p.sizes["trajectory"] < n_traj else p
             for p in parts]
    out = xr.combine_by_coords(parts, combine_attrs="drop_conflicts")
    for var in out.variables.values():
        var.encoding.clear()  # the first file's fixed string widths would truncate longer labels
    check_summary(out, "gathered dataset")
    return out


def check_summary(ds: xr.Dataset, where: str) -> None:
    """The coordinates every report figure relies on are present (one-line DataError otherwise)."""
    missing = [c for c in REQUIRED_SUMMARY_COORDS if c not in ds.coords]
    if missing:
        raise DataError(f"{where} lacks coordinates {', '.join(missing)}; rerun rule 'gather'")


def read_summary(path) -> xr.Dataset:
    ds = read(path, "gather", REQUIRED_SUMMARY_COORDS)
    check_summary(ds, str(path))
    return ds


def tidy(ds: xr.Dataset, variables, dims=("point", "seed", "n_active", "layer")) -> "pandas.DataFrame":
    """Long-format table of `variables` with every coordinate as a column (input to the plots)."""
    sub = ds[list(variables)]
    keep = [d for d in sub.dims if d not in dims]
    if keep:
        raise ValueError(f"variables {list(variables)} have extra dims {keep}; select them first")
    return sub.to_dataframe().reset_index()


# ---------------------------------------------------------------- ping-pong
PINGPONG_CASE_VARS = ("n_circuits", "width", "extra_width", "weight_layers", "neurons", "parameters",
                      "used_compute_weights", "mask_strength", "aliased_fraction", "seconds")


def pingpong_to_dataset(case: dict, label: str, verify: dict, accounting: dict, pairs: dict, attrs: dict) -> xr.Dataset:
    """One ping-pong case. verify: `jobs.pingpong.verify_all` output (+ mask_strength);
    accounting: `construction.pingpong.PingPong.accounting()`; pairs: {mask: rows of `jobs.pingpong.pair_breakage`}."""
    n_layers = len(verify["max_error"]) - 1
    data = {
        "max_error": (("case", "layer"), np.asarray(verify["max_error"], float)[None]),
        "max_leakage": (("case", "layer"), np.asarray(verify["max_leakage"], float)[None]),
    }
    values = {**accounting, **verify}
    for key in PINGPONG_CASE_VARS:
        data[key] = (("case",), np.array([values[key]], dtype=float))
    masks = sorted(pairs)
    cats = [r["category"] for r in pairs[masks[0]]] if masks else []
    if masks:
        for key in pairs[masks[0]][0]:
            if key == "category":
                continue
            arr = np.array([[[next(r for r in pairs[m] if r["category"] == c)[key] for c in cats] for m in masks]], dtype=float)
            data[f"z2_{key}"] = (("case", "mask", "category"), arr)
    coords = {"case": [label], "layer": np.arange(n_layers + 1), "mask": masks, "category": cats,
              "family": ("case", [case["family"]]), "d_model": ("case", [case["d_model"]]),
              "d_circuit": ("case", [case["d_circuit"]]), "n_layers": ("case", [case["n_layers"]])}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def pingpong_tables(paths) -> tuple["pandas.DataFrame", "pandas.DataFrame"]:
    """(one row per case, one row per case × mask × sharing class) from `pingpong_case` files;
    per-layer errors and leakage are reduced to their maxima over layers."""
    import pandas as pd

    cases, pairs = [], []
    for p in paths:
        ds = read(p, "pingpong_case", ("case", "max_error"))
        row = {k: ds[k].values[0].item() for k in ("case", "family", "d_model", "d_circuit", "n_layers")}
        row.update({k: float(ds[k].values[0]) for k in PINGPONG_CASE_VARS})
        row["max_error"] = float(ds["max_error"].max())
        row["max_leakage"] = float(ds["max_leakage"].max())
        row["git_commit"] = ds.attrs.get("git_commit", "")
        cases.append(row)
        z2 = [v for v in ds.data_vars if v.startswith("z2_")]
        if z2:
            df = ds[z2].to_dataframe().reset_index()
            df.columns = [c.removeprefix("z2_") for c in df.columns]
            pairs.append(df)
    return pd.DataFrame(cases), (pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame())
