"""Rule `designs_frontier`: the capacity frontier tables (per seed and summarised) as CSV."""
import json
import logging

from cisim import datasets, frontier

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.report)
ds = datasets.read_summary(snakemake.input.summary)
seeds, summary = frontier.frontier(frontier.table(ds), cfg)
seeds.to_csv(snakemake.output.per_seed, index=False, float_format="%.6g")
summary.to_csv(snakemake.output.summary, index=False, float_format="%.6g")
logging.info("frontier: %d groups, %d seed rows", len(summary), len(seeds))
