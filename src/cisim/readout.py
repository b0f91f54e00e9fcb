"""Read-out of every circuit's small neurons from one large-network layer (post eq 5.30).

    â_t[i] = (1/S) Σ_s A[positions[t, i, s]]

Two equivalent strategies. `dense` multiplies each block of A by an (n_block, T) matrix holding
the S-hot un-embeddings (fast BLAS; used while these matrices stay small); `gather` takes the
S entries per circuit directly (memory O(samples·T·d·S) per batch, no (neurons × circuits)
matrix). Neither ever forms a (samples × circuits × neurons) product.
"""

from __future__ import annotations

import numpy as np

from .construction.weights import block_offsets

DENSE_BUDGET_BYTES = 256 * 2**20


class Readout:
    """Un-embedding for one layer.

    positions : int ndarray of shape (T, d, S), global neuron indices.
    block_sizes : the d block widths.
    """

    def __init__(self, positions: np.ndarray, block_sizes, dtype=np.float32, strategy: str = "auto"):
        self.positions = positions
        self.offsets = block_offsets(block_sizes)
        n_circuits, d, redundancy = positions.shape
        local = positions - self.offsets[:-1][None, :, None]
        shared = all(np.array_equal(local[:, 0], local[:, i]) for i in range(d)) and len(set(block_sizes)) == 1
        n_mats = 1 if shared else d
        nbytes = n_mats * max(block_sizes) * n_circuits * np.dtype(dtype).itemsize
        self.strategy = ("dense" if nbytes <= DENSE_BUDGET_BYTES else "gather") if strategy == "auto" else strategy
        self.shared = shared
        if self.strategy == "dense":
            self.matrices = []
            for i in range(n_mats):
                m = np.zeros((block_sizes[i], n_circuits), dtype=dtype)
                np.add.at(m, (local[:, i].ravel(), np.repeat(np.arange(n_circuits), redundancy)), 1.0 / redundancy)
                self.matrices.append(m)

    def __call__(self, activations: np.ndarray) -> np.ndarray:
        """activations (bs, D) → estimates â of shape (bs, T, d), in the activations' dtype."""
        bs = activations.shape[0]
        n_circuits, d, _ = self.positions.shape
        if self.strategy == "gather":
            picked = np.take(activations, self.positions.reshape(-1), axis=1)
            return picked.reshape(bs, n_circuits, d, -1).mean(-1)
        if self.shared:
            blocks = activations.reshape(bs * d, -1)  # equal blocks: one GEMM for all d
            est = (blocks @ self.matrices[0]).reshape(bs, d, n_circuits)
        else:
            est = np.stack(
                [activations[:, self.offsets[i] : self.offsets[i + 1]] @ self.matrices[i] for i in range(d)], 1
            )
        return np.ascontiguousarray(np.swapaxes(est, 1, 2))
