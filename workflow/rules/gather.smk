rule gather:
    input:
        runs=expand(f"{DATA}/runs/{{point}}.nc", point=sorted(POINTS)),
        code=code_inputs("gather"),
    output:
        f"{DATA}/summary.nc",
    params:
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/gather/gather.log",
    localrule: True
    script:
        "../scripts/gather.py"
