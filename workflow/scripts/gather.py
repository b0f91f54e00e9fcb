"""Rule `gather`: combine a study's run files into one dataset (xr.combine_by_coords)."""
import logging

from cisim import datasets

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
summary = datasets.gather(snakemake.input.runs)
summary.attrs.update(title=f"cisim study '{snakemake.params.study}'", snakemake_rule="gather")
logging.info("gathered %d points: %s", summary.sizes["point"], dict(summary.sizes))
datasets.write(summary, snakemake.output[0])
