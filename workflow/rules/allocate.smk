rule allocate:
    input:
        code=code_inputs("allocate"),
    output:
        f"{DATA}/allocations/{{alloc}}.nc",
    params:
        cfg=allocation_params,
    priority: allocate_priority
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/allocate/{{alloc}}.log",
    benchmark:
        f"{LOGS}/benchmark/allocate/{{alloc}}.tsv"
    script:
        "../scripts/allocate.py"
