"""Each rule's `code=` inputs are the cisim modules its job imports (cisim.sources.import_closure).

Unit tests on a synthetic package and on the real tree; workflow tests (slow) in a temporary copy
where the tiny study ran once: editing a module reruns exactly the jobs that import it.
"""

import os
import re
from collections import Counter
from pathlib import Path

import pytest

from cisim.sources import import_closure

from .pipeline import ROOT, clone, edited, planned_jobs, smk


def write_tree(base: Path, files: dict) -> Path:
    for name, text in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text)
    return base


@pytest.fixture
def package(tmp_path):
    """src/pkg: subpackage a, relative imports up and down, a function-level import, an unused module."""
    return write_tree(tmp_path, {
        "src/pkg/__init__.py": "VERSION = '1'\n",
        "src/pkg/a/__init__.py": "from .b import thing\n",
        "src/pkg/a/b.py": "from ..c import f\nthing = 1\n",
        "src/pkg/c.py": "def f():\n    from . import d\n    return d\n",
        "src/pkg/d.py": "import os\n",
        "src/pkg/e/__init__.py": "",
        "src/pkg/e/deep.py": "import numpy\n",
        "src/pkg/unused.py": "from . import d\n",
        "src/pkgextra/__init__.py": "",
    })


def closure(base: Path, script: str) -> list[str]:
    (base / "script.py").write_text(script)
    return [p.removeprefix("src/pkg/") for p in import_closure(base / "script.py", base / "src/pkg", root=base)]


def test_closure_follows_relative_and_function_level_imports(package):
    assert closure(package, "from pkg.a import thing\n") == ["__init__.py", "a/__init__.py", "a/b.py", "c.py", "d.py"]


def test_importing_a_submodule_executes_every_parent_init(package):
    assert closure(package, "import os\nimport pkg.e.deep\n") == ["__init__.py", "e/__init__.py", "e/deep.py"]


def test_from_package_import_takes_modules_and_names(package):
    # `d` is a module, `VERSION` a name defined in pkg/__init__.py
    assert closure(package, "from pkg import d, VERSION\n") == ["__init__.py", "d.py"]
    assert closure(package, "def main():\n    from pkg.e import *\n") == ["__init__.py", "e/__init__.py"]


def test_other_packages_and_script_level_relative_imports_are_ignored(package):
    assert closure(package, "import pkgextra\nimport numpy\n") == []
    assert closure(package, "from . import pkg\n") == []


def test_templates_beside_a_module_of_the_closure_are_inputs(package):
    write_tree(package, {"src/pkg/e/templates/page.html.j2": "{{ x }}\n", "src/pkg/e/templates/.swp": "",
                         "src/pkg/templates/top.html.j2": ""})
    assert closure(package, "import pkg.e.deep\n") == ["__init__.py", "e/__init__.py", "e/deep.py", "e/templates/page.html.j2",
                                                       "templates/top.html.j2"]
    assert "e/templates/page.html.j2" not in closure(package, "import pkg.d\n")


def test_a_package_that_lists_its_modules_imports_all_of_them(package):
    write_tree(package, {"src/pkg/e/__init__.py": "import importlib, pkgutil\n"
                         "MODS = [importlib.import_module(f'{__name__}.{m.name}') for m in pkgutil.iter_modules(__path__)]\n",
                         "src/pkg/e/other.py": "from .. import d\n"})
    assert closure(package, "import pkg.e\n") == ["__init__.py", "d.py", "e/__init__.py", "e/deep.py", "e/other.py"]


