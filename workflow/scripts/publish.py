"""Rule `publish`: the static reports/<study>/index.html (tables, sentences, embedded figures)."""
import json
import logging
from pathlib import Path

from cisim import datasets, plots, report

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(message)s")
cfg = json.loads(snakemake.params.report)
summary = datasets.read_summary(snakemake.input.summary)
figures = {}
for path in snakemake.input.figures:
    fn = plots.FIGURES[Path(path).stem]
    figures[Path(path).stem] = (Path(path).read_bytes(), fn.post, " ".join(fn.__doc__.split("\n\n")[0].split()))
commit, dirty = datasets.git_state(Path(".").resolve())
html = report.render_index(summary, cfg, snakemake.params.study, figures, extra={"git commit of the page": f"{commit} (dirty: {dirty})"})
Path(snakemake.output[0]).write_text(html)
logging.info("wrote %s (%d figures, %d bytes)", snakemake.output[0], len(figures), len(html))
# The headline answer, also in the log that `make run` prints at the end.
table = report.working_thresholds(summary, cfg)[["n_active", "n_points", "threshold", "first_failure"]]
logging.info("working threshold on the superposition load T(d/D)^2 (seed mean; page: %s):\n%s", snakemake.output[0], table.to_string(index=False))
