"""Rule `dynamic_page`: reports/<study>/dynamic/index.html (+ numbers.json), static vs dynamic activity."""
import json
import logging

from cisim import datasets, files
from cisim.analysis.pingpong import implied_active_counts
from cisim.pages import dynamic, html

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
ds = datasets.read_summary(snakemake.input.summary)
sim = json.loads(snakemake.params.sim)
counts = implied_active_counts(json.loads(snakemake.params.points), sim["seeds"], sim["exhaustive_z1"])
provenance = {"study": snakemake.params.study, **html.page_commit(".")}
page, numbers = dynamic.page(ds, json.loads(snakemake.params.report), snakemake.params.study, provenance, counts)
files.write_bytes(snakemake.output.numbers, json.dumps(numbers, indent=1, default=str).encode())
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s (%d bytes)", files.publish_page(snakemake.output.page, page), len(page))
