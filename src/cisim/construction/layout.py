"""Where circuits sit in the large network: blocks, positions, per-layer permutations, pools.

Source: post §5.4 (positions e_t^l, the per-layer re-dealing of the allocation); docs/method.md
§3–§4. A layout is d blocks of neurons (small neuron i lives in block i); an allocation (T, S)
gives each circuit S positions local to a block; per layer, a seeded permutation re-deals the
allocation's rows to circuits. Designs with two pools (indicators, rotation) draw one allocation
per pool, or one serving both when the pools are alike.
"""

from __future__ import annotations

import math

import numpy as np

from .. import allocation

SINK_BIAS = -1.0e3  # bias of a padding ("sink") neuron: never on, whatever the interference


# ---------------------------------------------------------------- blocks and positions
def block_offsets(block_sizes) -> np.ndarray:
    """Start index of every block plus the total width: int ndarray of shape (d + 1,)."""
    return np.concatenate([[0], np.cumsum(block_sizes)]).astype(np.int64)


def layer_positions(local: np.ndarray, block_sizes) -> np.ndarray:
    """Global positions (…, d, S) from block-local positions (…, S) shared by all d neurons."""
    offsets = block_offsets(block_sizes)[:-1]
    return local[..., None, :] + offsets[:, None]


def permutations(n_circuits: int, n_layers: int, rng: np.random.Generator, keep_first: bool) -> np.ndarray:
    """(L, T) row permutations, one per layer; layer 0 is the identity when `keep_first`."""
    first = [np.arange(n_circuits)] if keep_first else [rng.permutation(n_circuits)]
    return np.stack(first + [rng.permutation(n_circuits) for _ in range(n_layers - 1)])


def permuted_allocations(local: np.ndarray, n_layers: int, rng: np.random.Generator) -> np.ndarray:
    """(L, T, S): layer 0 uses the allocation as is, layer l ≥ 1 a fresh permutation of its rows."""
    return local[permutations(local.shape[0], n_layers, rng, keep_first=True)]


# ---------------------------------------------------------------- allocations and pools
def assign(spec, n_blocks: int, redundancy: int, rng: np.random.Generator) -> np.ndarray:
    """One allocation of the spec's T circuits to `redundancy` of `n_blocks` positions (T, S)."""
    return allocation.assign(spec.allocation, spec.n_circuits, n_blocks, redundancy, rng, **spec.allocation_options)


def check_capacity(spec, n_blocks: int, redundancy: int, what: str) -> None:
    """ValueError (one line) when the allocation cannot place T circuits in a pool."""
    if not 1 <= redundancy <= n_blocks:
        raise ValueError(f"redundancy={redundancy} is not allowed for {what}: need 1 <= redundancy <= n_blocks = {n_blocks}")
    cap = allocation.capacity(spec.allocation, n_blocks, redundancy, **spec.allocation_options)
    if spec.n_circuits > cap:
        raise ValueError(
            f"n_circuits={spec.n_circuits} is not allowed for {what}: allocation '{spec.allocation}' places at most "
            f"{cap} circuits at n_blocks={n_blocks}, redundancy={redundancy}"
        )


def split_width(d_model: int, fraction: float, what: str = "design.fraction") -> tuple[int, int]:
    """(n_on, n_rot): neurons per indicator block and per rotation block, fraction·D = 2·n_on.

    Both must be whole and positive (ValueError otherwise)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"{what}={fraction} is not allowed: need 0 < fraction < 1")
    n_on = fraction * d_model / 2
    if abs(n_on - round(n_on)) > 1e-9 or d_model % 2:
        raise ValueError(
            f"{what}={fraction} is not allowed at d_model={d_model}: fraction·d_model/2 = {n_on:g} must be a whole number of neurons"
        )
    n_on = int(round(n_on))
    n_rot = d_model // 2 - n_on
    if n_on < 1 or n_rot < 1:
        raise ValueError(f"{what}={fraction} is not allowed at d_model={d_model}: both pools need at least one neuron")
    return n_on, n_rot


def pool_allocations(spec, n_on: int, s_on: int, n_rot: int, rng: np.random.Generator) -> dict:
    """Allocations of a two-pool layout: {"main": (T, S)} when both pools have the same size and
    redundancy (one allocation serves both, drawn exactly as the baseline's), else
    {"on": (T, S_on), "rot": (T, S)} (rotation pool drawn first)."""
    rot = assign(spec, n_rot, spec.redundancy, rng)
    if n_on == n_rot and s_on == spec.redundancy:
        return {"main": rot}
    return {"on": assign(spec, n_on, s_on, rng), "rot": rot}


def pool_tables(allocations: dict) -> tuple[np.ndarray, np.ndarray]:
    """(on, rot) local allocations of a two-pool layout (see `pool_allocations`)."""
    if "main" in allocations:
        return allocations["main"], allocations["main"]
    return allocations["on"], allocations["rot"]


# ---------------------------------------------------------------- position tables with mixed S
def common_width(redundancies) -> int:
    """Slots of a position table holding neurons with different S: lcm of the S values."""
    return math.lcm(*[int(s) for s in redundancies])


def padded(local: np.ndarray, width: int, sink: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Read-out and input position tables of `width` slots from S distinct positions (…, S).

    Read-out: every position repeated width/S times (the mean over the slots is the mean over
    the S positions). Input: the S positions, then `sink` in the remaining slots (the input is
    added once per slot, so padding must land on a neuron that is never on)."""
    s = local.shape[-1]
    if width == s:
        return local, local
    reps = width // s
    readout = np.repeat(local, reps, axis=-1)
    fill = np.full(local.shape[:-1] + (width - s,), sink, dtype=local.dtype)
    return readout, np.concatenate([local, fill], axis=-1)
