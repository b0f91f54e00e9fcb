# The ping-pong construction (every circuit verified at z = 1, z = 2 breakage) and the
# static-vs-dynamic comparison. Pages: reports/<study>/pingpong/index.html, reports/<study>/dynamic/index.html.
#   snakemake --cores 2 --config study=pingpong      (or pingpong_tiny): ping-pong cases + baseline z = 1, 2 sweep
#   snakemake --cores 2 --config study=dynamic       (or dynamic_tiny): baseline vs cross_circuit sweeps
# Their pages are in `rule all` for those studies (PINGPONG_TARGETS); targets `pingpong` / `dynamic` build only them.
from cisim.jobs import pingpong as pingpong_job

# the study's ping-pong cases (config `pingpong`); the rotation cases run at every D of the sweep
PINGPONG_CASES = pingpong_job.cases(CFG["pingpong"], [p["d_model"] for p in POINTS.values()])
# a static-vs-dynamic study: its sweep runs both the baseline and cross_circuit designs
DYNAMIC_STUDY = {"baseline", "cross_circuit"} <= {p["design"] for p in POINTS.values()}
PINGPONG_PAGE = f"{REPORTS}/pingpong/index.html"
DYNAMIC_PAGE = f"{REPORTS}/dynamic/index.html"
# pages are targeted through their receipts (`published`, workflow/rules/provenance.smk)
PINGPONG_TARGETS = ([published(PINGPONG_PAGE)] if PINGPONG_CASES else []) + ([published(DYNAMIC_PAGE)] if DYNAMIC_STUDY else [])


rule pingpong_case:
    input:
        code=code_inputs("pingpong_case"),
    output:
        f"{DATA}/pingpong/{{case}}.nc",
    params:
        case=lambda wc: cisim_config.to_json(PINGPONG_CASES[wc.case]),
    wildcard_constraints:
        case="|".join(PINGPONG_CASES) or "no-pingpong-cases",
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/pingpong_case/{{case}}.log",
    script:
        "../scripts/pingpong_case.py"


rule pingpong_page:
    input:
        summary=f"{DATA}/summary.nc",
        cases=expand(f"{DATA}/pingpong/{{case}}.nc", case=sorted(PINGPONG_CASES)),
        code=code_inputs("pingpong_page"),
    output:
        page=published(PINGPONG_PAGE),
        numbers=f"{REPORTS}/pingpong/numbers.json",
    params:
        report=cisim_config.to_json(CFG["report"]),
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/pingpong_page/pingpong_page.log",
    localrule: True
    script:
        "../scripts/pingpong_page.py"


rule dynamic_page:
    input:
        summary=f"{DATA}/summary.nc",
        code=code_inputs("dynamic_page"),
    output:
        page=published(DYNAMIC_PAGE),
        numbers=f"{REPORTS}/dynamic/numbers.json",
    params:
        report=cisim_config.to_json(CFG["report"]),
        points=cisim_config.to_json(list(POINTS.values())),
        sim=cisim_config.to_json(CFG["sim"]),
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/dynamic_page/dynamic_page.log",
    localrule: True
    script:
        "../scripts/dynamic_page.py"


rule pingpong:
    input:
        published(PINGPONG_PAGE),
    localrule: True


rule dynamic:
    input:
        published(DYNAMIC_PAGE),
    localrule: True
