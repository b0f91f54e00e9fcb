"""Rule `simulate`: every seed and z of one point; progress (samples/s, ETA) goes to the log."""
import json
import logging

from cisim import datasets, jobs

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.cfg)
allocations = datasets.read_allocations(snakemake.input.allocation)
results, diagnostics, backend = jobs.simulate_point(cfg, allocations)
attrs = datasets.provenance(snakemake.params.cfg, backend=backend, rule="simulate")
times = {f"seed{s}_z{z}": round(r.seconds, 3) for (s, z), r in results.items()}
attrs.update(wall_time_seconds=round(sum(times.values()), 3), wall_times_json=json.dumps(times))
ds = datasets.run_to_dataset(cfg["point"], snakemake.wildcards.point, results, diagnostics, attrs)
datasets.write(ds, snakemake.output[0])
