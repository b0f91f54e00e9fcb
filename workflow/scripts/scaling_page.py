"""Rule `scaling_page`: the scaling study's page (threshold on T(d/D)² vs D, trend fit)."""
import json
import logging
from pathlib import Path

from cisim import datasets, files
from cisim.analysis import trends
from cisim.pages import scaling as page
from cisim.plots import scaling as plots

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.report)
runs = {Path(path).stem: datasets.run_attrs(path) for path in snakemake.input.runs}
t = trends.trends(datasets.read_summary(snakemake.input.summary), runs, cfg)
png = plots.threshold_vs_d(t.seeds, t.bands, t.theory, float(cfg["mse_threshold"]))
out = snakemake.output
files.write_bytes(out.figure, png)
for path, table in ((out.thresholds, t.seeds), (out.fits, t.fits), (out.costs, t.costs), (out.gains, t.gains),
                    (out.best, t.best), (out.laws, t.laws)):
    files.write_bytes(path, table.to_csv(index=False).encode())
html = page.render(t, png, snakemake.params.study, cfg, Path("."), plots.gain_vs_d(t.gains))
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s: %d thresholds, %d fits", files.publish_page(out.page, html), len(t.seeds), len(t.fits))
