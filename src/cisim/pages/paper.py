"""The `paper` study page, reports/<study>/index.html: the numbers of `analysis.paper` in
sentences and tables, the figures of `cisim.plots` with their captions, provenance.

Captions have one home, workflow/report/plot.rst, the caption file of rule `plot` in the Snakemake
report: a Jinja template (rendered by Snakemake with `snakemake.wildcards.figure`) whose text uses
reStructuredText's bold (`**…**`) and literal (` ``…`` `) inline markup. `caption` renders it here
the same way for one figure, so the page and report.zip say the same.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from jinja2 import Environment
from markupsafe import Markup, escape

from ..analysis import paper
from ..analysis.tables import main_table, network
from . import html

# Snakemake renders caption files with these settings (snakemake.report).
CAPTION_ENV = Environment(trim_blocks=True, lstrip_blocks=True)
INLINE = [(re.compile(r"\*\*(.+?)\*\*", re.S), "<b>{}</b>"), (re.compile(r"``(.+?)``", re.S), "<code>{}</code>")]


def caption(path, figure: str) -> Markup:
    """The caption of `figure` in the caption file at `path`, as HTML (bold and literal inline
    markup kept, lines joined); empty when the file has no text for it."""
    text = CAPTION_ENV.from_string(Path(path).read_text(encoding="utf-8")).render(
        snakemake=SimpleNamespace(wildcards=SimpleNamespace(figure=figure)))
    out = str(escape(" ".join(text.split())))
    for pattern, tag in INLINE:
        out = pattern.sub(lambda m, tag=tag: tag.format(m.group(1)), out)
    return Markup(out)


def provenance_rows(prov: dict, study: str, commit: dict) -> dict:
    """The page's provenance table: study, the runs' and the page's commits, seeds, backend,
    versions, the report config and the runs' config hashes (folded)."""
    hashes = Markup("<details><summary>show</summary>{}</details>").format(Markup("<br>").join(prov["config_sha256"]))
    return {
        "study": f"{study} ({prov['title']}), {html.fmt(prov['n_points'])} points",
        "git commit of the runs": f"{', '.join(prov['git_commits'])} (dirty: {prov['git_dirty']})",
        **commit,
        "seeds": ", ".join(html.fmt(s) for s in prov["seeds"]),
        "backend": prov["backend"],
        "versions": "; ".join(f"{k} {v}" for k, v in prov["versions"].items()),
        "report config": Markup("<code>{}</code> (sha256 {})").format(prov["report_config"], prov["report_config_sha256"][:12]),
        f"run config sha256 ({html.fmt(len(prov['config_sha256']))})": hashes,
    }


def render(ds, cfg, study: str, figures: dict | None = None, captions=None, root=None) -> str:
    """The page for summary `ds` and the `report` config group `cfg`. figures: {name: PNG bytes},
    in page order; captions: the caption file (workflow/report/plot.rst); root: the checkout
    whose commit the footer names (`html.page_commit`; none when omitted)."""
    prov = paper.provenance(ds, cfg)
    diverged = paper.diverged_runs(ds)
    figs = [html.figure(png, caption(captions, name) if captions else "", name) for name, png in (figures or {}).items()]
    return html.render(
        "paper.html.j2", title=study, study=study, cfg=cfg, seeds=prov["seeds"],
        net=network(main_table(ds, ["mse_x_active"], cfg)), chi=paper.chi_settings(ds, cfg),
        claims=paper.main_claims(ds, cfg).to_dict("records"),
        errors=paper.main_errors(ds, cfg).to_dict("records"),
        thresholds=paper.working_thresholds(ds, cfg).to_dict("records"),
        diverged=len(diverged), diverged_table=html.table(diverged, {"point": "point", "seed": "seed", "n_active": "z",
                                                                       "first_layer": "first non-finite layer"}),
        figures=figs, provenance=provenance_rows(prov, study, html.page_commit(root) if root is not None else {}),
    )
