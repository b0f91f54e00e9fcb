"""Rule `publish`: the static reports/<study>/index.html (tables, sentences, embedded figures).

The rule declares the page's receipt, index.html.sha256; the page is renamed into place only when
complete, so a failing rerun keeps the last good page (cisim.files.publish_page).
"""
import json
import logging
from pathlib import Path

from cisim import datasets, files
from cisim.analysis import paper
from cisim.pages import paper as page

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(message)s")
cfg = json.loads(snakemake.params.report)
summary = datasets.read_summary(snakemake.input.summary)
figures = {Path(path).stem: Path(path).read_bytes() for path in snakemake.input.figures}
html = page.render(summary, cfg, snakemake.params.study, figures, snakemake.input.captions, root=".")
# The headline answer, also in the log that `make run` prints at the end; computed before the page
# is put in place, so that nothing can fail after the previous page was replaced.
table = paper.working_thresholds(summary, cfg)[["n_active", "n_points", "threshold", "first_failure"]]
path = files.publish_page(snakemake.output[0], html)
logging.info("wrote %s (%d figures, %d bytes)", path, len(figures), len(html))
logging.info("working threshold on the superposition load T(d/D)^2 (seed mean; page: %s):\n%s", path, table.to_string(index=False))
