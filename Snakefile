# cisim: Hydra configs → allocate → simulate → gather → plot → publish.
# Run:     snakemake --workflow-profile profiles/default [--config study=tiny 'overrides=["sim.seeds=[0,1]"]']
# Report:  snakemake --report reports/report.zip   (same --config as the run)
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/allocate.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/gather.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/designs.smk"
include: "workflow/rules/scaling.smk"
include: "workflow/rules/pingpong.smk"
include: "workflow/rules/correction.smk"
include: "workflow/rules/constructions.smk"


report: "workflow/report/workflow.rst"


rule all:
    input:
        f"{DATA}/summary.nc",
        expand(f"{REPORTS}/figures/{{figure}}.png", figure=FIGURE_NAMES),
        published(STUDY_PAGE),  # reports/<study>/index.html, through its receipt (workflow/rules/report.smk)
        LANDING_MARK,  # reports/index.html, linking every study's pages, refreshed by this study
        PINGPONG_TARGETS,  # ping-pong / dynamic page receipts, only for the pingpong* / dynamic* studies
        CORRECTION_TARGETS,  # the correction page's receipt, only for the correction* studies
        CONSTRUCTIONS_TARGETS,  # the constructions page's receipt, only for studies with constructions.n_circuits
    default_target: True
    localrule: True
