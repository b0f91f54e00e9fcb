# Report stage: one `plot` job per figure of cisim.plots.CATALOG, then the static index.html.
# Captions: workflow/report/plot.rst (per figure, selected by the `figure` wildcard), the only
# captions: the Snakemake report and the page (an input of `publish`) both read it.
# Every rule writes only under reports/<study>/, so two studies can run side by side in one
# checkout (Snakemake locks output files); the shared landing page reports/index.html is rewritten
# by each study's `landing` job, under a file lock, and is no rule's declared output. Pages are
# declared through their receipts (`published`, workflow/rules/provenance.smk).
from cisim.plots.catalog import CATALOG as FIGURE_CATALOG  # no matplotlib at parse time

FIGURE_NAMES = list(FIGURE_CATALOG)  # the post's figure order



rule plot:
    input:
        summary=f"{DATA}/summary.nc",
        code=code_inputs("plot"),
    output:
        report(
            f"{REPORTS}/figures/{{figure}}.png",
            caption="../report/plot.rst",
            category=lambda wc: FIGURE_CATALOG[wc.figure].category,
            labels=lambda wc: {"figure": wc.figure, "post figure": FIGURE_CATALOG[wc.figure].post},
        ),
    params:
        report=cisim_config.to_json(CFG["report"]),
    wildcard_constraints:
        figure="|".join(FIGURE_NAMES),
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/plot/{{figure}}.log",
    localrule: True
    script:
        "../scripts/plot.py"


rule publish:
    input:
        summary=f"{DATA}/summary.nc",
        figures=expand(f"{REPORTS}/figures/{{figure}}.png", figure=FIGURE_NAMES),
        captions="workflow/report/plot.rst",
        code=code_inputs("publish"),
    output:
        published(STUDY_PAGE),
    params:
        report=cisim_config.to_json(CFG["report"]),
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/publish/publish.log",
    localrule: True
    script:
        "../scripts/publish.py"


rule landing:
    input:
        # this study's pages in `rule all` (PINGPONG_TARGETS, CORRECTION_TARGETS: workflow/rules/pingpong.smk,
        # correction.smk; read when the DAG is built)
        pages=lambda wc: [published(STUDY_PAGE), *PINGPONG_TARGETS, *CORRECTION_TARGETS],
        code=code_inputs("landing"),
    output:
        LANDING_MARK,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/landing/landing.log",
    localrule: True
    script:
        "../scripts/landing.py"
