# What the outputs prove and what the inputs must prove (docs/reliability.md), shared by the rules:
# the config hash a job expects of each file it reads (checked by cisim.datasets), the page receipts
# page rules declare instead of their pages, and the landing mark. Functions only (no rules).
from types import SimpleNamespace

from cisim.datasets import config_sha256


def expected_run_sha256(wildcards):
    """{point: sha256 of its simulate params JSON}, as sorted JSON (`gather`'s params): the hash
    `datasets.provenance` stores in a run file made from exactly the params `simulate` receives for
    that point now (`simulate_params`, workflow/rules/common.smk), hashed the same way."""
    return cisim_config.to_json({point: config_sha256(simulate_params(SimpleNamespace(point=point))) for point in sorted(POINTS)})


def expected_allocation_sha256(wildcards):
    """sha256 of the allocation params JSON this point's allocation file must have been made from
    (`allocation_params`, hashed as `datasets.provenance` hashes it; `simulate`'s params)."""
    alloc = allocation_label(POINTS[wildcards.point])
    return config_sha256(allocation_params(SimpleNamespace(alloc=alloc)))


def published(page):
    """The output page rules declare instead of their page, its receipt `<page>.sha256` (the page's
    checksum line, cisim.files.publish_page). Snakemake deletes a job's declared outputs before it
    reruns it and after it fails, so a declared page would be gone after a failing rerun; with the
    receipt declared, the last good page stays until the new one is renamed over it, and the missing
    receipt makes the next run retry (docs/reliability.md, "A failing rerun keeps the last good page")."""
    return f"{page}.sha256"


STUDY_PAGE = f"{REPORTS}/index.html"
# reports/index.html is shared by all studies, so it is nobody's declared output; each study's
# `landing` job rewrites it under a lock and declares this mark (the checksum line of the page it wrote).
LANDING_MARK = f"{REPORTS}/.landing"
