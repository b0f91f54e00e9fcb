"""What one `simulate` job computes: every seed and z of one simulation point."""

from __future__ import annotations

import logging
import time

import numpy as np

from .. import allocation, backend, construction, simulate

log = logging.getLogger("cisim")


class ProgressLog:
    """Logs samples done, samples/s and ETA after the first batch, then at most every `every` seconds."""

    def __init__(self, label: str, every: float = 5.0):
        self.label, self.every, self.start, self.last = label, every, time.perf_counter(), None

    def __call__(self, done: int, total: int):
        now = time.perf_counter() - self.start
        # the first batch at once (the rate and ETA are known from then on), then every `every` s
        if self.last is None or now - self.last >= self.every or done == total:
            self.last = now
            rate = done / now if now > 0 else float("inf")
            log.info("%s: %d/%d samples, %.0f samples/s, ETA %.1f s", self.label, done, total, rate, (total - done) / rate)


def simulate_point(cfg: dict, allocations: dict) -> tuple[dict, dict, str]:
    """Run every (seed, z) of one point. Returns results {(seed, z): Result}, allocation
    diagnostics {seed: dict} of the main allocation, and the backend that ran."""
    p, sim = cfg["point"], cfg["sim"]
    xp_name = backend.select(cfg["backend"]["name"], cfg["backend"]["fallback_to_cpu"])
    spec = construction.NetworkSpec.from_point(p)
    blocks = construction.get_design(spec.design).blocks(spec)
    results, diag = {}, {}
    prepared = network = None
    # every sample a seed's network runs (all z): the plan weighs building a dense matrix against it
    per_z = simulate.samples_per_z(spec.n_circuits, p["n_active"], p["n_samples"], sim["exhaustive_z1"])
    n_samples = sum(per_z.values())
    for seed in cfg["seeds"]:
        prepared = network = None  # free the previous seed's operators first (3 GB of dense weights at D = 16384, L = 4)
        circuits, network = construction.build(spec, seed, allocations[seed])
        name = sorted(allocations[seed])[0]
        diag[seed] = allocation.summarize(allocations[seed][name], blocks[name])
        prepared = simulate.prepare(network, circuits, np.dtype(sim["dtype"]), sim.get("forward", "auto"), xp_name, n_samples)
        log.info("seed %d: forward pass prepared in %.2f s: %s", seed, prepared.seconds, prepared.plan.summary)
        for z in p["n_active"]:
            rng = np.random.default_rng([seed, z])  # inputs per (seed, z): independent of the z list
            exhaustive = z == 1 and sim["exhaustive_z1"]
            inputs = simulate.sample_inputs(spec.n_circuits, z, p["n_samples"], rng, exhaustive=exhaustive,
                                            n_rotation_pairs=circuits.n_rotation_pairs)
            results[(seed, z)] = simulate.run(
                network, circuits, inputs,
                batch_size=sim["batch_size"], dtype=np.dtype(sim["dtype"]),
                n_trajectories=sim["n_trajectories"], progress=ProgressLog(f"seed {seed} z {z}"),
                forward=sim.get("forward", "auto"), backend=xp_name, prepared=prepared,
                noise=bool(sim.get("noise_correlation", False)),
            )
            r = results[(seed, z)]
            log.info("seed %d z %d: %.2f s, forward %s, read-out %s, batch %d, backend %s", seed, z, r.seconds, r.forward, r.readout, r.batch_size, r.backend)
            log.info("seed %d z %d: %s", seed, z, r.forward_detail)
    return results, diag, xp_name
