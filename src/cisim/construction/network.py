"""The types every design shares: what to build (`NetworkSpec`), a registered design (`Design`),
what was built (`Network`: dense weights per layer, biases, the read-out embedding), and the
assembly of the post's capped network from positions.

Source: post §5.3–5.5, eqs 5.17–5.30; docs/method.md §3. Indexing follows the published code:
activation layers A^0..A^N; W^0 = I (layer 0 is the embedded input, eq 5.25); `weights[n-1]`
maps A^n to A^{n+1}; `positions[l-1]` is the embedding in which circuit layer l is read out,
from activation layer `readout_layers[l-1]`. In the post's construction N = L and circuit layer
l is activation layer l; designs with extra clean-up layers have N > L.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from ..circuits import RotationCircuits
from .capped import StructuredLayer, check_chi_convention, structured_weights


@dataclass(frozen=True)
class NetworkSpec:
    """One large network (glossary: D, T, S, L in the post) and its design."""

    d_model: int  # D, neurons per layer
    n_circuits: int  # T
    redundancy: int  # S, large neurons per small-circuit neuron
    n_layers: int  # L, weight layers (activations 0..L)
    design: str = "baseline"
    design_options: dict = field(default_factory=dict)
    allocation: str = "prime_step"
    allocation_options: dict = field(default_factory=dict)
    chi_scale: float = 1.0  # multiplies the suppression constant χ
    chi_convention: str = "post"  # χ balances pairs t ≠ u (post eq 5.24) or t < u (published code); docs/reproduction.md

    def __post_init__(self):
        check_chi_convention(self.chi_convention)

    @classmethod
    def from_point(cls, p: dict) -> "NetworkSpec":
        """The spec of a simulation point (a dict of `cisim.config.expand_points`, or the subset an
        allocation job receives: χ does not change an allocation, so its keys may be absent)."""
        keys = ("d_model", "n_circuits", "redundancy", "n_layers", "design", "design_options", "allocation", "allocation_options")
        return cls(**{k: p[k] for k in keys}, chi_scale=p.get("chi_scale", 1.0), chi_convention=p.get("chi_convention", "post"))

    def n_blocks(self, d_circuit: int) -> int:
        """D/d, checked: D must be a multiple of the circuit width."""
        if self.d_model % d_circuit:
            raise ValueError(
                f"d_model={self.d_model} is not allowed: it must be a multiple of the circuit width d_circuit={d_circuit}"
            )
        return self.d_model // d_circuit

    def options(self, schema: type):
        """`design_options` as the design's `Options` (`schema`; its defaults where a key is absent)."""
        known = {f.name for f in dataclasses.fields(schema)}
        for key, value in self.design_options.items():
            if key not in known:
                raise ValueError(f"design.{key}={value!r} is not allowed: not an option of design {self.design!r}")
        return schema(**self.design_options)


class Design(NamedTuple):
    """A registered design (`cisim.construction.DESIGNS`): one module's functions and its options."""

    blocks: Callable  # spec -> {allocation name: n_blocks}; raises ValueError for infeasible sizes
    allocate: Callable  # (spec, rng) -> {allocation name: int ndarray (T, S)}
    build: Callable  # (spec, allocations, rngs) -> (circuits, Network)
    accounting: Callable  # spec -> {neurons_per_layer, depth, computing_layers, neurons, parameters}
    summary: str  # one line, for listings
    Options: type  # its config node (a `cisim.schema.DesignConf` dataclass): name and option fields with their rules

    @property
    def name(self) -> str:
        """The conf/design option name selecting it (`design.name`)."""
        return self.Options.name


def dense_accounting(spec, depth: int | None = None) -> dict:
    """Size of a dense network of width D with `depth` = N activation layers (default L), all of them
    computing unless the design adds layers: neurons D·N, parameters (N − 1)·D² + N·D (W^0 = I,
    the input embedding, is not counted). Keys: neurons_per_layer, depth, computing_layers,
    neurons, parameters."""
    D, L = spec.d_model, spec.n_layers
    N = L if depth is None else depth
    return {"neurons_per_layer": D, "depth": N, "computing_layers": L, "neurons": D * N, "parameters": (N - 1) * D**2 + N * D}


