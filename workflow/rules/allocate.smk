rule allocate:
    input:
        code=CORE + CONSTRUCTION,
    output:
        f"{DATA}/allocations/{{alloc}}.nc",
    params:
        cfg=allocation_params,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/allocate/{{alloc}}.log",
    script:
        "../scripts/allocate.py"
