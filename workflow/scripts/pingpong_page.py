"""Rule `pingpong_page`: reports/<study>/pingpong/index.html (+ numbers.json), ping-pong vs the baseline."""
import json
import logging

from cisim import datasets, files
from cisim.pages import html, pingpong

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
ds = datasets.read_summary(snakemake.input.summary)
cases, pairs = datasets.pingpong_tables(snakemake.input.cases)
provenance = {"study": snakemake.params.study, **html.page_commit("."),
              "ping-pong case commits": ", ".join(sorted(set(cases["git_commit"])))}
page, numbers = pingpong.page(ds, cases, pairs, json.loads(snakemake.params.report), snakemake.params.study, provenance)
files.write_bytes(snakemake.output.numbers, json.dumps(numbers, indent=1, default=str).encode())
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s (%d bytes)", files.publish_page(snakemake.output.page, page), len(page))
