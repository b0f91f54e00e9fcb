"""Rule `gather`: combine a study's run files into one dataset (xr.combine_by_coords).

Each run file must have been made from the simulate params this run expects for its point
(params.expected_sha256: point → sha256 of that JSON); a file made from others is refused.
"""
import json
import logging
from pathlib import Path

from cisim import datasets

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
expected = json.loads(snakemake.params.expected_sha256)
runs = {path: expected[Path(path).stem] for path in snakemake.input.runs}
summary = datasets.gather(list(runs), expected_sha256=runs, run_config=snakemake.config)
summary.attrs.update(title=f"cisim study '{snakemake.params.study}'", snakemake_rule="gather")
logging.info("gathered %d points: %s", summary.sizes["point"], dict(summary.sizes))
datasets.write(summary, snakemake.output[0])
