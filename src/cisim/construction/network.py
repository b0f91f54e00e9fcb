"""The large network: dense weights per layer, shared biases, and the read-out embedding.

Source: post §5.3–5.5, eqs 5.17–5.30; docs/method.md §3. Indexing follows the published code:
activation layers A^0..A^N; W^0 = I (layer 0 is the embedded input, eq 5.25); `weights[n-1]`
maps A^n to A^{n+1}; `positions[l-1]` is the embedding in which circuit layer l is read out,
from activation layer `readout_layers[l-1]`. In the post's construction N = L and circuit layer
l is activation layer l; designs with extra clean-up layers have N > L.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..circuits import RotationCircuits
from .weights import StructuredLayer, block_offsets, capped_weights, structured_weights


@dataclass(frozen=True)
class Network:
    """A constructed large network.

    Attributes
    ----------
    weights : tuple (or `LazyWeights`) of N − 1 float64 ndarrays of shape (d_model, d_model)
        W^1 … W^{N−1}; rows are output neurons. `assemble` returns `LazyWeights`, which
        builds each matrix on access from its factored form (see `structure`).
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
        """Per weight layer, the factored form (`StructuredLayer`) or None where only a dense
        matrix exists; None when `weights` is a plain tuple (a design built or edited it)."""
        return self.weights.layers if isinstance(self.weights, LazyWeights) else None

    @property
    def n_parameters(self) -> int:
        """Weights and biases of the dense network: (N − 1)·D² + N·D (W^0 = I is not counted)."""
        return len(self.weights) * self.d_model**2 + self.n_activation_layers * self.d_model


class LazyWeights(Sequence):
    """The tuple of dense weight matrices, built on access from their factored form.

    Behaves like the tuple `Network.weights` always was: `w[k]` and iteration give fresh float64
    (D, D) ndarrays (exactly `capped_weights`); slices and `+` with tuples give LazyWeights again.
    Items are `StructuredLayer`s or dense ndarrays; nothing of size D² is kept, so a network
    with D = 65,536 can be assembled and simulated by the structured forward pass
    (cisim.forward) while the dense matrices are never formed.
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


def layer_positions(local: np.ndarray, block_sizes) -> np.ndarray:
    """Global positions (…, d, S) from block-local positions (…, S) shared by all d neurons."""
    offsets = block_offsets(block_sizes)[:-1]
    return local[..., None, :] + offsets[:, None]


def assemble(
    circuits: RotationCircuits, positions: np.ndarray, block_sizes, chi_scale: float = 1.0, chi_convention: str = "post"
) -> Network:
    """Weights and biases for circuits embedded at `positions` (L, T, d, S) (post eq 5.20).

    The weights are kept in factored form (`LazyWeights` of `StructuredLayer`s): `weights[k]`
    builds exactly the dense `capped_weights` matrix on access, and χ is computed without D².
    chi_scale multiplies χ; chi_convention ("post" or "published") picks the circuit pairs χ
    balances (`cisim.construction.weights`, docs/reproduction.md).
    """
    built = [
        structured_weights(circuits.mean_w, circuits.diff_w, positions[l], positions[l - 1], block_sizes, chi_scale, chi_convention)
        for l in range(1, positions.shape[0])
    ]
    d = circuits.d_circuit
    chi = np.stack([layer.chi for layer in built]) if built else np.zeros((0, d, d))
    bias = np.repeat(circuits.bias, block_sizes)
    return Network(LazyWeights(built), bias, positions, tuple(int(b) for b in block_sizes), chi)
