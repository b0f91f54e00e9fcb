"""Rule `correction_page`: reports/<study>/correction/index.html (+ numbers.json, capacities.png)."""
import json
import logging

import pandas as pd

from cisim import datasets, files
from cisim.pages import correction
from cisim.pages.html import page_commit

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
ds = datasets.read_summary(snakemake.input.summary)
summary = pd.read_csv(snakemake.input.frontier, keep_default_na=False, na_values=[""])
points = json.loads(snakemake.params.points)
provenance = {"study": snakemake.params.study, **page_commit(".")}
html, numbers, png = correction.page(summary, ds, points, json.loads(snakemake.params.report), snakemake.params.study, provenance)
files.write_bytes(snakemake.output.numbers, json.dumps(numbers, indent=1, default=str).encode())
files.write_bytes(snakemake.output.png, png or b"")
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s (%d bytes)", files.publish_page(snakemake.output.page, html), len(html))