def test_simulate_closure_holds_the_forward_path_not_the_pages():
    files = import_closure(ROOT / "workflow/scripts/simulate.py", ROOT / "src/cisim", root=ROOT)
    needed = ("__init__.py", "simulate/operators.py", "simulate/run.py", "construction/capped.py")
    assert {f"src/cisim/{f}" for f in needed} <= set(files)
    assert "src/cisim/pages/paper.py" not in files and "src/cisim/plots/__init__.py" not in files
    assert files == sorted(files) and all((ROOT / f).is_file() for f in files)
    # allocations do not depend on the forward pass: editing it must not redo them
    allocate = import_closure(ROOT / "workflow/scripts/allocate.py", ROOT / "src/cisim", root=ROOT)
    assert "src/cisim/construction/capped.py" in allocate and "src/cisim/schema.py" in allocate
    assert "src/cisim/config.py" not in allocate and not [f for f in allocate if f.startswith("src/cisim/simulate/")]


def test_every_scripted_rule_declares_its_own_scripts_closure():
    """rule <name>: script "../scripts/<name>.py" and code=code_inputs("<name>"), for every scripted rule."""
    rules = {}
    for rules_file in sorted((ROOT / "workflow/rules").glob("*.smk")):
        for block in re.split(r"^(?=rule )", rules_file.read_text(), flags=re.M)[1:]:
            name = re.match(r"rule (\w+):", block)[1]
            script = re.search(r'script:\s*"\.\./scripts/(\w+)\.py"', block)
            code = re.findall(r'code_inputs\("(\w+)"\)', block)
            rules[name] = (script and script[1], code)
    scripted = {name: v for name, v in rules.items() if v[0]}
    assert "simulate" in scripted and "landing" in scripted
    assert all(script == name and code == [name] for name, (script, code) in scripted.items()), scripted


# --- workflow: what a dry run schedules after an edit -------------------------------------------------


def dry_run(workdir, *args) -> str:
    return smk(workdir, "-n", *args, "--config", "study=tiny").stdout


@pytest.fixture(scope="module")
def tiny_run(tiny_study, tmp_path_factory):
    workdir = clone(tiny_study, tmp_path_factory.mktemp("tiny"))
    out = dry_run(workdir)
    assert planned_jobs(out) == Counter(), out[-5000:]  # the run is complete: edits below are the only change
    return workdir


def jobs_after_editing(workdir, module: str) -> Counter:
    """What a dry run schedules once src/cisim/<module> has been edited (the edit is undone after)."""
    source = workdir / "src/cisim" / module
    with edited(source, source.read_text() + "\n# an edit\n"):
        return planned_jobs(dry_run(workdir))


@pytest.mark.slow
def test_editing_forward_reschedules_every_simulation(tiny_run):
    jobs = jobs_after_editing(tiny_run, "simulate/operators.py")
    assert jobs["simulate"] == 5 and jobs["gather"] == 1 and jobs["allocate"] == 0


@pytest.mark.slow
def test_editing_a_page_module_reschedules_only_the_pages(tiny_run):
    jobs = jobs_after_editing(tiny_run, "pages/paper.py")
    assert jobs["publish"] == 1 and jobs["landing"] == 1
    assert set(jobs) <= {"publish", "landing", "all"}, jobs


@pytest.mark.slow
def test_a_new_module_becomes_an_input_without_editing_the_rules(tiny_run):
    helper, simulate = tiny_run / "src/cisim/simulate/extra_helper.py", tiny_run / "src/cisim/simulate/run.py"
    old = simulate.stat()
    with edited(helper, '"""A helper."""\n'), edited(simulate, simulate.read_text() + "\nfrom . import extra_helper\n"):
        for path in (helper, simulate):  # as old as the outputs: only the set of inputs has changed
            os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
        out = dry_run(tiny_run)
        simulate_inputs = re.findall(r"^rule simulate:\n\s+input: (.*)$", out, re.M)
        assert len(simulate_inputs) == 5 and all("src/cisim/simulate/extra_helper.py" in line for line in simulate_inputs)
        assert planned_jobs(dry_run(tiny_run, "--rerun-triggers", "mtime")) == Counter()
        with edited(helper, '"""A helper, edited."""\n'):
            jobs = planned_jobs(dry_run(tiny_run, "--rerun-triggers", "mtime"))
        assert jobs["simulate"] == 5 and jobs["gather"] == 1
