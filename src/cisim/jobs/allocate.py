"""What one `allocate` job computes: the allocations of one simulation point's design, per seed."""

from __future__ import annotations

import logging

from .. import allocation, construction

log = logging.getLogger("cisim")


def allocate_point(cfg: dict) -> tuple[dict, dict]:
    """({seed: {name: int (T, S)}}, {seed: {name: diagnostics}}) for one point's design."""
    spec = construction.NetworkSpec.from_point(cfg["point"])
    design = construction.get_design(spec.design)
    blocks = design.blocks(spec)
    allocs, summaries = {}, {}
    for seed in cfg["seeds"]:
        allocs[seed] = construction.allocate(spec, seed)
        summaries[seed] = {name: allocation.summarize(a, blocks[name]) for name, a in allocs[seed].items()}
        log.info("seed %d: %s", seed, {k: v for k, v in summaries[seed].items()})
    return allocs, summaries
