"""The house rules of docs/architecture.md, checked on the source: layers, and one home per concept.

Layers (an import may point to its own layer or below, never above):

    core 0: schema, seeds, backend, sources, circuits, theory, metrics, files, datasets
    construction 1: allocation/, construction/      simulate 2: simulate/
    config 3 (composition and validation: reads every registry and the cost model)
    analysis 4      plots 5      pages 6      jobs 7      (workflow scripts sit above all)
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cisim"
CORE = {"schema", "seeds", "backend", "sources", "circuits", "theory", "metrics", "files", "datasets"}
RANK = {"allocation": 1, "construction": 1, "simulate": 2, "config": 3, "analysis": 4, "plots": 5, "pages": 6, "jobs": 7}
SCRIPTS = sorted((ROOT / "workflow" / "scripts").glob("*.py"))
MODULES = sorted(PKG.rglob("*.py"))


def name_of(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    return 0 if top in CORE or top == "__init__" else RANK[top]


def imports(path: Path) -> set[str]:
    """Every module `path` imports (function-level imports included), as dotted names."""
    me = name_of(path) if path.is_relative_to(PKG) else ""
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            else:
                base = node.module
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def cisim_module(name: str) -> str | None:
    """The cisim module or package a dotted name resolves to (None outside cisim)."""
    parts = name.split(".")
    if parts[0] != "cisim":
        return None
    while len(parts) > 1 and not (PKG.parent.joinpath(*parts).with_suffix(".py").is_file()
                                  or PKG.parent.joinpath(*parts, "__init__.py").is_file()):
        parts.pop()
    return ".".join(parts)


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for path in MODULES:
        me = name_of(path)
        for target in filter(None, map(cisim_module, imports(path))):
            if target != "cisim" and layer(target) > layer(me):
                upward.append(f"{me} -> {target}")
    assert upward == []


@pytest.mark.parametrize("libraries, home", [
    (("xarray", "netCDF4", "h5netcdf"), "cisim.datasets"),
    (("matplotlib", "seaborn"), "cisim.plots"),
])
def test_io_and_drawing_libraries_have_one_home(libraries, home):
    users = [str(p.relative_to(ROOT)) for p in [*MODULES, *SCRIPTS]
             if any(i.split(".")[0] in libraries for i in imports(p))
             and not (p.is_relative_to(PKG) and (name_of(p) + ".").startswith(home + "."))]
    assert users == []


HTML = re.compile(r"<(html|body|table|tr|td|th|figure|img|ul|li|h[1-6]|p|div|details)[\s>]", re.IGNORECASE)


def test_html_is_built_only_in_the_pages_layer():
    builders = []
    for path in [*MODULES, *SCRIPTS]:
        if path.is_relative_to(PKG / "pages"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and HTML.search(node.value):
                builders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert builders == []


def definitions(name: str) -> list[str]:
    return [f"{name_of(p)}:{n.lineno}" for p in MODULES for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, ast.FunctionDef) and n.name == name]


def test_one_definition_of_a_working_point_and_of_chi_prime():
    assert [d.split(":")[0] for d in definitions("works")] == ["cisim.analysis.criteria"]
    assert [d.split(":")[0] for d in definitions("chi_prime")] == ["cisim.construction.capped"]
    # the thresholds are compared against nowhere else
    compares = [f"{p.relative_to(ROOT)}" for p in MODULES if p.name != "criteria.py"
                and re.search(r"[<>]=?\s*\w*\[?[\"']?(mse_threshold|false_on_threshold)", p.read_text())]
    assert compares == []


def test_the_readme_layout_names_every_module_and_package():
    text = (ROOT / "README.md").read_text()
    layout = text[text.index("## Layout"):].split("\n## ")[0]
    missing = [str(p.relative_to(PKG)) for p in MODULES if p.name != "__init__.py" and not re.search(rf"\b{p.stem}\b", layout)]
    missing += [str(d.relative_to(PKG)) for d in PKG.rglob("*") if d.is_dir() and (d / "__init__.py").exists()
                and not re.search(rf"\b{d.name}/", layout)]
    assert missing == []


def test_ping_pong_is_not_a_package_of_its_own():
    assert not (PKG / "pingpong").exists()
    assert (ROOT / "docs" / "architecture.md").is_file()


NEW_DESIGN = '''"""`twin_baseline`: the post's construction under another name (a registry check)."""

from dataclasses import dataclass

from . import baseline
from ..schema import DesignConf


@dataclass
class Options(DesignConf):
    name: str = "twin_baseline"  # the baseline, registered a second time


DESIGN = baseline.DESIGN._replace(Options=Options, summary="the baseline under another name")
'''


@pytest.mark.slow
def test_a_new_design_is_one_module_and_one_yaml(tmp_path):
    """In a copy of the workflow: the two files make a design the config accepts, the simulation
    runs and the rules follow (its module is a code input of allocate and simulate)."""
    import subprocess
    import sys

    from .pipeline import copy_workflow, environment, planned_jobs, smk

    work = copy_workflow(tmp_path)
    (work / "src/cisim/construction/twin_baseline.py").write_text(NEW_DESIGN)
    (work / "conf/design/twin_baseline.yaml").write_text("defaults: [base_twin_baseline]\n")
    check = ("from cisim import config, construction, simulate\n"
             "cfg = config.compose('tiny', ['design=twin_baseline'])\n"
             "p = config.expand_points(cfg)[0]\n"
             "assert p['design'] == 'twin_baseline', p['design']\n"
             "spec = construction.NetworkSpec.from_point(p)\n"
             "circuits, net = construction.build(spec, seed=0)\n"
             "same = construction.build(construction.NetworkSpec.from_point({**p, 'design': 'baseline'}), seed=0)[1]\n"
             "assert (net.weights[1] == same.weights[1]).all() and (net.bias == same.bias).all()\n")
    proc = subprocess.run([sys.executable, "-c", check], cwd=work, env=environment(work), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    plan = smk(work, "-n", "--config", "study=tiny", "overrides=[design=twin_baseline]", "--", "gather")
    assert planned_jobs(plan.stdout)["simulate"] == 5
    inputs = smk(work, "-n", "-p", "--config", "study=tiny", "overrides=[design=twin_baseline]", "--", "gather").stdout
    assert "src/cisim/construction/twin_baseline.py" in inputs
