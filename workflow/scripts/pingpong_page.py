"""Rule `pingpong_page`: reports/<study>/pingpong/index.html (+ numbers.json), ping-pong vs the baseline."""
import json
import logging
from pathlib import Path

from cisim import datasets
from cisim.pingpong import report

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
ds = datasets.read_summary(snakemake.input.summary)
cases, pairs = datasets.pingpong_tables(snakemake.input.cases)
commit, dirty = datasets.git_state(Path(".").resolve())
footer = {"study": snakemake.params.study, "git commit of the page": f"{commit} (dirty: {dirty})",
          "ping-pong case commits": ", ".join(sorted(set(cases["git_commit"])))}
html, numbers, figures = report.pingpong_page(ds, cases, pairs, json.loads(snakemake.params.report), snakemake.params.study, footer)
Path(snakemake.output.page).write_text(html)
Path(snakemake.output.numbers).write_text(json.dumps(numbers, indent=1, default=str))
logging.info("wrote %s (%d bytes)", snakemake.output.page, len(html))
