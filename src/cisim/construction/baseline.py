"""`baseline`: the post's construction (Rotations in Superposition §5.4, eqs 5.20–5.24;
docs/method.md §3).

All d = 4 neurons of a circuit sit at the same S positions in each of the d equal blocks of
n_blocks = D/d neurons. The allocation is re-dealt to circuits by a fresh seeded permutation in
every layer (layer 0 keeps the allocator's order), so circuits that collide in one layer
usually do not collide in the next. Width D, depth L, (L−1)·D² + L·D parameters.
"""

from __future__ import annotations

import numpy as np

from .. import allocation
from ..circuits import draw_rotation_circuits
from ..seeds import Streams
from .network import Network, assemble, layer_positions

D_CIRCUIT = 4


def permuted_allocations(local: np.ndarray, n_layers: int, rng: np.random.Generator) -> np.ndarray:
    """(L, T, S): layer 0 uses the allocation as is, layer l ≥ 1 a fresh permutation of its rows."""
    n_circuits = local.shape[0]
    perms = [np.arange(n_circuits)] + [rng.permutation(n_circuits) for _ in range(n_layers - 1)]
    return local[np.stack(perms)]


def blocks_baseline(spec) -> dict:
    """Positions available to each allocation: {"main": n_blocks = D/4}."""
    return {"main": spec.n_blocks(D_CIRCUIT)}


def allocate_baseline(spec, rng: np.random.Generator) -> dict:
    """One allocation of T circuits to S of the n_blocks = D/4 positions: {"main": (T, S)}."""
    n_blocks = blocks_baseline(spec)["main"]
    return {"main": allocation.assign(spec.allocation, spec.n_circuits, n_blocks, spec.redundancy, rng, **spec.allocation_options)}


def build_baseline(spec, allocations: dict, rngs: Streams) -> tuple:
    """Rotation circuits embedded with one shared position set per circuit and layer."""
    circuits = draw_rotation_circuits(spec.n_circuits, rngs.circuits)
    n_blocks = spec.n_blocks(circuits.d_circuit)
    block_sizes = [n_blocks] * circuits.d_circuit
    positions = layer_positions(permuted_allocations(allocations["main"], spec.n_layers, rngs.layers), block_sizes)
    network: Network = assemble(circuits, positions, block_sizes, spec.chi_scale, spec.chi_convention)
    return circuits, network
