"""`carried_indicators(fraction)`: on-indicators written once from the input into a dedicated
pool with a fixed embedding and carried layer to layer through a neuron-wise step function.

Question answered: would indicators computed once and carried forward (post box
"Why the step function?"; the authors' non-post `RotInSupNetwork_4d`, docs/method.md §8) do
better than indicators recomputed in superposition every layer?

Small circuit: the post's d = 4 rotation circuit, unchanged (its truth is what is measured).

Large network: blocks [n_on, n_on, n_rot, n_rot], 2·n_on = fraction·D (the pool), 2·n_rot =
(1 − fraction)·D. Circuit t's indicator pair sits at the pool positions p_t (S of n_on, the same
in both pool blocks) at *every* layer — no per-layer permutation; its rotation pair at
e_t^{rot,l} = rot[π^l(t)] (per-layer permutation, layer 0 = identity). One allocation "main"
serves both pools when fraction = 0.5, else "on" and "rot".

    input      A^0[pool block i] = Σ_{t active} (w_t a_t^0)_i·p_t   (= 2 per active circuit)
               → A^1 pool neuron n = (ReLU(2c_n − 0.5), ReLU(2c_n − 1.5)), c_n = active circuits on n:
                 its difference is exactly 1 if c_n ≥ 1 and 0 otherwise
    pool→pool  the neuron-wise step function, W = [[2I, −2I], [2I, −2I]], biases −0.5, −1.5:
               a clean pool (differences in {0, 1}) is carried exactly and is never recomputed
               from any other neuron (no rotation → pool weights)
    rotation   W^l[rot i, j] = capped construction of post eq 5.20 with e^{l−1,j} = p for the
               gate columns j = 0, 1: rotation neurons read their gate from the pool,
               ReLU(R_t x̂ + 2α̂ − 1) with α̂ = (1/S)⟨p_t|a_0 − a_1⟩
    read-out   α̂_t = (1/S)⟨p_t|A_0 − A_1⟩ on the pool, x̂_t as in the baseline

With a clean input the pool read-out is α̂_t = 1 for active circuits and (number of pool
neurons t shares with active circuits)/S for inactive ones, at every layer: the indicator error
does not grow with depth; what remains is the rotation pool's interference (smaller pool when
fraction > 0.5).

Accounting (dense): neurons per layer D; depth L, every layer computes; parameters
(L − 1)·D² + L·D (of which the pool→pool part has only 4·n_on non-zeros per layer).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..circuits import draw_rotation_circuits
from ..schema import DesignConf, checked
from ..seeds import Streams
from . import layout
from .network import Design, Network, assemble, dense_accounting, step_block


@dataclass
class Options(DesignConf):
    name: str = "carried_indicators"  # indicators computed once, carried forward in a dedicated pool
    fraction: float = checked(0.5, gt=0.0, lt=1.0)  # share of d_model in the indicator pool


def options(spec) -> tuple[float, int, int]:
    fraction = float(spec.options(Options).fraction)
    n_on, n_rot = layout.split_width(spec.d_model, fraction)
    return fraction, n_on, n_rot


def blocks_carried(spec) -> dict:
    _, n_on, n_rot = options(spec)
    layout.check_capacity(spec, n_on, spec.redundancy, "the indicator pool")
    return {"main": n_rot} if n_on == n_rot else {"on": n_on, "rot": n_rot}


def allocate_carried(spec, rng: np.random.Generator) -> dict:
    _, n_on, n_rot = options(spec)
    return layout.pool_allocations(spec, n_on, spec.redundancy, n_rot, rng)


def build_carried(spec, allocations: dict, rngs: Streams) -> tuple:
    _, n_on, n_rot = options(spec)
    circuits = draw_rotation_circuits(spec.n_circuits, rngs.circuits)
    block_sizes = [n_on, n_on, n_rot, n_rot]
    offsets = layout.block_offsets(block_sizes)
    on, rot = layout.pool_tables(allocations)
    perms = layout.permutations(spec.n_circuits, spec.n_layers, rngs.layers, keep_first=True)
    L, T = spec.n_layers, spec.n_circuits
    positions = np.empty((L, T, 4, spec.redundancy), dtype=np.int64)
    for i in (0, 1):
        positions[:, :, i] = on[None] + offsets[i]  # fixed pool embedding
    for i in (2, 3):
        positions[:, :, i] = rot[perms] + offsets[i]
    network: Network = assemble(circuits, positions, block_sizes, spec.chi_scale, spec.chi_convention)
    pool = slice(0, 2 * n_on)
    weights = []
    for w in network.weights:
        w[pool, pool] = 0.0
        step_block(w, slice(0, n_on), slice(n_on, 2 * n_on))
        weights.append(w)
    chi = network.chi.copy()
    chi[:, :2, :2] = 0.0
    return circuits, dataclasses.replace(network, weights=tuple(weights), chi=chi)


DESIGN = Design(
    blocks=blocks_carried,
    allocate=allocate_carried,
    build=build_carried,
    accounting=dense_accounting,
    summary="indicators written once into a fixed pool and carried by a neuron-wise step function",
    Options=Options,
)
