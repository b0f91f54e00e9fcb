# Capacity frontier and the designs comparison page. Target: `designs`
#   snakemake --cores 2 --config study=designs designs
# (any study works; the page is most useful for the `designs` and `designs_tiny` studies).

rule designs_frontier:
    input:
        summary=f"{DATA}/summary.nc",
        code=code_inputs("designs_frontier"),
    output:
        per_seed=f"{DATA}/frontier_per_seed.csv",
        summary=f"{DATA}/frontier.csv",
    params:
        report=cisim_config.to_json(CFG["report"]),
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/designs_frontier/designs_frontier.log",
    localrule: True
    script:
        "../scripts/designs_frontier.py"


rule designs_page:
    input:
        summary=f"{DATA}/summary.nc",
        frontier=f"{DATA}/frontier.csv",
        code=code_inputs("designs_page"),
    output:
        page=published(f"{REPORTS}/designs/index.html"),  # the page, through its receipt (provenance.smk)
        frontier_png=f"{REPORTS}/designs/frontier.png",
        curves_png=f"{REPORTS}/designs/curves.png",
    params:
        report=cisim_config.to_json(CFG["report"]),
        points=cisim_config.to_json(list(POINTS.values())),
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/designs_page/designs_page.log",
    localrule: True
    script:
        "../scripts/designs_page.py"


rule designs:
    input:
        f"{DATA}/summary.nc",
        f"{DATA}/frontier.csv",
        published(f"{REPORTS}/designs/index.html"),
    localrule: True
