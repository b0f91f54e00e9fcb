"""`indicator_share(fraction, redundancy_on)`: unequal blocks, a configurable share of D for the
on-indicators.

Question answered: would giving a larger share of the network's neurons to the
on-indicators, and less to the rotated vector, do better at equal total width D?

Small circuit: the post's d = 4 rotation circuit (post §5.1; docs/method.md §2), unchanged.

Large network: four blocks of widths [n_on, n_on, n_rot, n_rot] with 2·n_on = fraction·D and
2·n_rot = (1 − fraction)·D (both whole numbers; fraction = 0.5 is the baseline's D/4 blocks).
Circuit t's indicator pair sits at positions e_t^{on,l} (S_on of the n_on positions, the same in
both indicator blocks), its rotation pair at e_t^{rot,l} (S of the n_rot positions). Two
allocations, "on" (T, S_on) and "rot" (T, S), share the per-layer permutation π^l (layer 0 =
identity), so both pools are re-dealt together as in the baseline; with fraction 0.5 and
S_on = S one allocation "main" serves both and the network is bit-identical to `baseline`.
Weights (post eq 5.20 with a redundancy per small neuron, `capped.capped_weights_mixed`):

    W^l[block i, block j] = ( w̄_ij·(C^{ij} − (1 − C^{ij})·χ'_ij) + Σ_t (Δw_t)_ij |e_t^{l,i}⟩⟨e_t^{l−1,j}| ) / S_j
    read-out  â_t,i = (1/S_i)·⟨e_t^{l,i}|A^l⟩,  S_i = S_on for i = 0, 1 and S for i = 2, 3

`redundancy_on = S_on ≠ S` (optional own redundancy of the indicator neurons): the position
tables then hold lcm(S_on, S) slots per neuron, each position repeated lcm/S_i times (the mean
over slots is the mean over the S_i positions). The input embedding adds each circuit's input
once per slot, so the padding slots of the input table point at one "sink" neuron per padded
block (its last neuron, never allocated, bias −1000: always 0); the allocation of a padded
block then uses n − 1 positions.

Accounting (dense): neurons per layer D (sinks included); depth L, every layer computes;
parameters (L − 1)·D² + L·D.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..circuits import draw_rotation_circuits
from ..schema import DesignConf, checked
from ..seeds import Streams
from . import layout
from .capped import capped_weights_mixed
from .network import Design, Network, assemble, dense_accounting


@dataclass
class Options(DesignConf):
    name: str = "indicator_share"  # unequal blocks: indicators get `fraction` of the width
    fraction: float = checked(0.5, gt=0.0, lt=1.0)  # share of d_model given to the two on-indicator blocks (baseline: 0.5)
    redundancy_on: Optional[int] = checked(None, ge=1)  # S of the indicator neurons (None: the point's redundancy)


def options(spec) -> dict:
    o = spec.options(Options)
    fraction = float(o.fraction)
    s_on = spec.redundancy if o.redundancy_on is None else int(o.redundancy_on)
    n_on, n_rot = layout.split_width(spec.d_model, fraction)
    width = layout.common_width([s_on, spec.redundancy])
    return {
        "fraction": fraction, "s_on": s_on, "n_on": n_on, "n_rot": n_rot, "width": width,
        "sink_on": s_on < width, "sink_rot": spec.redundancy < width,
    }


def blocks_share(spec) -> dict:
    """{"main": n} when both pools are alike, else {"on": n_on, "rot": n_rot} (minus sinks)."""
    o = options(spec)
    avail_on, avail_rot = o["n_on"] - o["sink_on"], o["n_rot"] - o["sink_rot"]
    layout.check_capacity(spec, avail_on, o["s_on"], "the indicator pool (design.redundancy_on)")
    layout.check_capacity(spec, avail_rot, spec.redundancy, "the rotation pool")
    if avail_on == avail_rot and o["s_on"] == spec.redundancy:
        return {"main": avail_rot}
    return {"on": avail_on, "rot": avail_rot}


def allocate_share(spec, rng: np.random.Generator) -> dict:
    o = options(spec)
    return layout.pool_allocations(spec, o["n_on"] - o["sink_on"], o["s_on"], o["n_rot"] - o["sink_rot"], rng)


def build_share(spec, allocations: dict, rngs: Streams) -> tuple:
    o = options(spec)
    circuits = draw_rotation_circuits(spec.n_circuits, rngs.circuits)
    block_sizes = [o["n_on"], o["n_on"], o["n_rot"], o["n_rot"]]
    offsets = layout.block_offsets(block_sizes)
    on, rot = layout.pool_tables(allocations)
    perms = layout.permutations(spec.n_circuits, spec.n_layers, rngs.layers, keep_first=True)
    distinct = [(on if i < 2 else rot)[perms] + offsets[i] for i in range(4)]  # (L, T, S_i)
    if o["width"] == spec.redundancy and o["s_on"] == spec.redundancy:
        network: Network = assemble(circuits, np.stack(distinct, 2), block_sizes, spec.chi_scale, spec.chi_convention)
        return circuits, network
    return circuits, mixed_network(circuits, distinct, block_sizes, o["width"], spec.chi_scale, spec.chi_convention)


def mixed_network(circuits, distinct: list, block_sizes, width: int, chi_scale: float, chi_convention: str = "post") -> Network:
    """A network whose small neuron i has its own redundancy S_i = distinct[i].shape[-1]."""
    offsets = layout.block_offsets(block_sizes)
    n_layers, n_circuits = distinct[0].shape[:2]
    d = len(distinct)
    readout = np.empty((n_layers, n_circuits, d, width), dtype=np.int64)
    inputs = np.empty((n_circuits, d, width), dtype=np.int64)
    bias = np.repeat(circuits.bias, block_sizes)
    for i, pos in enumerate(distinct):
        sink = int(offsets[i + 1] - 1)
        readout[:, :, i], inp = layout.padded(pos, width, sink)
        inputs[:, i] = inp[0]
        if pos.shape[-1] < width:
            bias[sink] = layout.SINK_BIAS
    built = [
        capped_weights_mixed(
            circuits.mean_w, circuits.diff_w, [p[l] for p in distinct], [p[l - 1] for p in distinct], block_sizes, chi_scale, chi_convention
        )
        for l in range(1, n_layers)
    ]
    chi = np.stack([c for _, c in built]) if built else np.zeros((0, d, d))
    return Network(tuple(w for w, _ in built), bias, readout, tuple(int(b) for b in block_sizes), chi, input_positions=inputs)


DESIGN = Design(
    blocks=blocks_share,
    allocate=allocate_share,
    build=build_share,
    accounting=dense_accounting,
    summary="unequal blocks: fraction of D for the on-indicators, optional own redundancy S_on",
    Options=Options,
)
