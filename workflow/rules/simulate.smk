# simulate: every seed and z of one point. The job refuses an allocation file made from other
# allocation params than this point's (`expected_allocation_sha256`, workflow/rules/provenance.smk;
# cisim.datasets.read_allocations).

rule simulate:
    input:
        allocation=lambda wc: f"{DATA}/allocations/{allocation_label(POINTS[wc.point])}.nc",
        code=code_inputs("simulate"),
    output:
        f"{DATA}/runs/{{point}}.nc",
    params:
        cfg=simulate_params,
        allocation_sha256=expected_allocation_sha256,
    threads: 1
    resources:
        gpu=uses_gpu(),
        mem_mb=2000,
        runtime=60,
    priority: simulate_priority
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/simulate/{{point}}.log",
    benchmark:
        f"{LOGS}/benchmark/simulate/{{point}}.tsv"
    script:
        "../scripts/simulate.py"
