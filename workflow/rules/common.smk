# Compose the Hydra config once; everything else is derived from it. Users pick a study with
# `--config study=<name>` and override any key with `--config 'overrides=["key=value", ...]'`.
import sys

from cisim import backend as cisim_backend
from cisim import config as cisim_config
from cisim import sources as cisim_sources

STUDY = config.get("study", "paper")
OVERRIDES = config.get("overrides", [])
if isinstance(OVERRIDES, str):
    OVERRIDES = [OVERRIDES]
try:
    CFG = cisim_config.compose(STUDY, list(OVERRIDES), conf_dir=Path(workflow.basedir) / "conf")
    if workflow.is_main_process and workflow.local_exec:
        # Jobs run on this machine: a GPU backend must exist here (cluster jobs check on their node).
        cisim_backend.select(CFG["backend"]["name"], CFG["backend"]["fallback_to_cpu"])
except (cisim_config.ConfigError, ValueError, RuntimeError) as e:
    sys.exit(f"cisim: {e}")

# One environment for every rule (used with `--sdm conda`; pip users install the same packages).
CONDA_ENV = str(Path(workflow.basedir) / "environment.yml")
NAME = CFG["study_name"]
DATA = f"data/{NAME}"
REPORTS = f"reports/{NAME}"
LOGS = f"logs/{NAME}"
POINTS = {cisim_config.point_label(p): p for p in cisim_config.expand_points(CFG)}


def code_inputs(script):
    """The src/cisim/ files job script workflow/scripts/<script>.py imports, transitively (cisim.sources).

    A rule lists them as `code=` inputs so editing any of them reruns its jobs; sorted paths relative
    to the repository root, e.g. "src/cisim/simulate/run.py". Rules are named after their scripts.
    """
    root = Path(workflow.basedir)
    return cisim_sources.import_closure(root / "workflow/scripts" / f"{script}.py", root / "src/cisim", root=root)


# What an allocation depends on: points that differ only in L, z, sample counts or χ share one file.
ALLOCATION_KEYS = ("design", "design_options", "allocation", "allocation_options", "d_model", "n_circuits", "redundancy")


def allocation_label(p):
    point = {**{k: p[k] for k in ALLOCATION_KEYS}, "grid": "alloc", "n_layers": 0, "chi_scale": 1.0}
    return cisim_config.point_label(point).removeprefix("alloc-").removesuffix("-L0")


def allocation_params(wildcards):
    p = next(p for p in POINTS.values() if allocation_label(p) == wildcards.alloc)
    point = {**{k: p[k] for k in ALLOCATION_KEYS}, "n_layers": 1, "chi_scale": 1.0}
    return cisim_config.to_json({"point": point, "seeds": CFG["sim"]["seeds"]})


def simulate_params(wildcards):
    p = POINTS[wildcards.point]
    return cisim_config.to_json({"point": p, "sim": CFG["sim"], "backend": CFG["backend"], "seeds": CFG["sim"]["seeds"]})


# Longest first: a job's priority is its point's estimated seconds (cisim.config.point_seconds), an
# allocation's that of the costliest point it feeds, so the slowest simulation starts at once
# instead of finishing alone at the end while the other cores idle.
POINT_SECONDS = {label: cisim_config.point_seconds(p, CFG) for label, p in POINTS.items()}


def simulate_priority(wildcards):
    return int(POINT_SECONDS[wildcards.point])


ALLOCATION_SECONDS = {}
for _label, _p in POINTS.items():
    _alloc = allocation_label(_p)
    ALLOCATION_SECONDS[_alloc] = max(ALLOCATION_SECONDS.get(_alloc, 0.0), POINT_SECONDS[_label])


def allocate_priority(wildcards):
    return int(ALLOCATION_SECONDS[wildcards.alloc])


def uses_gpu():
    return 0 if CFG["backend"]["name"] == "numpy" else 1
