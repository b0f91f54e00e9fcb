# gather: a study's run files → data/<study>/summary.nc. Provenance is checked, not only stored:
# the job receives, per point, the sha256 of the simulate params JSON the point must have been made
# from (`expected_run_sha256`, workflow/rules/provenance.smk), and refuses a run file made from
# other params (cisim.datasets.read_run, docs/reliability.md).

rule gather:
    input:
        runs=expand(f"{DATA}/runs/{{point}}.nc", point=sorted(POINTS)),
        code=code_inputs("gather"),
    output:
        f"{DATA}/summary.nc",
    params:
        study=NAME,
        expected_sha256=expected_run_sha256,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/gather/gather.log",
    localrule: True
    script:
        "../scripts/gather.py"
