# gather: a study's run files → data/<study>/summary.nc. Provenance is checked, not only stored:
# the job receives, per point, the sha256 of the simulate params JSON the point must have been made
# from, and refuses a run file made from other params (cisim.datasets.read_run, docs/reliability.md).
from types import SimpleNamespace

from cisim.datasets import config_sha256


def expected_run_sha256(wildcards):
    """{point: sha256 of its simulate params JSON}, as sorted JSON: the hash `datasets.provenance`
    stores in a run file made from exactly the params `simulate` receives for that point now."""
    return cisim_config.to_json({point: config_sha256(simulate_params(SimpleNamespace(point=point))) for point in sorted(POINTS)})


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
