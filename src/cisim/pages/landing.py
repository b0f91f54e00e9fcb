"""The landing page reports/index.html: one line per study with a page, linking all its pages.

The page is shared by every study, so it is no rule's declared output (Snakemake would lock it for
one study at a time): each study's `landing` job rewrites it with `refresh`.
"""

from __future__ import annotations

from pathlib import Path

from .. import files
from . import html


def studies(root: Path) -> list[dict]:
    """The studies with a page under `root` (reports/): [{name, zip, pages}], pages being the study's
    other pages relative to its folder (e.g. "designs/index.html"), sorted."""
    return [
        {"name": d.name, "zip": (d / "report.zip").exists(),
         "pages": sorted(p.relative_to(d).as_posix() for p in [*d.glob("*.html"), *d.glob("*/index.html")] if p != d / "index.html")}
        for d in sorted(Path(root).iterdir())
        if d.is_dir() and (d / "index.html").exists()
    ]


def render(studies: list[dict], commit: dict) -> str:
    """reports/index.html from `studies` ([{name, zip: bool, pages: [other .html]}]); `commit`: the
    footer row (`html.page_commit`)."""
    return html.render("landing.html.j2", title="reports", studies=studies, provenance=commit)


def refresh(root, mark, repo=".") -> Path:
    """Rewrite `root`/index.html from the study pages present under `root`; returns its path.

    Atomic, under an exclusive lock on `root`/.landing.lock so that two studies finishing together
    both end up listed; then writes this study's `mark` (reports/<study>/.landing: the checksum
    line of the page it wrote). `repo`: the checkout named in the footer.
    """
    root = Path(root)
    page = root / "index.html"
    commit = html.page_commit(repo)
    with files.locked(root / ".landing.lock"):
        files.write_bytes(page, render(studies(root), commit).encode())
        line = files.checksum_line(page).replace(f"  {page.name}", f"  {page.as_posix()}")
    files.write_bytes(mark, line.encode())
    return page
