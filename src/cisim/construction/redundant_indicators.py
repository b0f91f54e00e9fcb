"""`redundant_indicators(k, embedding, rotation_pairs, decode)`: k on-indicator pairs per circuit,
read as their mean (or their majority vote), with a payload of m rotation pairs (wide circuits).

Question answered: do error-correcting on-indicators (c·d indicator neurons, the step
function applied to their average) keep inactive circuits off at equal total width D? With
`rotation_pairs` = m > 1 the circuit is wide (d = 2k + 2m, docs/correction.md §2): the thread's
proposal of c·d indicator copies in a circuit of width d can be tested where d is not tiny,
with the copies *added* (k grows, d grows) or *replacing* payload (k grows, m shrinks, d fixed).

Small circuit (`RotationCircuits(n_indicator_pairs=k)`, width d = 2k + 2): neurons 2p, 2p+1
(p = 0..k−1) are copy p of the on-indicator pair, neurons 2k, 2k+1 the rotation pair, and

    ᾱ^l        = (1/k) Σ_p (a_{2p}^l − a_{2p+1}^l)
    a_{2p}^{l+1}   = ReLU(2ᾱ^l − 0.5),   a_{2p+1}^{l+1} = ReLU(2ᾱ^l − 1.5)        (every copy)
    a_{2k:2k+2}^{l+1} = ReLU(R_t (a_{2k:2k+2}^l − ᾱ^l·1) + 2ᾱ^l − 1)           (rotation gated by ᾱ)

i.e. w̄[:, 2p] = 2/k, w̄[:, 2p+1] = −2/k and Δw_t only on the rotation rows. k = 1 is the post's
circuit. Wide circuits repeat the rotation rows for each of the m pairs (own angle θ_{t,j}, same
gate ᾱ). `decode = majority` gives the copies' step the gain g = k instead of 2,
ReLU(k(ᾱ − ½) + ½) − ReLU(k(ᾱ − ½) − ½): the copies hold 0 or 1, so ᾱ is the fraction of copies
voting "on" and the step rises within one vote of ½ — a majority vote (the median of k bits). A
median of real-valued copies is not one ReLU layer; the vote is the decoder a layer can compute.

Large network: d = 2k + 2m equal blocks of n = D/d neurons (equal total width D as the
baseline, so each block is smaller: n = D/8 for k = 3 instead of D/4). One allocation "main"
(T, S) over the n positions; its rows are re-dealt to circuits by a seeded permutation per layer
(layer 0 keeps the allocator's order), as in the baseline. Weights are the capped construction
(`capped.capped_weights`, post eq 5.20) with per-neuron positions:

    W^l[block i, block j] = w̄_ij·𝒲^{l,ij} + (1/S) Σ_t (Δw_t)_ij |e_t^{l,i}⟩⟨e_t^{l−1,j}|

* `embedding = shared`: all 2k + 2 neurons of circuit t sit at the same positions e_t^l in every
  block. k = 1 shared is bit-identical to `baseline` for the same seed.
* `embedding = independent`: copy p (both its neurons) uses its own permutation π_p^l of the
  allocation at every layer l = 0..L−1 (drawn after the main ones from the `layers` stream), the
  rotation pairs keep the main permutation. The circuits colliding with copy p then differ from
  copy to copy, so their interference on ᾱ averages over k independent collision sets — the
  commenter's claim; the post's author expects no gain ("your method will not make noise
  contributions any more independent").

Accounting (dense, as every design): neurons per layer D; activation layers N = L (depth L,
every layer computes); parameters (L − 1)·D² + L·D (W^0 = I is the input embedding, not counted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..circuits import draw_rotation_circuits
from ..schema import DesignConf, checked
from ..seeds import Streams
from .layout import assign, block_offsets, layer_positions, permutations
from .network import Design, Network, assemble, dense_accounting

EMBEDDINGS = ("shared", "independent")
DECODERS = ("mean", "majority")  # the copies' step reads their mean with the post's gain 2, or with gain k (a vote)


@dataclass
class Options(DesignConf):
    name: str = "redundant_indicators"  # k on-indicator pairs per circuit, read as their mean
    k: int = checked(1, ge=1)  # on-indicator pairs per circuit (circuit width 2k + 2); k = 1 is the post's circuit
    embedding: str = checked("independent", choices=EMBEDDINGS)  # shared: one position set per circuit; independent: one per indicator copy
    rotation_pairs: int = checked(1, ge=1)  # m payload rotation pairs (circuit width 2k + 2m); 1 is the post's circuit
    decode: str = checked("mean", choices=DECODERS)  # mean: the post's step of the copies' mean; majority: a vote (step gain k)


def options(spec) -> tuple[int, str]:
    o = spec.options(Options)
    k, embedding = int(o.k), o.embedding
    if k < 1:
        raise ValueError(f"design.k={k} is not allowed: need k >= 1")
    if embedding not in EMBEDDINGS:
        raise ValueError(f"design.embedding={embedding!r} is not allowed: one of {', '.join(EMBEDDINGS)}")
    return k, embedding


def circuit_shape(spec) -> tuple[int, int, float]:
    """(k, m, step gain) of the small circuits `spec` asks for."""
    o = spec.options(Options)
    k, _ = options(spec)
    m = int(o.rotation_pairs)
    if m < 1:
        raise ValueError(f"design.rotation_pairs={m} is not allowed: need rotation_pairs >= 1")
    if o.decode not in DECODERS:
        raise ValueError(f"design.decode={o.decode!r} is not allowed: one of {', '.join(DECODERS)}")
    gain = float(max(k, 2)) if o.decode == "majority" else 2.0  # k = 1, 2: a vote of one or two is the post's step
    return k, m, gain


def blocks_redundant(spec) -> dict:
    """{"main": n_blocks = D/(2k+2m)}."""
    k, m, _ = circuit_shape(spec)
    return {"main": spec.n_blocks(2 * k + 2 * m)}


def allocate_redundant(spec, rng: np.random.Generator) -> dict:
    return {"main": assign(spec, blocks_redundant(spec)["main"], spec.redundancy, rng)}


def permutations_redundant(n_circuits: int, k: int, embedding: str, n_layers: int, rng: np.random.Generator):
    """(main (L, T), copies): the main per-layer permutations (layer 0 = identity, as the
    baseline) and, for `independent`, k further (L, T) permutations, one set per indicator copy."""
    main = permutations(n_circuits, n_layers, rng, keep_first=True)
    if embedding == "shared":
        return main, None
    return main, [permutations(n_circuits, n_layers, rng, keep_first=False) for _ in range(k)]


def build_redundant(spec, allocations: dict, rngs: Streams) -> tuple:
    k, embedding = options(spec)
    _, m, gain = circuit_shape(spec)
    circuits = draw_rotation_circuits(spec.n_circuits, rngs.circuits, n_indicator_pairs=k, n_rotation_pairs=m, step_gain=gain)
    d = circuits.d_circuit
    n = spec.n_blocks(d)
    block_sizes = [n] * d
    local = allocations["main"]
    main, copies = permutations_redundant(spec.n_circuits, k, embedding, spec.n_layers, rngs.layers)
    positions = embed(local, main, copies, block_sizes)
    network: Network = assemble(circuits, positions, block_sizes, spec.chi_scale, spec.chi_convention)
    return circuits, network


def embed(local: np.ndarray, main: np.ndarray, copies, block_sizes) -> np.ndarray:
    """Positions (L, T, d, S) of every neuron: the allocation `local` (T, S) re-dealt by the
    permutations `main` (L, T) (all neurons), and indicator copy p by `copies[p]` (L, T) when
    the embedding is independent (`copies` is None when shared)."""
    positions = layer_positions(local[main], block_sizes)  # all neurons at the main positions
    if copies is not None:
        offsets = block_offsets(block_sizes)
        for p, perm in enumerate(copies):
            for i in (2 * p, 2 * p + 1):
                positions[:, :, i] = local[perm] + offsets[i]
    return positions


accounting = dense_accounting  # neurons, parameters and depth as stated in the module docstring

DESIGN = Design(
    blocks=blocks_redundant,
    allocate=allocate_redundant,
    build=build_redundant,
    accounting=accounting,
    summary="k on-indicator pairs read as their mean or majority; shared or independent per-copy embedding; m payload rotation pairs",
    Options=Options,
)
