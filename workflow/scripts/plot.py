"""Rule `plot`: draw one figure of cisim.plots.FIGURES from the gathered summary."""
import json
import logging

from cisim import datasets, files, plots

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
logging.captureWarnings(True)
cfg = json.loads(snakemake.params.report)
summary = datasets.read_summary(snakemake.input.summary)
fig = plots.FIGURES[snakemake.wildcards.figure](summary, cfg)
files.write_bytes(snakemake.output[0], plots.png(fig))
logging.info("wrote %s (%s)", snakemake.output[0], snakemake.wildcards.figure)
