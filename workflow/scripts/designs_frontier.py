"""Rule `designs_frontier`: the capacity frontier tables (per seed and summarised) as CSV."""
import json
import logging

from cisim import datasets, files
from cisim.analysis import frontier

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.report)
ds = datasets.read_summary(snakemake.input.summary)
seeds, summary = frontier.frontier(frontier.table(ds), cfg)
files.write_bytes(snakemake.output.per_seed, seeds.to_csv(index=False, float_format="%.6g").encode())
files.write_bytes(snakemake.output.summary, summary.to_csv(index=False, float_format="%.6g").encode())
logging.info("frontier: %d groups, %d seed rows", len(summary), len(seeds))
