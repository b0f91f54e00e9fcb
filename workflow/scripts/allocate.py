"""Rule `allocate`: the allocations one simulation point's design needs, for every seed."""
import json
import logging

from cisim import datasets
from cisim.jobs.allocate import allocate_point

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.cfg)
allocations, summaries = allocate_point(cfg)
attrs = datasets.provenance(snakemake.params.cfg, rule="allocate")
datasets.write_allocations(allocations, summaries, attrs, snakemake.output[0])
