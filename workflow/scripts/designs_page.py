"""Rule `designs_page`: reports/<study>/designs/index.html with the frontier and per-layer figures."""
import json
import logging

import pandas as pd

from cisim import datasets, files
from cisim.analysis import designs
from cisim.pages import designs as page
from cisim.pages.html import page_commit
from cisim.plots import designs as plots

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
report = json.loads(snakemake.params.report)
ref = designs.Slice.from_report(report)
ds = datasets.read_summary(snakemake.input.summary)
summary = pd.read_csv(snakemake.input.frontier, keep_default_na=False, na_values=[""])
summary["baseline_status"] = summary["baseline_status"].astype(str)
points = json.loads(snakemake.params.points)
summary = designs.with_reference(summary, points)  # T₀ = D/d and the gain T*/T₀ (cisim.analysis.costs)
pngs = {"frontier": plots.frontier_figure(summary, ref),
        "curves": plots.curves_figure(designs.curves(ds, designs.matched_settings(summary, ds, ref), ref))}
files.write_bytes(snakemake.output.frontier_png, pngs["frontier"])
files.write_bytes(snakemake.output.curves_png, pngs["curves"])
html = page.render(summary, ds, points, report, snakemake.params.study, pngs, page_commit("."))
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s (%d bytes)", files.publish_page(snakemake.output.page, html), len(html))
