"""The one config schema: dataclasses per group option, registered in Hydra's ConfigStore.

`conf/` holds the YAML options; each option file starts with `defaults: [base_<option>]`, so
composition is closed to typos (unknown keys fail) and typed (wrong types fail). Every field
has a one-line description next to it. `compose(study, overrides)` is the single entry point
used by the Snakefile and the tests; `expand_points(cfg)` turns the sweep into simulation points.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


class ConfigError(ValueError):
    """A configuration value outside what is allowed (one line: key, value, what is allowed)."""


def _require(ok: bool, key: str, value, allowed: str):
    if not ok:
        raise ConfigError(f"{key}={value!r} is not allowed: {allowed}")


# ---------------------------------------------------------------- allocation
@dataclass
class AllocationConf:
    name: str = MISSING  # registered allocator (cisim.allocation.ALLOCATORS)


@dataclass
class PrimeStepConf(AllocationConf):
    name: str = "prime_step"  # published prime-step arithmetic progressions (deterministic)


@dataclass
class TransversalConf(AllocationConf):
    name: str = "transversal"  # transversal design TD(S, q): lines y = a·x + b over GF(q)
    q: Optional[int] = None  # field size (a prime power); None = the largest that fits
    completion: bool = False  # greedily add blocks on unused pairs after the q² lines


@dataclass
class RandomSubsetsConf(AllocationConf):
    name: str = "random_subsets"  # seeded uniformly random S-subsets (overlaps > 1 allowed)


# ---------------------------------------------------------------- design, circuit, backend
@dataclass
class DesignConf:
    name: str = "baseline"  # registered design (cisim.construction.DESIGNS)
    chi_scale: float = 1.0  # multiplies the suppression constant χ (post's w_correction)
    chi_convention: str = "post"  # pairs χ balances: post (t ≠ u, eq 5.24) or published (t < u, the authors' code); docs/reproduction.md


@dataclass
class RedundantIndicatorsConf(DesignConf):
    name: str = "redundant_indicators"  # k on-indicator pairs per circuit, read as their mean
    k: int = 3  # on-indicator pairs per circuit (circuit width 2k + 2)
    embedding: str = "independent"  # shared: one position set per circuit; independent: one per indicator copy


@dataclass
class IndicatorShareConf(DesignConf):
    name: str = "indicator_share"  # unequal blocks: indicators get `fraction` of the width
    fraction: float = 0.5  # share of d_model given to the two on-indicator blocks (baseline: 0.5)
    redundancy_on: Optional[int] = None  # S of the indicator neurons (None: the point's redundancy)


@dataclass
class CarriedIndicatorsConf(DesignConf):
    name: str = "carried_indicators"  # indicators computed once, carried forward in a dedicated pool
    fraction: float = 0.5  # share of d_model in the indicator pool


@dataclass
class IndicatorCleanupConf(DesignConf):
    name: str = "indicator_cleanup"  # extra layers that only re-apply the step function to indicators
    every: int = 2  # one clean-up layer after every `every` computing layers (counted in the depth)


@dataclass
class CrossCircuitConf(DesignConf):
    name: str = "cross_circuit"  # circuit t at layer l reads its parent's state at layer l − 1
    routing: str = "permutation"  # identity, permutation, fan_out or fan_in_2
    fan_out: int = 2  # children per parent for routing=fan_out


@dataclass
class CircuitConf:
    name: str = "rotation"  # small-circuit family: the post's conditional rotation (width set by the design)


@dataclass
class BackendConf:
    name: str = "numpy"  # array backend: numpy, cupy or auto (cupy if a GPU is present)
    fallback_to_cpu: bool = False  # if a GPU backend is requested but absent: fall back instead of failing


# ---------------------------------------------------------------- simulation and sweep
@dataclass
class SimConf:
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])  # one network and input stream per seed
    n_samples: int = 500  # sampled active sets per (point, seed, n_active) unless a grid overrides it
    exhaustive_z1: bool = True  # n_active = 1 runs every circuit exactly once instead of sampling
    batch_size: int = 1024  # samples per forward batch (memory only; results do not depend on it)
    dtype: str = "float32"  # float32 or float64 activations
    forward: str = "auto"  # weight layers: auto (cost model), dense (one GEMM) or structured (factored weights)
    n_trajectories: int = 10  # samples whose first active circuit's trajectory is stored (Figs 1, 4)


@dataclass
class GridConf:
    d_model: list[int] = field(default_factory=list)  # D values (product with n_circuits) ...
    n_circuits: list[int] = field(default_factory=list)  # ... T values
    pairs: list[list[int]] = field(default_factory=list)  # explicit [d_model, n_circuits] pairs instead
    redundancy: list[int] = field(default_factory=lambda: [6])  # S values
    n_layers: list[int] = field(default_factory=lambda: [4])  # L values
    n_active: list[int] = field(default_factory=lambda: [1, 2, 3, 4])  # z values, all run on the same network
    n_samples: Optional[int] = None  # overrides sim.n_samples for this grid
    designs: list[str] = field(default_factory=list)  # conf/design options swept here (empty: the selected design)
    allocations: list[str] = field(default_factory=list)  # conf/allocation options swept here (empty: the selected one)


@dataclass
class SweepConf:
    grids: dict[str, GridConf] = field(default_factory=dict)  # named grids; their points are unioned


@dataclass
class ReportConf:
    mse_threshold: float = 0.1  # a setting "works" while mse_x_active stays below this ...
    false_on_threshold: float = 1e-3  # ... and the false-on rate below this, through `through_layer`
    through_layer: int = 4  # last layer the thresholds must hold at
    main_point: str = "main"  # grid whose (single) point is the main network of Figs 1–7
    scaling_grid: str = "scaling"  # grid behind the T(d/D)² panels of Figs 8–11


@dataclass
class Config:
    study_name: str = "paper"  # output folder: data/<study_name>, reports/<study_name>
    allocation: AllocationConf = MISSING  # group allocation: which neurons each circuit uses
    design: DesignConf = MISSING  # group design: how circuits are embedded in the large network
    circuit: CircuitConf = MISSING  # group circuit: the small-circuit family
    sim: SimConf = MISSING  # group sim: seeds, sample counts, batch size, dtype
    sweep: SweepConf = MISSING  # group sweep: explicit grids of simulation points
    backend: BackendConf = MISSING  # group backend: numpy, cupy or auto
    report: ReportConf = field(default_factory=ReportConf)  # thresholds and grids the report uses


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    for group, name, node in [
        ("allocation", "prime_step", PrimeStepConf),
        ("allocation", "transversal", TransversalConf),
        ("allocation", "random_subsets", RandomSubsetsConf),
        ("design", "baseline", DesignConf),
        ("design", "redundant_indicators", RedundantIndicatorsConf),
        ("design", "indicator_share", IndicatorShareConf),
        ("design", "carried_indicators", CarriedIndicatorsConf),
        ("design", "indicator_cleanup", IndicatorCleanupConf),
        ("design", "cross_circuit", CrossCircuitConf),
        ("circuit", "rotation", CircuitConf),
        ("backend", "backend", BackendConf),
        ("sim", "sim", SimConf),
        ("sweep", "sweep", SweepConf),
    ]:
        cs.store(group=group, name=f"base_{name}", node=node)


BASES = {
    "allocation": {"prime_step": PrimeStepConf, "transversal": TransversalConf, "random_subsets": RandomSubsetsConf},
    "design": {
        "baseline": DesignConf,
        "redundant_indicators": RedundantIndicatorsConf,
        "indicator_share": IndicatorShareConf,
        "carried_indicators": CarriedIndicatorsConf,
        "indicator_cleanup": IndicatorCleanupConf,
        "cross_circuit": CrossCircuitConf,
    },
}


def load_option(group: str, option: str, conf_dir: Path | None = None) -> dict:
    """One option file of `group` validated against its schema, as a plain dict (for sweeps
    that run several options of a group in one study)."""
    path = Path(conf_dir or CONF_DIR) / group / f"{option}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ConfigError(f"{group} option {option!r} is not allowed: one of {known}")
    raw = OmegaConf.to_container(OmegaConf.load(path))
    base = raw.pop("defaults", [f"base_{option}"])[0].removeprefix("base_")
    merged = OmegaConf.merge(OmegaConf.structured(BASES[group][base]), raw)
    return OmegaConf.to_container(merged)


def compose(study: str = "paper", overrides: list[str] | None = None, conf_dir: Path | None = None) -> dict:
    """Compose `conf_dir` (default: the repository's conf/) for `study` with Hydra overrides;
    validate; return a plain resolved dict."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    register()
    try:
        with initialize_config_dir(config_dir=str(Path(conf_dir or CONF_DIR).resolve()), version_base="1.3", job_name="cisim"):
            cfg = hydra_compose(config_name="config", overrides=[f"study={study}", *(overrides or [])])
        plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        for grid_name, grid in plain["sweep"]["grids"].items():
            for group, key in (("design", "designs"), ("allocation", "allocations")):
                try:
                    grid[key] = [load_option(group, o, conf_dir) for o in grid[key]] or [plain[group]]
                except ConfigError as e:
                    raise ConfigError(f"sweep.grids.{grid_name}.{key}: {e}") from None
    except (HydraException, OmegaConfBaseException) as e:
        detail = f"{e}: {e.__cause__}" if e.__cause__ and str(e.__cause__) not in str(e) else str(e)
        raise ConfigError(" ".join(detail.split())) from None
    validate(plain)
    return plain


def validate(cfg: dict) -> None:
    """Range checks that types alone cannot express (one-line ConfigError each)."""
    from .allocation import ALLOCATORS
    from .construction import CHI_CONVENTIONS, DESIGNS

    sim = cfg["sim"]
    _require(cfg["allocation"]["name"] in ALLOCATORS, "allocation.name", cfg["allocation"]["name"], f"one of {sorted(ALLOCATORS)}")
    _require(cfg["design"]["name"] in DESIGNS, "design.name", cfg["design"]["name"], f"one of {sorted(DESIGNS)}")
    conventions = " or ".join(CHI_CONVENTIONS)
    _require(cfg["design"]["chi_convention"] in CHI_CONVENTIONS, "design.chi_convention", cfg["design"]["chi_convention"], conventions)
    for grid_name, grid in cfg["sweep"]["grids"].items():
        for design in grid["designs"]:
            _require(design["chi_convention"] in CHI_CONVENTIONS, f"sweep.grids.{grid_name}.designs[{design['name']}].chi_convention",
                     design["chi_convention"], conventions)
    _require(cfg["backend"]["name"] in ("numpy", "cupy", "auto"), "backend.name", cfg["backend"]["name"], "numpy, cupy or auto")
    _require(len(sim["seeds"]) > 0, "sim.seeds", sim["seeds"], "a non-empty list of integers")
    _require(len(set(sim["seeds"])) == len(sim["seeds"]), "sim.seeds", sim["seeds"], "distinct seeds")
    for key in ("n_samples", "batch_size"):
        _require(sim[key] >= 1, f"sim.{key}", sim[key], "an integer >= 1")
    _require(sim["n_trajectories"] >= 0, "sim.n_trajectories", sim["n_trajectories"], "an integer >= 0")
    _require(sim["dtype"] in ("float32", "float64"), "sim.dtype", sim["dtype"], "float32 or float64")
    _require(sim["forward"] in ("auto", "dense", "structured"), "sim.forward", sim["forward"], "auto, dense or structured")
    _require(len(cfg["sweep"]["grids"]) > 0, "sweep.grids", cfg["sweep"]["grids"], "at least one grid")
    for point in expand_points(cfg):
        check_point(point)


def check_point(p: dict) -> None:
    """A simulation point is feasible: sizes positive, D a multiple of d, z ≤ T, T ≤ capacity."""
    from . import allocation

    from .construction import get_design

    g = f"sweep.grids.{p['grid']}"
    for key in ("d_model", "n_circuits", "n_layers"):
        _require(p[key] >= 1, f"{g}.{key}", p[key], "an integer >= 1")
    for z in p["n_active"]:
        _require(1 <= z <= p["n_circuits"], f"{g}.n_active", z, f"1 <= n_active <= n_circuits = {p['n_circuits']}")
    _require(p["n_samples"] >= 1, f"{g}.n_samples", p["n_samples"], "an integer >= 1")
    try:
        blocks = get_design(p["design"]).blocks(network_spec(p))
    except ValueError as e:
        raise ConfigError(f"{g}.{e}") from None
    for n_blocks in blocks.values():
        _require(1 <= p["redundancy"] <= n_blocks, f"{g}.redundancy", p["redundancy"], f"1 <= redundancy <= n_blocks = {n_blocks}")
        try:
            cap = allocation.capacity(p["allocation"], n_blocks, p["redundancy"], **p["allocation_options"])
        except ValueError as e:
            raise ConfigError(str(e)) from None
        _require(
            p["n_circuits"] <= cap,
            f"{g}.n_circuits",
            p["n_circuits"],
            f"allocation '{p['allocation']}' places at most {cap} circuits at n_blocks={n_blocks}, redundancy={p['redundancy']}",
        )


def network_spec(p: dict):
    """The construction's NetworkSpec for a point dict."""
    from .construction import NetworkSpec

    return NetworkSpec(
        d_model=p["d_model"],
        n_circuits=p["n_circuits"],
        redundancy=p["redundancy"],
        n_layers=p["n_layers"],
        design=p["design"],
        design_options=p["design_options"],
        allocation=p["allocation"],
        allocation_options=p["allocation_options"],
        chi_scale=p["chi_scale"],
        # allocation jobs receive only the keys an allocation depends on, which χ is not
        chi_convention=p.get("chi_convention", "post"),
    )


def point_label(p: dict) -> str:
    """File-name-safe, human-readable identity of a point: its grid and its network."""
    opts = "".join(f"-{k}{v}" for k, v in sorted(p["allocation_options"].items()) if v not in (None, False))
    design = p["design"] + "".join(f"-{k}{v}" for k, v in sorted(p["design_options"].items()))
    chi = "" if p["chi_scale"] == 1.0 else f"-chi{p['chi_scale']:g}"
    chi += "" if p.get("chi_convention", "post") == "post" else f"-chi{p['chi_convention']}"
    return (
        f"{p['grid']}-{design}-{p['allocation']}{opts}-D{p['d_model']}-T{p['n_circuits']}"
        f"-S{p['redundancy']}-L{p['n_layers']}{chi}"
    )


def expand_points(cfg: dict) -> list[dict]:
    """All simulation points of the sweep, in grid order, each a plain dict (JSON-able).

    Per grid: designs × allocations × (d_model, n_circuits) × redundancy × n_layers; the z
    values of a point all run on the same network."""
    points = []
    for grid_name, grid in cfg["sweep"]["grids"].items():
        pairs = [tuple(p) for p in grid["pairs"]] or list(itertools.product(grid["d_model"], grid["n_circuits"]))
        axes = itertools.product(grid["designs"], grid["allocations"], pairs, grid["redundancy"], grid["n_layers"])
        for design, alloc, (d_model, n_circuits), redundancy, n_layers in axes:
            p = {
                "grid": grid_name,
                "design": design["name"],
                "chi_scale": float(design["chi_scale"]),
                "chi_convention": design["chi_convention"],
                "allocation": alloc["name"],
                "allocation_options": {k: v for k, v in alloc.items() if k != "name"},
                "design_options": {k: v for k, v in design.items() if k not in ("name", "chi_scale", "chi_convention")},
                "d_model": int(d_model),
                "n_circuits": int(n_circuits),
                "redundancy": int(redundancy),
                "n_layers": int(n_layers),
                "n_active": sorted(int(z) for z in grid["n_active"]),
                "n_samples": int(grid["n_samples"] or cfg["sim"]["n_samples"]),
            }
            points.append(p)
    return points


def to_json(obj: Any) -> str:
    """Sorted, compact JSON: the form every rule receives in `params:` (tracked by Snakemake)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
