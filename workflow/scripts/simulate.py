"""Rule `simulate`: every seed and z of one point; progress (samples/s, ETA) goes to the log."""
import json
import logging
import resource
import time

START = time.perf_counter()

from cisim import datasets
from cisim.jobs.simulate import simulate_point

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
cfg = json.loads(snakemake.params.cfg)
# refuse an allocation file made from other params than this point's (docs/reliability.md)
allocations = datasets.read_allocations(snakemake.input.allocation, snakemake.params.allocation_sha256, snakemake.config)
results, diagnostics, backend = simulate_point(cfg, allocations)
attrs = datasets.provenance(snakemake.params.cfg, backend=backend, rule="simulate")
times = {f"seed{s}_z{z}": round(r.seconds, 3) for (s, z), r in results.items()}
attrs.update(wall_time_seconds=round(sum(times.values()), 3), wall_times_json=json.dumps(times))
# which weight-layer path ran (cisim.simulate.operators): dense, structured or mixed, and why, per seed and z
attrs.update(forward=",".join(sorted({r.forward for r in results.values()})),
             forward_json=json.dumps({f"seed{s}_z{z}": {"forward": r.forward, "detail": r.forward_detail, "readout": r.readout,
                                                        "batch_size": r.batch_size} for (s, z), r in results.items()}))
# the whole job (build, prepare and every run): per-point time and memory limits (docs/benchmarks.md)
attrs.update(job_seconds=round(time.perf_counter() - START, 1), peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
datasets.write_run(cfg["point"], snakemake.wildcards.point, results, diagnostics, attrs, cfg["sim"]["n_trajectories"], snakemake.output[0])
