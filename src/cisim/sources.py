"""The package source files a workflow job runs: its entry script's imports, transitively.

Each rule declares these files as `code=` inputs (workflow/rules/common.smk, `code_inputs`), so
Snakemake reruns a job when one of them was edited after its outputs were written (Snakemake docs,
command line option `--rerun-triggers`, trigger `mtime`). Found statically with the stdlib `ast`:
the package is read, never imported or run. An import counts wherever it sits (module level, inside
a function, under `if`), so the set errs on the side of rerunning.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path


def import_closure(entry_script, package_dir, root=".") -> list[str]:
    """Every file of the package at `package_dir` that running `entry_script` may execute.

    Follows `import pkg.a`, `from pkg import a, b` (a module, subpackage or a name in
    `pkg/__init__.py`), `from pkg.a import b` and, inside the package, relative imports
    (`from . import a`, `from ..a import b`). Importing `pkg.a.b` also executes `pkg/__init__.py` and
    `pkg/a/__init__.py` (Python reference, "The import system" §5.4.2 Submodules). The package name
    is `package_dir`'s directory name; imports of other packages are ignored. The files of a
    `templates/` folder beside a module of the closure belong to it (they are read when it runs),
    and a package `__init__.py` that lists its folder with `pkgutil.iter_modules` imports every
    module beside it.

    Returns the files' paths relative to `root` (POSIX form), sorted, e.g. ["src/cisim/__init__.py",
    "src/cisim/simulate/run.py", ...]; an empty list when the script imports nothing from the package.
    """
    package_dir = Path(package_dir).resolve()
    found: set[Path] = set()
    todo = [(Path(entry_script).resolve(), None)]  # (file, its package's dotted name); the script has none
    while todo:
        path, package = todo.pop()
        if path.name == "__init__.py" and b"pkgutil.iter_modules" in path.read_bytes():
            for sibling in sorted(path.parent.glob("*.py")):  # a package that imports its own modules by listing them
                if sibling not in found:
                    found.add(sibling)
                    todo.append((sibling, package))
        for name in _imported_names(path, package):
            parts = name.split(".")
            if parts[0] != package_dir.name:
                continue
            for depth in range(1, len(parts) + 1):  # pkg, pkg.a, pkg.a.b: each level executes on import
                file = _module_file(package_dir, parts[1:depth])
                if file is not None and file not in found:  # None: a name defined in the module above
                    found.add(file)
                    todo.append((file, ".".join(file.parent.relative_to(package_dir.parent).parts)))
    for folder in {file.parent / "templates" for file in found}:  # the pages' Jinja templates run too
        if folder.is_dir():
            found.update(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith("."))
    root = Path(root).resolve()
    return sorted(file.relative_to(root).as_posix() for file in found)


def _imported_names(path: Path, package: str | None):
    """Dotted names `path` imports that may be modules: for `from m import x`, both `m` and `m.x`."""
    return _names_in(path.read_bytes(), str(path), package)


@functools.lru_cache(maxsize=1024)
def _names_in(source: bytes, filename: str, package: str | None) -> tuple[str, ...]:
    # keyed by content: every rule's closure re-reads the same modules when the Snakefile is parsed
    return tuple(_walk_imports(ast.parse(source, filename=filename), package))


def _statements(body: list):
    """Every statement of `body`, nested blocks included (imports are statements, so expressions,
    the bulk of a module's nodes, need no visit)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _walk_imports(tree: ast.Module, package: str | None):
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module
            else:  # relative: level 1 is the importing module's package, each further dot one up
                if package is None or node.level > package.count(".") + 1:
                    continue
                parts = package.split(".")[: package.count(".") + 2 - node.level]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def _module_file(package_dir: Path, parts: list[str]) -> Path | None:
    """The file that defines module `<package>.<parts...>`: a subpackage's __init__.py, else the .py file."""
    path = package_dir.joinpath(*parts)
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if parts and path.with_name(parts[-1] + ".py").is_file():
        return path.with_name(parts[-1] + ".py")
    return None