@dataclass(frozen=True)
class Network:
    """A constructed large network.

    Attributes
    ----------
    weights : tuple (or `LazyWeights`) of N − 1 float64 ndarrays of shape (d_model, d_model)
        W^1 … W^{N−1}; rows are output neurons. `assemble` returns `LazyWeights`, which
        builds each matrix on access from its structured form (see `structure`).
    bias : float64 ndarray of shape (d_model,)
        B, the same in every layer (post eq 5.28): b_i on every neuron of block i.
    positions : int64 ndarray of shape (n_layers, n_circuits, d_circuit, redundancy)
        Global index of the large neurons holding small neuron i of circuit t, per circuit layer.
    block_sizes : tuple of d_circuit ints
        Widths of the neuron blocks (equal, D/d, in the post's construction).
    chi : float64 ndarray of shape (N − 1, d_circuit, d_circuit)
        Suppression constants χ_ij of every weight layer.
    input_positions : int64 ndarray of shape (n_circuits, d_circuit, redundancy), optional
        Where A^0 holds each circuit's input pre-activation; default positions[0].
    readout_layers : tuple of n_layers ints, optional
        Activation layer holding circuit layer l = 1..L; default (1, …, L).
    layer_bias : tuple of N float64 ndarrays of shape (d_model,), optional
        Per-activation-layer biases when they differ from `bias` (e.g. clean-up layers).
    dynamics : callable, optional
        (circuits, states (bs, T, d), layer) -> states: the exact small-circuit dynamics when
        which circuits are active changes from layer to layer (cross-circuit designs); None
        means the post's framework (the active set is fixed by the input).
    """

    weights: tuple
    bias: np.ndarray
    positions: np.ndarray
    block_sizes: tuple
    chi: np.ndarray
    input_positions: np.ndarray | None = None
    readout_layers: tuple | None = None
    layer_bias: tuple | None = None
    dynamics: object = None

    @property
    def n_activation_layers(self) -> int:
        """N: activation layers after the input (N = L unless the design adds layers)."""
        return len(self.weights) + 1

    def input_embedding(self) -> np.ndarray:
        return self.positions[0] if self.input_positions is None else self.input_positions

    def readouts(self) -> tuple:
        return tuple(range(1, self.n_layers + 1)) if self.readout_layers is None else tuple(self.readout_layers)

    def bias_of(self, layer: int) -> np.ndarray:
        """B of activation layer `layer` (1..N)."""
        return self.bias if self.layer_bias is None else self.layer_bias[layer - 1]

    @property
    def d_model(self) -> int:
        return int(self.bias.shape[0])

    @property
    def n_layers(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_circuits(self) -> int:
        return int(self.positions.shape[1])

    @property
    def redundancy(self) -> int:
        return int(self.positions.shape[3])

    @property
    def n_neurons(self) -> int:
        """Large-network neurons per layer times activation layers (excluding the input A^0)."""
        return self.d_model * self.n_activation_layers

    @property
    def structure(self) -> tuple | None:
        """Per weight layer, the structured form (`StructuredLayer`) or None where only a dense
        matrix exists; None when `weights` is a plain tuple (a design built or edited it)."""
        return self.weights.layers if isinstance(self.weights, LazyWeights) else None

    @property
    def n_parameters(self) -> int:
        """Weights and biases of the dense network: (N − 1)·D² + N·D (W^0 = I is not counted)."""
        return len(self.weights) * self.d_model**2 + self.n_activation_layers * self.d_model


class LazyWeights(Sequence):
    """The tuple of dense weight matrices, built on access from their structured form.

    Behaves like the tuple `Network.weights` always was: `w[k]` and iteration give fresh float64
    (D, D) ndarrays (exactly `capped_weights`); slices and `+` with tuples give LazyWeights again.
    Items are `StructuredLayer`s or dense ndarrays; nothing of size D² is kept, so a network
    with D = 65,536 can be assembled and simulated by the structured forward pass
    (cisim.simulate.operators) while the dense matrices are never formed.
    """

    def __init__(self, layers):
        self.layers = tuple(layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return LazyWeights(self.layers[k])
        item = self.layers[k]
        return item.dense() if isinstance(item, StructuredLayer) else item

    def __add__(self, other):
        return LazyWeights(self.layers + tuple(other.layers if isinstance(other, LazyWeights) else other))

    def __radd__(self, other):
        return LazyWeights(tuple(other) + self.layers)

    def __repr__(self) -> str:
        kinds = ", ".join("structured" if isinstance(x, StructuredLayer) else f"dense{tuple(x.shape)}" for x in self.layers)
        return f"LazyWeights([{kinds}])"


def assemble(
    circuits: RotationCircuits, positions: np.ndarray, block_sizes, chi_scale: float = 1.0, chi_convention: str = "post"
) -> Network:
    """Weights and biases for circuits embedded at `positions` (L, T, d, S) (post eq 5.20).

    The weights are kept structured (`LazyWeights` of `StructuredLayer`s): `weights[k]`
    builds exactly the dense `capped_weights` matrix on access, and χ is computed without D².
    chi_scale multiplies χ; chi_convention ("post" or "published") picks the circuit pairs χ
    balances (`cisim.construction.capped`, docs/reproduction.md).
    """
    built = [
        structured_weights(circuits.mean_w, circuits.diff_w, positions[l], positions[l - 1], block_sizes, chi_scale, chi_convention)
        for l in range(1, positions.shape[0])
    ]
    d = circuits.d_circuit
    chi = np.stack([layer.chi for layer in built]) if built else np.zeros((0, d, d))
    bias = np.repeat(circuits.bias, block_sizes)
    return Network(LazyWeights(built), bias, positions, tuple(int(b) for b in block_sizes), chi)


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
