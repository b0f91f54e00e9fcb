"""Benchmark table: the cost of every point of a study that ran through the pipeline.

Reads data/<study>/runs/*.nc (attributes: simulate seconds, forward path, and — for runs written
after it was added — the whole job's seconds and peak memory) and logs/<study>/simulate/*.log
(first and last time stamp: the job's wall time, including building and preparing every seed's
network). Prints one row per point, slowest first, and totals. Usage:
    .venv/bin/python benchmarks/scaling_points.py [--study scaling] [--top 15]
"""

import argparse
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import xarray as xr

parser = argparse.ArgumentParser()
parser.add_argument("--study", default="scaling")
parser.add_argument("--top", type=int, default=15)
args = parser.parse_args()
root = Path(__file__).resolve().parents[1]


def log_seconds(path: Path) -> float:
    stamps = []
    for line in path.read_text().splitlines():
        try:
            stamps.append(dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"))
        except ValueError:
            continue
    return (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else float("nan")


rows = []
for path in sorted((root / "data" / args.study / "runs").glob("*.nc")):
    with xr.open_dataset(path) as ds:
        attrs = dict(ds.attrs)
    point = json.loads(attrs["config_json"])["point"]
    log = root / "logs" / args.study / "simulate" / f"{path.stem}.log"
    rows.append({"D": point["d_model"], "T": point["n_circuits"], "L": point["n_layers"], "samples": point["n_samples"],
                 "load": point["n_circuits"] * (4 / point["d_model"]) ** 2, "forward": attrs.get("forward", ""),
                 "simulate_s": attrs.get("wall_time_seconds"), "job_s": attrs.get("job_seconds", log_seconds(log) if log.exists() else float("nan")),
                 "peak_MB": attrs.get("peak_rss_mb", float("nan"))})
df = pd.DataFrame(rows).sort_values("job_s", ascending=False)
pd.set_option("display.width", 200)
print(df.head(args.top).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
print(f"{len(df)} points; total job time {df['job_s'].sum() / 3600:.2f} h, simulate time {df['simulate_s'].sum() / 3600:.2f} h; "
      f"points over 10 minutes: {(df['job_s'] > 600).sum()}")
print(df.groupby(["D", "forward"]).size().unstack(fill_value=0).to_string())
