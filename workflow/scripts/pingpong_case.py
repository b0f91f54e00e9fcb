"""Rule `pingpong_case`: build one ping-pong network, verify every circuit (z = 1), measure z = 2."""
import json
import logging

from cisim import datasets
from cisim.jobs import pingpong

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
case = json.loads(snakemake.params.case)
verify, accounting, pairs = pingpong.run_case(case, log=logging.info)
attrs = datasets.provenance(snakemake.params.case, rule="pingpong_case")
ds = datasets.pingpong_to_dataset(case, snakemake.wildcards.case, verify, accounting, pairs, attrs)
datasets.write(ds, snakemake.output[0])
