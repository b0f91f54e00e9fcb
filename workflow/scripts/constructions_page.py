"""Rule `constructions_page`: reports/<study>/constructions/index.html (+ numbers.json)."""
import json
import logging

import pandas as pd

from cisim import datasets, files
from cisim.pages import constructions
from cisim.pages.html import page_commit

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
ds = datasets.read_summary(snakemake.input.summary)
sizing = pd.read_csv(snakemake.input.sizing)
verification = pd.read_csv(snakemake.input.verification)
provenance = {"study": snakemake.params.study, **page_commit(".")}
html, numbers = constructions.page(ds, sizing, verification, json.loads(snakemake.params.report),
                                   json.loads(snakemake.params.constructions), snakemake.params.study, provenance)
files.write_bytes(snakemake.output.numbers, json.dumps(numbers, indent=1, default=str).encode())
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s (%d bytes)", files.publish_page(snakemake.output.page, html), len(html))
