"""Read-out of every circuit's channels (α̂, x̂_0, x̂_1, …) from one large-network layer (post eq 5.30).

    â_t[i] = (1/S) Σ_s X[positions[t, i, s]],   (α̂, x̂) = R·â

with X the feature-major activations (D, batch) and R the circuits' linear read-out
(`readout_matrix`). When all blocks share their local positions, each channel is one gather
(or one GEMM) of the combination Σ_i R[c, i] X_i. Two equivalent strategies: `dense` multiplies
by a (T, n_block) 0/1 matrix (fast BLAS; only while it stays small), `gather` takes the S entries
per circuit directly. Neither ever forms a (samples × circuits × neurons) product. Only array API
calls are used (numpy, CuPy, array_api_strict); the kernels and cost constants are the weight
layers' (`operators`), so that a structured layer's gather and this read-out are bit-identical.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import is_numpy_namespace

from ..construction.layout import block_offsets
from .operators import GEMM_RATE, ROW_GATHER_RATE, combine, gathered, tile_rows

GEMM_BUDGET_BYTES = 256 * 2**20  # read-out matrices above this use the gather strategy


def readout_matrix(circuits) -> np.ndarray:
    """R (n_channels, d): rows α, x_0, x_1, … of `circuits.read`, which must be linear."""
    d = circuits.d_circuit
    alpha, x = circuits.read(np.eye(d))
    R = np.vstack([alpha[None, :], np.asarray(x).T])
    probe = np.random.default_rng(0).standard_normal((7, d))
    a_probe, x_probe = circuits.read(probe)
    if not (np.allclose(a_probe, probe @ R[0]) and np.allclose(x_probe, probe @ R[1:].T)):
        raise NotImplementedError(f"{type(circuits).__name__}.read is not linear: the forward pass needs a linear read-out")
    return R


class ChannelReadout:
    """Channels (α̂, x̂_0, x̂_1, …) of every circuit from one layer: a list of (T, batch) arrays.

    positions : int (T, d, S) global neuron indices; R : (n_channels, d) from `readout_matrix`.
    strategy  : "gather" (S takes per channel), "dense" (one (T × n) GEMM per channel) or "auto"
                (the cheaper by the cost model of `operators`, dense only below GEMM_BUDGET_BYTES).
    """

    def __init__(self, positions: np.ndarray, block_sizes, R: np.ndarray, dtype, xp, strategy: str = "auto"):
        self.xp = xp
        self.dtype = np.dtype(dtype)
        self.positions = positions
        self.R = np.asarray(R, dtype=np.float64)
        self.offsets = block_offsets(block_sizes)
        T, d, S = positions.shape
        self.S = S
        local = positions - self.offsets[:-1][None, :, None]
        self.shared = len(set(block_sizes)) == 1 and all(np.array_equal(local[:, 0], local[:, i]) for i in range(d))
        n_src = R.shape[0] if self.shared else d
        n = max(block_sizes)
        itemsize = np.dtype(dtype).itemsize
        gemm_bytes = (1 if self.shared else d) * n * T * itemsize
        if strategy == "auto":
            gather_cost = n_src * T * S / ROW_GATHER_RATE
            dense_cost = 2.0 * n_src * T * n / (GEMM_RATE * 4 / itemsize)
            strategy = "dense" if dense_cost < gather_cost and gemm_bytes <= GEMM_BUDGET_BYTES else "gather"
        self.strategy = strategy
        asidx = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.int64))  # noqa: E731
        if strategy == "gather":
            if self.shared:
                self.idx = [asidx(local[:, 0, s]) for s in range(S)]
            else:
                self.idx = [[asidx(positions[:, i, s]) for s in range(S)] for i in range(d)]
        else:
            mats = []
            for i in range(1 if self.shared else d):
                m = np.zeros((T, block_sizes[i]), dtype=dtype)
                np.add.at(m, (np.repeat(np.arange(T), S), local[:, i].ravel()), 1.0)
                mats.append(xp.asarray(m))
            self.mats = mats

    def _block(self, X, i):
        return X[int(self.offsets[i]) : int(self.offsets[i + 1]), :]

    def from_gather(self, g) -> list:
        """Channels from per-circuit sums g_i = Σ_s X[positions[:, i, s]] (list of d (T, batch))."""
        return [combine(g, row) * (1.0 / self.S) for row in self.R]

    def __call__(self, X) -> list:
        xp = self.xp
        T, d, _ = self.positions.shape
        tile = tile_rows(int(X.shape[1]), np.dtype(self.dtype).itemsize)
        if self.shared:
            blocks = [self._block(X, i) for i in range(d)]
            out = []
            for row in self.R:
                V = combine(blocks, row)
                if self.strategy == "gather":
                    acc = gathered(xp, V, self.idx, T, tile)
                else:
                    acc = xp.matmul(self.mats[0], V)
                out.append(np.multiply(acc, 1.0 / self.S, out=acc) if is_numpy_namespace(xp) else acc * (1.0 / self.S))
            return out
        if self.strategy == "gather":
            g = [gathered(xp, X, idx, T, tile) for idx in self.idx]
        else:
            g = [xp.matmul(self.mats[i], self._block(X, i)) for i in range(d)]
        return self.from_gather(g)
