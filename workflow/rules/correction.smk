# The error-correction comparison (docs/correction.md): wide circuits, indicator copies, decoding,
# correction layers and larger S. Page: reports/<study>/correction/index.html, in `rule all` for the
# correction* studies (CORRECTION_TARGETS); target `correction` builds only it.
#   snakemake --cores 2 correction --config study=correction      (or correction_tiny)
CORRECTION_PAGE = f"{REPORTS}/correction/index.html"
CORRECTION_TARGETS = [published(CORRECTION_PAGE)] if NAME.startswith("correction") else []


rule correction_page:
    input:
        summary=f"{DATA}/summary.nc",
        frontier=f"{DATA}/frontier.csv",
        code=code_inputs("correction_page"),
    output:
        page=published(CORRECTION_PAGE),
        numbers=f"{REPORTS}/correction/numbers.json",
        png=f"{REPORTS}/correction/capacities.png",
    params:
        report=cisim_config.to_json(CFG["report"]),
        points=cisim_config.to_json(list(POINTS.values())),
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/correction_page/correction_page.log",
    localrule: True
    script:
        "../scripts/correction_page.py"


rule correction:
    input:
        published(CORRECTION_PAGE),
    localrule: True
