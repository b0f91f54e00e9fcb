"""`baseline`: the post's construction (Rotations in Superposition §5.4, eqs 5.20–5.24;
docs/method.md §3).

All d = 4 neurons of a circuit sit at the same S positions in each of the d equal blocks of
n_blocks = D/d neurons. The allocation is re-dealt to circuits by a fresh seeded permutation in
every layer (layer 0 keeps the allocator's order), so circuits that collide in one layer
usually do not collide in the next. Width D, depth L, (L−1)·D² + L·D parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..circuits import draw_rotation_circuits
from ..schema import DesignConf
from ..seeds import Streams
from .layout import assign, layer_positions, permuted_allocations
from .network import Design, Network, assemble, dense_accounting

D_CIRCUIT = 4


@dataclass
class Options(DesignConf):
    name: str = "baseline"  # the post's construction: d = 4, shared positions, capped 𝒲


def blocks_baseline(spec) -> dict:
    """Positions available to each allocation: {"main": n_blocks = D/4}."""
    return {"main": spec.n_blocks(D_CIRCUIT)}


def allocate_baseline(spec, rng: np.random.Generator) -> dict:
    """One allocation of T circuits to S of the n_blocks = D/4 positions: {"main": (T, S)}."""
    return {"main": assign(spec, blocks_baseline(spec)["main"], spec.redundancy, rng)}


def build_baseline(spec, allocations: dict, rngs: Streams) -> tuple:
    """Rotation circuits embedded with one shared position set per circuit and layer."""
    circuits = draw_rotation_circuits(spec.n_circuits, rngs.circuits)
    n_blocks = spec.n_blocks(circuits.d_circuit)
    block_sizes = [n_blocks] * circuits.d_circuit
    positions = layer_positions(permuted_allocations(allocations["main"], spec.n_layers, rngs.layers), block_sizes)
    network: Network = assemble(circuits, positions, block_sizes, spec.chi_scale, spec.chi_convention)
    return circuits, network


DESIGN = Design(
    blocks=blocks_baseline,
    allocate=allocate_baseline,
    build=build_baseline,
    accounting=dense_accounting,
    summary="the post's construction: d = 4, shared positions, capped 𝒲",
    Options=Options,
)
