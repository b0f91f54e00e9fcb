"""The one config schema: dataclasses per group option, registered in Hydra's ConfigStore.

`conf/` holds the YAML options; each option file starts with `defaults: [base_<option>]`, so
composition is typed (wrong types fail). Every field has a one-line description next to it, and
what it allows beyond its type (bounds, choices, non-empty, distinct) is declared on the field
once (`checked`, a `Rule` in the field's metadata). `compose(study, overrides)` is the single
entry point used by the Snakefile and the tests: it composes, then `validate` checks the whole
config in one pass before any job starts — the schema's keys and rules (`check_schema`),
cross-field constraints, and every simulation point's feasibility (`check_point`: capacity and
memory). `expand_points(cfg)` turns the sweep into simulation points. docs/reliability.md lists
the guarantees.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from .schema import INT64_MAX, ConfigError, DesignConf, _registry, _require, checked

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


# ---------------------------------------------------------------- allocation
@dataclass
class AllocationConf:
    name: str = checked(MISSING, choices=_registry("allocation", "ALLOCATORS"))  # registered allocator (cisim.allocation.ALLOCATORS)


@dataclass
class PrimeStepConf(AllocationConf):
    name: str = "prime_step"  # published prime-step arithmetic progressions (deterministic)


@dataclass
class TransversalConf(AllocationConf):
    name: str = "transversal"  # transversal design TD(S, q): lines y = a·x + b over GF(q)
    q: Optional[int] = checked(None, ge=2)  # field size (a prime power); None = the largest that fits
    completion: bool = False  # greedily add blocks on unused pairs after the q² lines


@dataclass
class RandomSubsetsConf(AllocationConf):
    name: str = "random_subsets"  # seeded uniformly random S-subsets (overlaps > 1 allowed)


# ---------------------------------------------------------------- backend
# The design group's schemas are the registered designs' `Options` (cisim.construction.DESIGNS;
# their common fields: `cisim.schema.DesignConf`).
@dataclass
class BackendConf:
    name: str = checked("numpy", choices=("numpy", "cupy", "auto"))  # array backend: numpy, cupy or auto (cupy if a GPU is present)
    fallback_to_cpu: bool = False  # if a GPU backend is requested but absent: fall back instead of failing


# ---------------------------------------------------------------- simulation and sweep
@dataclass
class SimConf:
    seeds: list[int] = checked(factory=lambda: [0, 1, 2], nonempty=True, distinct=True, ge=0, le=INT64_MAX)  # one network and input stream per seed (numpy's SeedSequence: non-negative)
    n_samples: int = checked(500, ge=1)  # sampled active sets per (point, seed, n_active) unless a grid overrides it
    exhaustive_z1: bool = True  # n_active = 1 runs every circuit exactly once instead of sampling
    batch_size: int = checked(1024, ge=1)  # samples per forward batch (memory; results agree within metrics.AGREEMENT across batch sizes)
    dtype: str = checked("float32", choices=("float32", "float64"))  # float32 or float64 activations
    forward: str = checked("auto", choices=_registry("simulate.operators", "FORWARD_CHOICES"))  # weight layers: auto (cost model), dense (one GEMM) or structured (factored weights)
    n_trajectories: int = checked(10, ge=0)  # samples whose first active circuit's trajectory is stored (Figs 1, 4)
    max_point_hours: float = checked(24.0, gt=0.0)  # refuse a point whose simulation is estimated to need longer on one core (simulate.estimated_seconds)
    noise_correlation: bool = False  # also measure how correlated the inactive circuits' indicator errors are between copies and neurons (simulate.noise)


@dataclass
class GridConf:
    d_model: list[int] = checked(factory=list, distinct=True, ge=1)  # D values (product with n_circuits) ...
    n_circuits: list[int] = checked(factory=list, distinct=True, ge=1)  # ... T values
    pairs: list[list[int]] = checked(factory=list, distinct=True, length=2, ge=1, noun="[d_model, n_circuits] pairs of integers")  # explicit [d_model, n_circuits] pairs instead
    redundancy: list[int] = checked(factory=lambda: [6], nonempty=True, distinct=True, ge=1)  # S values
    n_layers: list[int] = checked(factory=lambda: [4], nonempty=True, distinct=True, ge=1)  # L values
    n_active: list[int] = checked(factory=lambda: [1, 2, 3, 4], nonempty=True, distinct=True, ge=1)  # z values, all run on the same network
    n_samples: Optional[int] = checked(None, ge=1)  # overrides sim.n_samples for this grid (None: sim.n_samples)
    designs: list[str] = checked(factory=list, distinct=True, group="design")  # conf/design options swept here (empty: the selected design)
    allocations: list[str] = checked(factory=list, distinct=True, group="allocation")  # conf/allocation options swept here (empty: the selected one)


@dataclass
class SweepConf:
    grids: dict[str, GridConf] = checked(factory=dict, nonempty=True)  # named grids; their points are unioned
    max_d_model: Optional[int] = checked(None, ge=1)  # leave out points of larger D (None: all): run a study in stages
    max_layers: Optional[int] = checked(None, ge=1)  # leave out points of larger L (None: all); each point's result is kept


@dataclass
class ReportConf:
    mse_threshold: float = checked(0.1, gt=0.0)  # a setting "works" while mse_x_active stays below this ...
    false_on_threshold: float = checked(1e-3, gt=0.0, le=1.0)  # ... and the false-on rate below this, through `through_layer`
    criteria: list[str] = checked(factory=lambda: ["mse", "rate"], nonempty=True, distinct=True, choices=("mse", "rate", "expected_wrong", "seizure", "neurons"))  # criteria "works" applies (cisim.analysis.criteria.NAMES; docs/method.md §6.1)
    expected_wrong_threshold: float = checked(1.0, gt=0.0)  # criterion expected_wrong: false_on_rate·(T − z), inactive circuits read as on per sample, below this
    seizure_threshold: float = checked(0.1, gt=0.0, le=1.0)  # criterion seizure: fraction of samples with any circuit read as on or off wrongly, below this
    neuron_threshold: float = checked(2.0, gt=0.0)  # criterion neurons: active neurons of the busiest block over z·S (noise-free), below this
    through_layer: int = checked(4, ge=1)  # last layer the thresholds must hold at
    main_point: str = "main"  # grid whose (single) point is the main network of Figs 1–7
    scaling_grid: str = "scaling"  # grid behind the T(d/D)² panels of Figs 8–11
    designs_allocation: str = checked("transversal", choices=_registry("allocation", "ALLOCATORS"))  # designs page: allocation the designs are compared at
    designs_redundancy: int = checked(6, ge=1)  # designs page: S the designs are compared at
    designs_d_model: int = checked(1000, ge=1)  # designs page: D of the allocation and S comparisons
    designs_n_layers: int = checked(4, ge=1)  # designs page: L of the allocation and S comparisons
    designs_n_active: int = checked(2, ge=1)  # designs page: z of the per-layer curves at matched settings


@dataclass
class PingPongConf:
    random: list[list[int]] = checked(factory=list, distinct=True, length=2, ge=1, noun="[d_model, d_circuit] pairs of integers")  # generic random ReLU circuits at these [D, d], every circuit verified
    rotation: bool = False  # also the post's d = 4 rotation circuits at every D of the sweep (no ping-pong cases unless set or `random` given)
    n_layers: int = checked(4, ge=1)  # circuit depth L of every case
    seed: int = checked(0, ge=0)  # circuits, inputs and pairs: SeedSequence([seed, D, d, L]) (cisim.jobs.pingpong)
    pairs_per_category: int = checked(2000, ge=1)  # z = 2 pairs sampled per sharing class (all pairs when T(T − 1) ≤ 300 000)
    masks: list[str] = checked(factory=lambda: ["linear", "offset"], nonempty=True, distinct=True, choices=("linear", "offset"))  # mask variants measured at z = 2 (z = 1 is verified with linear)


@dataclass
class ConstructionsConf:
    n_circuits: list[int] = checked(factory=list, distinct=True, ge=2)  # T values every exact construction is sized for (empty: no constructions page); the baseline sweep runs one of them
    d_circuit: int = checked(4, ge=1)  # circuit width d of the exact constructions (the baseline's circuits have d = 4)
    n_layers: int = checked(4, ge=1)  # circuit depth L
    n_active: list[int] = checked(factory=lambda: [1, 2, 3, 4, 5, 6, 7, 8], nonempty=True, distinct=True, ge=1)  # z values
    errors: list[float] = checked(factory=lambda: [0.0, 0.001, 0.01], nonempty=True, distinct=True, ge=0.0, lt=1.0)  # target per-sample failure probabilities ε
    max_tables: int = checked(6, ge=1)  # hashed lanes: tables k = 1..max_tables are sized
    samples_per_error: float = checked(20.0, gt=0.0)  # Monte Carlo active sets per sizing: this / ε
    verify_circuits: int = checked(200, ge=2)  # the exact forward check of hashed lanes (tables 1..3): T of random ReLU circuits ...
    verify_lanes: int = checked(20, ge=1)  # ... lanes per table ...
    verify_active: int = checked(4, ge=1)  # ... z ...
    verify_samples: int = checked(300, ge=1)  # ... and sampled active sets
    seed: int = checked(0, ge=0)  # hashes, circuits and active sets (cisim.jobs.constructions)


@dataclass
class Config:
    study_name: str = checked("paper", pattern=r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # output folder: data/<study_name>, reports/<study_name>
    allocation: AllocationConf = MISSING  # group allocation: which neurons each circuit uses
    design: DesignConf = MISSING  # group design: how circuits are embedded in the large network
    sim: SimConf = MISSING  # group sim: seeds, sample counts, batch size, dtype
    sweep: SweepConf = MISSING  # group sweep: explicit grids of simulation points
    backend: BackendConf = MISSING  # group backend: numpy, cupy or auto
    report: ReportConf = field(default_factory=ReportConf)  # thresholds and grids the report uses
    pingpong: PingPongConf = field(default_factory=PingPongConf)  # ping-pong cases (docs/cross_circuit.md §3)
    constructions: ConstructionsConf = field(default_factory=ConstructionsConf)  # exact constructions for z ≥ 1 (docs/constructions.md)


ALLOCATION_OPTIONS = {"prime_step": PrimeStepConf, "transversal": TransversalConf, "random_subsets": RandomSubsetsConf}


def bases(group: str) -> dict:
    """Option name → schema of the options of `group` (allocation or design). The design
    options are the registered designs' `Options` (imported here, when composing, so that
    importing the schema does not load the numerical code)."""
    if group == "design":
        from .construction import DESIGNS

        return {name: design.Options for name, design in DESIGNS.items()}
    return ALLOCATION_OPTIONS


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    nodes = [(group, name, node) for group in ("allocation", "design") for name, node in bases(group).items()]
    nodes += [("backend", "backend", BackendConf), ("sim", "sim", SimConf), ("sweep", "sweep", SweepConf)]
    for group, name, node in nodes:
        cs.store(group=group, name=f"base_{name}", node=node)


GROUP_SCHEMAS = {"allocation": AllocationConf, "design": DesignConf}  # the groups whose options have their own schema


def load_option(group: str, option: str, conf_dir: Path | None = None) -> dict:
    """One option file of `group` validated against its schema, as a plain dict (for sweeps
    that run several options of a group in one study)."""
    path = Path(conf_dir or CONF_DIR) / group / f"{option}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ConfigError(f"{group} option {option!r} is not allowed: one of {known}")
    raw = OmegaConf.to_container(OmegaConf.load(path))
    base = raw.pop("defaults", [f"base_{option}"])[0].removeprefix("base_")
    merged = OmegaConf.merge(OmegaConf.structured(bases(group)[base]), raw)
    return OmegaConf.to_container(merged)


QUOTING_HINT = "quote each override as one string, e.g. --config 'overrides=[\"sim.seeds=[0,1]\"]'"


def _yaml_error(e: BaseException) -> str | None:
    """'<file>:<line>:<col> is not valid YAML: <problem>' for a YAML syntax error anywhere in the
    chain of `e` (a conf/ file edited by hand), else None."""
    import yaml

    while e is not None:
        if isinstance(e, yaml.MarkedYAMLError):
            mark = e.problem_mark or e.context_mark
            where = f"{mark.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else "a conf/ file"
            what = "; ".join(str(w) for w in (e.problem, e.context) if w)
            return " ".join(f"{where} is not valid YAML: {what}".split())
        e = e.__cause__ or e.__context__
    return None


def compose(study: str = "paper", overrides: list[str] | None = None, conf_dir: Path | None = None) -> dict:
    """Compose `conf_dir` (default: the repository's conf/) for `study` with Hydra overrides;
    validate the whole config (`validate`); return a plain resolved dict. Every failure is one
    ConfigError line: `<key>=<value> is not allowed: <what is allowed>`, or the file, line and
    column of a YAML syntax error."""
    import yaml
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException, OverrideParseException
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
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as e:
        located = _yaml_error(e)
        if located:
            raise ConfigError(located) from None
        detail = f"{e}: {e.__cause__}" if e.__cause__ and str(e.__cause__) not in str(e) else str(e)
        if isinstance(e, OverrideParseException):  # e.g. an unquoted list that the shell or Snakemake split
            detail += f" ({QUOTING_HINT})"
        raise ConfigError(" ".join(detail.split())) from None
    validate(plain)
    return plain


def _kind(hint) -> str:
    """Entries' type of a field annotation, in words (for messages)."""
    while typing.get_origin(hint) in (list, typing.Union):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return {int: "integer", float: "number", str: "string", bool: "boolean"}.get(hint, "mapping")


def _leaves(value):
    if isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _option_class(cls, node: dict):
    """The schema of one group option: the registered subclass its `name` selects (`bases`)."""
    for group, base in GROUP_SCHEMAS.items():
        if isinstance(cls, type) and issubclass(cls, base):
            return bases(group).get(node.get("name"), cls)
    return cls


def check_schema(node: dict, cls, prefix: str = "") -> None:
    """Walk `node` (the composed config, or part of it) against dataclass `cls`: refuse keys the
    schema does not have (however they were added, e.g. Hydra's `+key=value`), check every field's
    `Rule`, keep integers within int64 and numbers finite, and recurse into nested schemas (a
    group option's schema is the one its `name` selects). One-line ConfigError."""
    cls = _option_class(cls, node)
    names = [f.name for f in dataclasses.fields(cls)]
    where = prefix.rstrip(".") or "the config"
    for key, value in node.items():
        _require(key in names, f"{prefix}{key}", value, f"not a key of {where}, which has {', '.join(names)}")
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name not in node:
            continue  # not composed (e.g. `name` switched to another design): the design's default applies
        key, value, hint = prefix + f.name, node[f.name], hints[f.name]
        kind = _kind(hint)
        for leaf in _leaves(value):
            if isinstance(leaf, int) and not isinstance(leaf, bool):
                _require(-INT64_MAX - 1 <= leaf <= INT64_MAX, key, leaf, "an integer within int64 (|value| < 2**63)")
            elif isinstance(leaf, float):
                _require(math.isfinite(leaf), key, leaf, "a finite number")
        rule = f.metadata.get("rule")
        if rule is None:  # a subclass redefining a field keeps its base's rule (e.g. `name`)
            rule = next((b.metadata["rule"] for c in cls.__mro__[1:] if dataclasses.is_dataclass(c)
                         for b in dataclasses.fields(c) if b.name == f.name and "rule" in b.metadata), None)
        if rule is not None:
            rule.check(key, value, kind)
            if rule.group is not None:  # the grid's options, composed from their conf/ files
                for option in value:
                    if isinstance(option, dict):
                        check_schema(option, GROUP_SCHEMAS[rule.group], f"{key}[{option.get('name')}].")
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            check_schema(value, hint, key + ".")
        elif origin is dict and dataclasses.is_dataclass(args[1]) and isinstance(value, dict):
            for name, item in value.items():
                _require(isinstance(item, dict), f"{key}.{name}", item, f"a mapping of {args[1].__name__} keys")
                check_schema(item, args[1], f"{key}.{name}.")


def validate(cfg: dict) -> None:
    """The whole composed config, in one pass, before any job starts (one-line ConfigError):

    1. schema: keys and types (`check_schema`; Hydra checked the types), every field's `Rule`;
    2. cross-field constraints: a grid lists its networks either as pairs or as d_model ×
       n_circuits; report.through_layer ≤ the depth of every point of report.scaling_grid;
       the grid report.main_point (where present) has one point; no point twice;
    3. every point feasible (`check_point`): sizes, z ≤ T, design options, allocation capacity,
       and memory (`check_memory`).
    """
    check_schema(cfg, Config)
    for grid_name, grid in cfg["sweep"]["grids"].items():
        g = f"sweep.grids.{grid_name}"
        for key in ("d_model", "n_circuits"):
            if grid["pairs"]:  # both given: one of them would be silently ignored
                _require(not grid[key], f"{g}.{key}", grid[key], f"[] when {g}.pairs lists the networks")
            else:
                _require(len(grid[key]) > 0, f"{g}.{key}", grid[key], f"a non-empty list of integers >= 1, unless {g}.pairs is set")
    points = expand_points(cfg)
    sweep = cfg["sweep"]
    # grids the pages read by name must keep a point; others (e.g. a grid of only the widest D) may drop out of a stage
    named = {cfg["report"][k] for k in ("scaling_grid", "main_point")} & set(sweep["grids"])
    for key in ("max_d_model", "max_layers"):
        if sweep[key] is not None:  # each bound on its own, so that the message names the one that empties a grid
            kept = {p["grid"] for p in expand_points({**cfg, "sweep": {**sweep, "max_d_model": None, "max_layers": None, key: sweep[key]}})}
            empty = sorted(named - kept) if kept else sorted(sweep["grids"])
            _require(not empty, f"sweep.{key}", sweep[key],
                     f"a bound that leaves a point in some grid and in the report's grids {sorted(named)} (none left in {empty}), or null")
    seen = set()
    for p in points:
        label = point_label(p)
        _require(label not in seen, f"sweep.grids.{p['grid']}", label,
                 "each network once (two designs or allocations of the grid define the same network)")
        seen.add(label)
    report = cfg["report"]
    main = cfg["sweep"]["grids"].get(report["main_point"])
    if main is not None and sum(p["grid"] == report["main_point"] for p in points) > 1:
        axis = next(a for a in ("pairs", "d_model", "n_circuits", "redundancy", "n_layers", "designs", "allocations") if len(main[a]) > 1)
        values = [o["name"] if isinstance(o, dict) else o for o in main[axis]]
        _require(False, f"sweep.grids.{report['main_point']}.{axis}", values,
                 f"one value: report.main_point={report['main_point']!r} names the single network of Figs 1–7")
    for p in points:
        if p["grid"] == report["scaling_grid"]:
            _require(report["through_layer"] <= p["n_layers"], "report.through_layer", report["through_layer"],
                     f"1 <= through_layer <= n_layers = {p['n_layers']} of every point of report.scaling_grid={report['scaling_grid']!r}")
    for p in points:
        check_point(p, cfg)


def check_point(p: dict, cfg: dict | None = None) -> None:
    """A simulation point is feasible: sizes positive, z ≤ T, the design's options and sizes
    (D a multiple of d, …), T ≤ the allocation's capacity; with the config `cfg`, its memory
    too (`check_memory`, before the capacity, whose computation grows with D)."""
    from . import allocation

    from .construction import get_design

    g = f"sweep.grids.{p['grid']}"
    for key in ("d_model", "n_circuits", "n_layers", "redundancy"):
        _require(p[key] >= 1, f"{g}.{key}", p[key], "an integer >= 1")
    for z in p["n_active"]:
        _require(1 <= z <= p["n_circuits"], f"{g}.n_active", z, f"1 <= n_active <= n_circuits = {p['n_circuits']}")
    _require(len(p["n_active"]) > 0, f"{g}.n_active", p["n_active"], "a non-empty list of integers >= 1")
    _require(p["n_samples"] >= 1, f"{g}.n_samples", p["n_samples"], "an integer >= 1")
    if cfg is not None:
        check_memory(p, cfg)
        check_time(p, cfg)
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


def memory_limit() -> int:
    """Bytes one job may use: CISIM_MEMORY_GB when set (e.g. a cluster node's memory, when the
    workflow is composed on a smaller login node), else this machine's physical memory."""
    if os.environ.get("CISIM_MEMORY_GB"):
        return int(float(os.environ["CISIM_MEMORY_GB"]) * 2**30)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _workload(p: dict, sim: dict) -> tuple[int, dict, int]:
    """Weight layers of a point's network, its samples per z ({z: n}) and its circuit width d
    (D over the largest pool's positions: 4 for the post's circuit, 2k + 2m for wide ones)."""
    from .construction import get_design
    from .simulate import samples_per_z

    spec, design = network_spec(p), get_design(p["design"])
    n_weight_layers = design.accounting(spec)["depth"] - 1  # extra layers a design adds count
    try:
        d_circuit = max(1, round(spec.d_model / max(design.blocks(spec).values())))
    except ValueError:  # options the design cannot build: `check_point` refuses them in one line, naming the key
        d_circuit = 4
    return n_weight_layers, samples_per_z(p["n_circuits"], p["n_active"], p["n_samples"], sim["exhaustive_z1"]), d_circuit


def point_seconds(p: dict, cfg: dict) -> float:
    """Estimated one-core seconds of a point's simulation, every seed and z (`simulate.estimated_seconds`):
    what `check_time` refuses by, and the order the workflow starts simulations in (longest first)."""
    from .simulate import estimated_seconds

    sim = cfg["sim"]
    n_weight_layers, inputs, d_circuit = _workload(p, sim)
    return len(sim["seeds"]) * estimated_seconds(p["d_model"], p["n_circuits"], n_weight_layers, p["redundancy"],
                                                 sum(inputs.values()), sim["dtype"], sim["forward"], d_circuit)


def check_time(p: dict, cfg: dict) -> None:
    """Refuse a point whose simulation (every seed and z) is estimated to need more than
    `sim.max_point_hours` on one core (`point_seconds`), naming the sample count."""
    sim, g = cfg["sim"], f"sweep.grids.{p['grid']}"
    seconds = point_seconds(p, cfg)
    if seconds <= sim["max_point_hours"] * 3600:
        return
    key = f"{g}.n_samples" if cfg["sweep"]["grids"][p["grid"]]["n_samples"] is not None else "sim.n_samples"
    _require(False, key, p["n_samples"], f"point {point_label(p)} needs about {seconds / 3600:.3g} h of one core "
                                          f"> sim.max_point_hours={sim['max_point_hours']:g} (raise it to run anyway)")


def check_memory(p: dict, cfg: dict) -> None:
    """Refuse a point whose simulation would not fit in memory (`simulate.peak_bytes`, compared
    with `memory_limit`), naming the key behind the largest part."""
    from .simulate import peak_bytes

    sim, g = cfg["sim"], f"sweep.grids.{p['grid']}"
    n_weight_layers, inputs, d_circuit = _workload(p, sim)
    parts = peak_bytes(p["d_model"], p["n_circuits"], n_weight_layers, p["redundancy"], inputs, sim["batch_size"], sim["dtype"], sim["forward"],
                       d_circuit=d_circuit)
    total, limit = sum(parts.values()), memory_limit()
    if total <= limit:
        return
    gib = lambda b: f"{b / 2**30:.3g} GiB"  # noqa: E731
    largest = max(parts, key=parts.get)
    if largest == "inputs":
        grid_set = cfg["sweep"]["grids"][p["grid"]]["n_samples"] is not None
        key, value = (f"{g}.n_samples" if grid_set else "sim.n_samples"), p["n_samples"]
    elif largest == "position tables":
        key, value = (f"{g}.n_layers", p["n_layers"]) if p["n_layers"] >= p["n_circuits"] else (f"{g}.n_circuits", p["n_circuits"])
    elif largest == "one batch" and p["n_circuits"] > p["d_model"]:
        key, value = f"{g}.n_circuits", p["n_circuits"]
    else:
        key, value = f"{g}.d_model", p["d_model"]
    detail = ", ".join(f"{k} {gib(v)}" for k, v in parts.items() if v)
    hint = "; sim.forward=structured avoids the dense weights" if largest == "dense weights" else ""
    _require(False, key, value, f"point {point_label(p)} needs about {gib(total)} ({detail}) > {gib(limit)} of memory "
                                f"(this machine's, or CISIM_MEMORY_GB){hint}")


def network_spec(p: dict):
    """The construction's NetworkSpec for a point dict (`construction.NetworkSpec.from_point`)."""
    from .construction import NetworkSpec

    return NetworkSpec.from_point(p)


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
    values of a point all run on the same network. `sweep.max_d_model` and `sweep.max_layers` leave
    out the costlier points (a study run in stages keeps the points it has already run)."""
    sweep, points = cfg["sweep"], []
    max_d = sweep.get("max_d_model") or float("inf")
    max_l = sweep.get("max_layers") or float("inf")
    for grid_name, grid in cfg["sweep"]["grids"].items():
        pairs = [tuple(p) for p in grid["pairs"]] or list(itertools.product(grid["d_model"], grid["n_circuits"]))
        axes = itertools.product(grid["designs"], grid["allocations"], pairs, grid["redundancy"], grid["n_layers"])
        for design, alloc, (d_model, n_circuits), redundancy, n_layers in axes:
            if d_model > max_d or n_layers > max_l:
                continue
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
                "n_samples": int(cfg["sim"]["n_samples"] if grid["n_samples"] is None else grid["n_samples"]),
            }
            points.append(p)
    return points


def to_json(obj: Any) -> str:
    """Sorted, compact JSON: the form every rule receives in `params:` (tracked by Snakemake)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
