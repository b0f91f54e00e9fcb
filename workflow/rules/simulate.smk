# simulate: every seed and z of one point. The job refuses an allocation file made from other
# allocation params than this point's (params.allocation_sha256; cisim.datasets.read_allocations).
from types import SimpleNamespace

from cisim.datasets import config_sha256


def expected_allocation_sha256(wildcards):
    """sha256 of the allocation params JSON this point's allocation file must have been made from
    (`allocation_params`, hashed as `datasets.provenance` hashes it; workflow/rules/gather.smk)."""
    alloc = allocation_label(POINTS[wildcards.point])
    return config_sha256(allocation_params(SimpleNamespace(alloc=alloc)))


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
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/simulate/{{point}}.log",
    benchmark:
        f"{LOGS}/benchmark/simulate/{{point}}.tsv"
    script:
        "../scripts/simulate.py"
