# Constructions for z ≥ 1 on the plane (parameters, z) at fixed T and target error (docs/constructions.md):
# the exact lane constructions sized and verified, the post's construction measured by the sweep.
# Page: reports/<study>/constructions/index.html, in `rule all` for studies with `constructions.n_circuits`
# (CONSTRUCTIONS_TARGETS); target `constructions` builds only it.
#   snakemake --cores 2 constructions --config study=constructions      (or constructions_tiny)
CONSTRUCTIONS_PAGE = f"{REPORTS}/constructions/index.html"
CONSTRUCTIONS_TARGETS = [published(CONSTRUCTIONS_PAGE)] if CFG["constructions"]["n_circuits"] else []


rule constructions_sizing:
    input:
        code=code_inputs("constructions_sizing"),
    output:
        sizing=f"{DATA}/constructions/sizing.csv",
        verification=f"{DATA}/constructions/verification.csv",
    params:
        constructions=cisim_config.to_json(CFG["constructions"]),
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/constructions_sizing/constructions_sizing.log",
    script:
        "../scripts/constructions_sizing.py"


rule constructions_page:
    input:
        summary=f"{DATA}/summary.nc",
        sizing=f"{DATA}/constructions/sizing.csv",
        verification=f"{DATA}/constructions/verification.csv",
        code=code_inputs("constructions_page"),
    output:
        page=published(CONSTRUCTIONS_PAGE),
        numbers=f"{REPORTS}/constructions/numbers.json",
    params:
        report=cisim_config.to_json(CFG["report"]),
        constructions=cisim_config.to_json(CFG["constructions"]),
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/constructions_page/constructions_page.log",
    localrule: True
    script:
        "../scripts/constructions_page.py"


rule constructions:
    input:
        published(CONSTRUCTIONS_PAGE),
    localrule: True
