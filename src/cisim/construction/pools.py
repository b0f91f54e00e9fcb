"""Shared helpers of the indicator designs: pool sizes, allocations, permutations, the
neuron-wise step function, and capped weights with a redundancy per small neuron.

Used by `redundant_indicators`, `indicator_share`, `carried_indicators` and
`indicator_cleanup`. Nothing here changes the post's construction: with equal blocks and one
redundancy S, `capped_weights_mixed` is `weights.capped_weights` (tested).
"""

from __future__ import annotations

import math

import numpy as np

from .. import allocation
from .weights import block_offsets, check_chi_convention, chi_prime_from, published_interactions

SINK_BIAS = -1.0e3  # bias of a padding ("sink") neuron: never on, whatever the interference


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


def permutations(n_circuits: int, n_layers: int, rng: np.random.Generator, keep_first: bool) -> np.ndarray:
    """(L, T) row permutations, one per layer; layer 0 is the identity when `keep_first`."""
    first = [np.arange(n_circuits)] if keep_first else [rng.permutation(n_circuits)]
    return np.stack(first + [rng.permutation(n_circuits) for _ in range(n_layers - 1)])


def step_block(weights: np.ndarray, low: slice, high: slice) -> None:
    """Neuron-wise step function between the two neurons of an indicator pair.

    Neuron n of block `low` and neuron n of block `high` (equal widths) hold one indicator pair;
    with biases −0.5 and −1.5 the next layer holds ReLU(2(a_n − h_n) − 0.5), ReLU(2(a_n − h_n) − 1.5).
    On a clean pair (a − h ∈ {0, 1}) this is exact: (0, 0) → (0, 0) and (·, ·) with a − h = 1 →
    (1.5, 0.5). Writes [[2I, −2I], [2I, −2I]] into `weights` (rows = outputs)."""
    n = low.stop - low.start
    eye = 2.0 * np.eye(n)
    weights[low, low] = eye
    weights[low, high] = -eye
    weights[high, low] = eye
    weights[high, high] = -eye


def suppression_constant_mixed(
    pos_out: np.ndarray, pos_in: np.ndarray, n_out: int, n_in: int, chi_convention: str = "post"
) -> tuple[np.ndarray, float]:
    """C and χ' for one block pair whose neurons have S_out and S_in positions.

    pos_out (T, S_out), pos_in (T, S_in), local. P = T(T−1)·S_out·S_in, and the t = u terms
    contribute T·S_out·S_in (a circuit's own pairs are all used); the published convention
    counts pairs t < u only, P = T(T−1)/2·S_out·S_in (`weights.published_interactions`).
    Equals `weights.suppression_constant` when S_out = S_in."""
    n_circuits, s_out = pos_out.shape
    s_in = pos_in.shape[1]
    used = np.zeros((n_out, n_in), dtype=bool)
    used[pos_out[:, :, None], pos_in[:, None, :]] = True
    if check_chi_convention(chi_convention) == "published":
        unwanted, possible = published_interactions(pos_out, pos_in, n_in)
        return used, chi_prime_from(np.float64(unwanted), possible)
    load_out = np.bincount(pos_out.ravel(), minlength=n_out).astype(np.float64)
    load_in = np.bincount(pos_in.ravel(), minlength=n_in).astype(np.float64)
    unwanted = load_out @ used @ load_in - n_circuits * s_out * s_in
    possible = n_circuits * (n_circuits - 1) * s_out * s_in
    chi_prime = unwanted / (possible - unwanted) if possible > unwanted else 0.0
    return used, float(chi_prime)


def capped_weights_mixed(mean_w, diff_w, pos_out: list, pos_in: list, block_sizes, chi_scale: float = 1.0, chi_convention: str = "post"):
    """`capped_weights` when small neuron i has its own redundancy S_i.

    pos_out[i], pos_in[j]: global int arrays (T, S_i), (T, S_j). The read-out of neuron i
    averages its S_i positions, and neuron j's value sits on S_j positions, so every weight
    into neuron i from neuron j is scaled by 1/S_j:

        W[block i, block j] = ( w̄_ij·(C^{ij} − (1 − C^{ij})·χ'_ij) + Σ_t Δw_t,ij |e_t^i⟩⟨e_t^j| ) / S_j

    which gives (1/S_i)⟨e_t^i|W|e_t^j⟩ = w_t,ij for a circuit alone. Returns (weights, chi) with
    χ_ij = χ'_ij / S_j; chi_convention as in `weights.capped_weights`.
    """
    d = len(pos_out)
    offsets = block_offsets(block_sizes)
    d_model = int(offsets[-1])
    weights = np.zeros((d_model, d_model))
    chi = np.zeros((d, d))
    for i in range(d):
        for j in range(d):
            s_in = pos_in[j].shape[1]
            if mean_w[i, j] != 0.0:
                used, chi_prime = suppression_constant_mixed(
                    pos_out[i] - offsets[i], pos_in[j] - offsets[j], block_sizes[i], block_sizes[j], chi_convention
                )
                chi_prime *= chi_scale
                chi[i, j] = chi_prime / s_in
                weights[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] += (
                    mean_w[i, j] * np.where(used, 1.0, -chi_prime) / s_in
                )
            vals = diff_w[:, i, j]
            if not np.any(vals):
                continue
            rows = np.broadcast_to(pos_out[i][:, :, None], (len(vals), pos_out[i].shape[1], s_in))
            cols = np.broadcast_to(pos_in[j][:, None, :], rows.shape)
            v = np.broadcast_to((vals / s_in)[:, None, None], rows.shape)
            np.add.at(weights, (rows.ravel(), cols.ravel()), v.ravel())
    return weights, chi


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


def common_width(redundancies) -> int:
    """Slots of a position table holding neurons with different S: lcm of the S values."""
    return math.lcm(*[int(s) for s in redundancies])


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
