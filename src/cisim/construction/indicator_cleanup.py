"""`indicator_cleanup(every)`: extra large-network layers, one after every `every` computing
layers, that re-apply only the step function to the indicator neurons and copy the rest.

Question answered: would active error correction of the on-indicators (post footnote:
"extra large-network layers dedicated to noise clean-up", which works for discrete values such
as the on-indicator) keep inactive circuits off?

Small circuit and computing layers: exactly the baseline (d = 4, D/4 blocks, shared positions,
per-layer permutation, capped 𝒲; same seed → the same computing weights as `baseline`).

Clean-up layer after computing layer l (l = every, 2·every, … < L), in the embedding e^l of
its input (read-outs and the next computing layer keep using e^l):

    indicator pair, neuron-wise:  A'_0[n] = ReLU(2(A_0[n] − A_1[n]) − 0.5)
                                  A'_1[n] = ReLU(2(A_0[n] − A_1[n]) − 1.5)
    rotation neurons, copied:     A'_{2,3}[n] = ReLU(A_{2,3}[n] + 0) = A_{2,3}[n]

W_clean = [[2I, −2I, 0, 0], [2I, −2I, 0, 0], [0, 0, I, 0], [0, 0, 0, I]] (blocks of D/4),
biases (−0.5, −1.5, 0, 0). The copy is ReLU-exact because every activation after a ReLU is ≥ 0
(the rotation neurons carry x + α·1 ≥ 0); the step is exact on a clean indicator pair (neuron
difference 0 or 1): a clean state is mapped to itself exactly (read-outs unchanged), while a
neuron difference below 0.25 is erased and one above 0.75 restored to 1. It is diagonal, so it
adds no interference between circuits.

Depth: L counts computing layers only (comparisons are at equal numbers of computing layers);
the network has N = L + ⌊(L − 1)/every⌋ activation layers (no clean-up after the last layer,
whose read-out is final), e.g. N = 5 for L = 4, every = 2 and N = 11 for L = 8. Read-outs of
circuit layer l come from activation layer l + ⌊(l − 1)/every⌋ (`Network.readout_layers`).

Accounting (dense): neurons per layer D; neurons D·N; parameters (N − 1)·D² + N·D (a clean-up
layer has only 1.5·D non-zero weights: 4 diagonals of D/4 for the indicator pair, 2 for the copy).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..schema import DesignConf, checked
from ..seeds import Streams
from .baseline import allocate_baseline, blocks_baseline, build_baseline
from .network import Design, dense_accounting, step_block


@dataclass
class Options(DesignConf):
    name: str = "indicator_cleanup"  # extra layers that only re-apply the step function to indicators
    every: int = checked(2, ge=1)  # one clean-up layer after every `every` computing layers (counted in the depth)


def every_of(spec) -> int:
    every = int(spec.options(Options).every)
    if every < 1:
        raise ValueError(f"design.every={every} is not allowed: need every >= 1")
    return every


def n_cleanup_layers(n_layers: int, every: int) -> int:
    """⌊(L − 1)/every⌋: one after every `every` computing layers, none after the last."""
    return (n_layers - 1) // every


def blocks_cleanup(spec) -> dict:
    every_of(spec)
    return blocks_baseline(spec)


def allocate_cleanup(spec, rng: np.random.Generator) -> dict:
    return allocate_baseline(spec, rng)


def cleanup_layer(block_sizes) -> tuple[np.ndarray, np.ndarray]:
    """(W_clean (D, D), bias (D,)) for the d = 4 layout with equal blocks."""
    n = block_sizes[0]
    d_model = int(sum(block_sizes))
    w = np.zeros((d_model, d_model))
    step_block(w, slice(0, n), slice(n, 2 * n))
    w[2 * n :, 2 * n :] = np.eye(d_model - 2 * n)
    bias = np.concatenate([np.full(n, -0.5), np.full(n, -1.5), np.zeros(d_model - 2 * n)])
    return w, bias


def build_cleanup(spec, allocations: dict, rngs: Streams) -> tuple:
    every = every_of(spec)
    circuits, base = build_baseline(spec, allocations, rngs)
    w_clean, b_clean = cleanup_layer(base.block_sizes)
    d = circuits.d_circuit
    weights, biases, chis, readouts = [], [base.bias], [], [1]
    for l in range(1, spec.n_layers):  # after computing layer l, before computing layer l + 1
        if l % every == 0:
            weights.append(w_clean.copy())
            biases.append(b_clean)
            chis.append(np.zeros((d, d)))
        weights.append(base.weights[l - 1])
        biases.append(base.bias)
        chis.append(base.chi[l - 1])
        readouts.append(len(biases))
    network = dataclasses.replace(
        base,
        weights=tuple(weights),
        chi=np.stack(chis) if chis else np.zeros((0, d, d)),
        readout_layers=tuple(readouts),
        layer_bias=tuple(biases),
    )
    return circuits, network


def accounting(spec) -> dict:
    """Depth N = L + ⌊(L − 1)/every⌋ activation layers, of which L compute (module docstring)."""
    return dense_accounting(spec, depth=spec.n_layers + n_cleanup_layers(spec.n_layers, every_of(spec)))


DESIGN = Design(
    blocks=blocks_cleanup,
    allocate=allocate_cleanup,
    build=build_cleanup,
    accounting=accounting,
    summary="baseline plus a neuron-wise indicator clean-up layer after every `every` computing layers",
    Options=Options,
)
