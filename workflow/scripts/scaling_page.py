"""Rule `scaling_page`: the scaling study's page (threshold on T(d/D)² vs D, trend fit)."""
import json
import logging
from pathlib import Path

import pandas as pd
import xarray as xr

from cisim import asymptotics, datasets, files

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.report)
ds = datasets.read_summary(snakemake.input.summary)
seeds = asymptotics.thresholds(ds, cfg)
grid = sorted(seeds["d_model"].unique())
fits, bands = asymptotics.fit_trend(seeds, grid=grid)
large = grid[-3] if len(grid) >= 4 else 0  # the large-D end: the three largest widths
for column in ("threshold", "threshold_mse", "threshold_fo"):  # each criterion alone, and the large-D end (fits only)
    if column in seeds:
        parts = [asymptotics.fit_trend(seeds, grid=grid, column=column)[0]] if column != "threshold" else []
        if large:
            parts.append(asymptotics.fit_trend(seeds, grid=grid, column=column, min_width=large)[0])
        fits = pd.concat([fits, *parts], ignore_index=True)
table = asymptotics.summary_table(seeds)
attrs = {}
for path in snakemake.input.runs:
    with xr.open_dataset(path) as run:
        attrs[Path(path).stem] = dict(run.attrs)
costs = asymptotics.run_costs(attrs)
png = asymptotics.figure(seeds, bands, cfg)
out = snakemake.output
files.write_bytes(out.figure, png)
seeds.to_csv(out.thresholds, index=False)
fits.to_csv(out.fits, index=False)
costs.to_csv(out.costs, index=False)
commit, dirty = datasets.git_state(Path(".").resolve())
extra = {"git commit of the page": f"{commit} (dirty: {dirty})", "points": len(costs),
         "seeds": ",".join(str(s) for s in sorted(seeds["seed"].unique())),
         "sampled active sets per (point, seed, z)": ",".join(str(int(n)) for n in sorted(costs["n_samples"].dropna().unique())),
         "bootstrap resamples": 2000}
shapes = pd.concat([asymptotics.shape_comparison(seeds, c) for c in ("threshold", "threshold_mse", "threshold_fo") if c in seeds],
                   ignore_index=True)
page = asymptotics.render(seeds, fits, table, costs, png, snakemake.params.study, cfg, extra, shapes)
# the rule declares the page's receipt: a failing rerun keeps the last good page (cisim.files.publish_page)
logging.info("wrote %s: %d thresholds, %d fits", files.publish_page(out.page, page), len(seeds), len(fits))
