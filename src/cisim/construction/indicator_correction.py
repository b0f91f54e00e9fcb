"""`indicator_correction(every)`: circuit-level active error correction — extra large-network
layers, one after every `every` computing layers, that read each circuit's on-indicator through
its embedding, apply the step function and write a clean indicator (and the gated payload) back.

Question answered: does active error correction at the level of circuits (post §4, the
discussion of error correction: the on-indicator is discrete, so a layer can restore it) keep
inactive circuits off, and is it worth its depth? The sibling `indicator_cleanup` steps each
large neuron's pair on its own (no averaging over the S copies of a circuit); this layer reads
α̂_t = (1/S) Σ_s over circuit t's S positions, as a computing layer does.

Small circuits and computing layers: exactly `redundant_indicators` with the same options
(k indicator pairs, m payload rotation pairs, embedding, decode; k = m = 1 is the baseline,
bit-identical for the same seed).

Correction layer after computing layer l (l = every, 2·every, … < L), from the embedding e^l of
its input (in which circuit layer l is read out) into a fresh embedding e'^l — the allocation
re-dealt by a new seeded permutation (per indicator copy when the embedding is independent), as
the post re-deals it for every computing layer — which the next computing layer reads
(`reembed = false` writes back into e^l; then the same circuits collide in the read and the
write, and their interference adds coherently). The layer is the capped construction (post
eq 5.20) of the *identity* circuit — every circuit's weights with R_t = I, so w_t = w̄ and Δw_t = 0:

    indicator pair p:  a'_{2p}   = ReLU(g(ᾱ − ½) + ½),   a'_{2p+1} = ReLU(g(ᾱ − ½) − ½)
    payload neuron i:  a'_i      = ReLU(x_i + 2ᾱ − 1),   x_i = a_i − ᾱ

    W_corr[block i, block j] = (w_I)_ij · 𝒲^{ij}(e'^l ← e^l)   (𝒲 capped, χ from eq 5.24 as for every layer)

A clean state (α ∈ {0, 1}, no interference) is mapped to itself exactly (α' = step(α) = α,
x' = x since x_i ≥ −1); an indicator read as ᾱ < ½ − 1/(2g) is set to 0 (the payload of such
an off circuit to ReLU(x_i + 2ᾱ − 1), 0 while x_i < 1 − 2ᾱ), one above ½ + 1/(2g) restored to 1
(its payload then reads x_i + 2(ᾱ − 1) where unclipped: the gate moves the indicator's error into
x, as in every computing layer; only a clean indicator leaves x untouched). Unlike the neuron-wise
clean-up it has interference of its own (the 𝒲 term couples circuits sharing neurons), but no
per-circuit Δw term.

Depth and read-outs as `indicator_cleanup`: N = L + ⌊(L − 1)/every⌋ activation layers, circuit
layer l read out from activation layer l + ⌊(l − 1)/every⌋. Accounting (dense): neurons D·N,
parameters (N − 1)·D² + N·D.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..circuits import RotationCircuits
from ..schema import checked
from ..seeds import Streams
from . import redundant_indicators as redundant
from .capped import structured_weights
from .indicator_cleanup import n_cleanup_layers
from .network import Design, LazyWeights, dense_accounting


@dataclass
class Options(redundant.Options):
    name: str = "indicator_correction"  # circuit-level correction layers: read α̂ through the embedding, step, write back
    every: int = checked(2, ge=1)  # one correction layer after every `every` computing layers (counted in the depth)
    reembed: bool = True  # write the clean state into a fresh re-dealing of the allocation (false: back into the same positions)


def parts(spec) -> tuple[int, object]:
    """(every, the spec of the computing layers: `redundant_indicators` with the other options)."""
    o = spec.options(Options)
    every = int(o.every)
    if every < 1:
        raise ValueError(f"design.every={every} is not allowed: need every >= 1")
    inner = {k: v for k, v in spec.design_options.items() if k not in ("every", "reembed", "name")}
    return every, dataclasses.replace(spec, design=redundant.Options.name, design_options=inner)


def blocks_correction(spec) -> dict:
    return redundant.blocks_redundant(parts(spec)[1])


def allocate_correction(spec, rng: np.random.Generator) -> dict:
    return redundant.allocate_redundant(parts(spec)[1], rng)


def identity_weights(circuits: RotationCircuits) -> np.ndarray:
    """w_I (d, d): the circuits' weights with every rotation the identity (R = I)."""
    k, m = circuits.n_indicator_pairs, circuits.n_rotation_pairs
    still = RotationCircuits(np.zeros(1 if m == 1 else (1, m)), k, m, circuits.step_gain)
    return still.weights()[0]


def correction_layer(circuits: RotationCircuits, pos_out: np.ndarray, pos_in: np.ndarray, block_sizes, chi_scale: float,
                     chi_convention: str):
    """The structured correction layer from the embedding `pos_in` to `pos_out` (T, d, S) (module docstring)."""
    d = circuits.d_circuit
    zero = np.zeros((circuits.n_circuits, d, d))
    return structured_weights(identity_weights(circuits), zero, pos_out, pos_in, block_sizes, chi_scale, chi_convention)


def build_correction(spec, allocations: dict, rngs: Streams) -> tuple:
    every, inner = parts(spec)
    reembed = bool(spec.options(Options).reembed)
    circuits, base = redundant.build_redundant(inner, allocations, rngs)
    k, embedding = redundant.options(inner)
    d, sizes, chi_args = circuits.d_circuit, base.block_sizes, (spec.chi_scale, spec.chi_convention)
    layers, chis, readouts = [], [], [1]
    for l in range(1, spec.n_layers):  # after computing layer l, before computing layer l + 1
        computing = base.weights.layers[l - 1]
        if l % every == 0:
            pos_in = base.positions[l - 1]
            pos_out = pos_in
            if reembed:  # a fresh re-dealing of the allocation, drawn after the computing layers'
                main, copies = redundant.permutations_redundant(spec.n_circuits, k, embedding, 2, rngs.layers)
                pos_out = redundant.embed(allocations["main"], main[1:], None if copies is None else [c[1:] for c in copies], sizes)[0]
                computing = structured_weights(circuits.mean_w, circuits.diff_w, base.positions[l], pos_out, sizes, *chi_args)
            corr = correction_layer(circuits, pos_out, pos_in, sizes, *chi_args)
            layers.append(corr)
            chis.append(corr.chi)
        layers.append(computing)
        chis.append(computing.chi)
        readouts.append(len(layers) + 1)
    network = dataclasses.replace(
        base,
        weights=LazyWeights(layers),
        chi=np.stack(chis) if chis else np.zeros((0, d, d)),
        readout_layers=tuple(readouts),
    )
    return circuits, network


def accounting(spec) -> dict:
    """Depth N = L + ⌊(L − 1)/every⌋ activation layers, of which L compute (module docstring)."""
    every, _ = parts(spec)
    return dense_accounting(spec, depth=spec.n_layers + n_cleanup_layers(spec.n_layers, every))


DESIGN = Design(
    blocks=blocks_correction,
    allocate=allocate_correction,
    build=build_correction,
    accounting=accounting,
    summary="circuit-level correction layers (read α̂ through the embedding, step, write back) after every `every` computing layers",
    Options=Options,
)
