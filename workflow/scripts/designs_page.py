"""Rule `designs_page`: reports/<study>/designs/index.html with the frontier and per-layer figures."""
import json
import logging
from pathlib import Path

import pandas as pd

from cisim import datasets, files, report_designs

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.report)
ds = datasets.read_summary(snakemake.input.summary)
summary = pd.read_csv(snakemake.input.frontier, keep_default_na=False, na_values=[""])
summary["baseline_status"] = summary["baseline_status"].astype(str)
settings = report_designs.matched_settings(summary, ds)
figures = {
    "frontier": (report_designs.frontier_figure(summary), "Capacity frontier per design and z (transversal, S = 6); bars: 95 % CI over seeds."),
    "curves": (report_designs.curves_figure(report_designs.curves(ds, settings)), "Per-layer mean error of x, false-on and failed-rotation rates per design at matched settings (z = 2, the baseline's tested capacity and one T step above; zeros drawn at 1e-6)."),
}
files.write_bytes(snakemake.output.frontier_png, figures["frontier"][0])
files.write_bytes(snakemake.output.curves_png, figures["curves"][0])
commit, dirty = datasets.git_state(Path(".").resolve())
page = report_designs.render(summary, ds, json.loads(snakemake.params.points), cfg, snakemake.params.study, figures,
                             extra={"git commit of the page": f"{commit} (dirty: {dirty})"})
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s (%d bytes)", files.publish_page(snakemake.output.page, page), len(page))
