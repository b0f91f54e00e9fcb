"""Layer operators of the large network's forward pass: a dense GEMM, or the factored weights.

One weight layer of the capped construction (post eq 5.20; construction.md §2.3) is

    W = Σ_ij w̄_ij ⊗ 𝒲^{ij} + (1/S) Σ_t Δw_t ⊗ e_t^l e_t^{l−1 ᵀ},   𝒲^{ij} = (1/S + χ_ij)·C^{ij} − χ_ij·𝟙𝟙ᵀ

with C^{ij} the 0/1 "used pair" pattern, capped at 1 where several circuits share a pair. Writing
C^{ij} = Σ_t e_t e_tᵀ − Ex^{ij} (Ex: how many *extra* circuits use a shared pair), the layer is

    g_{t,j} = e_{t,j}^{l−1 ᵀ} X                     gather: S entries per circuit and input block
    h_{t,i} = Σ_j K_{t,ij} g_{t,j},  K_t = w̄∘(1/S + χ) + Δw_t/S       d² multiply-adds per circuit
    Y_i     = Σ_t e_{t,i}^l h_{t,i} − Σ_j w̄_ij(1/S + χ_ij)·Ex^{ij} X_j − 𝟙·Σ_j w̄_ij χ_ij 𝟙ᵀX_j

so a sample costs O(T·d·S + E + D) instead of O(D²), and memory never grows as D². The scatter
Σ_t e_t h_t is done as a gather too: every output neuron has a padded list of the source rows it
sums (circuit slots, then shared-pair corrections, then the rank-one term), always in the same
order, so results do not depend on the batch size. Everything uses only the array API standard
(`take`, `sum`, `matmul`, `concat`, elementwise), so numpy and CuPy run the same code.

Arrays are feature-major: X has shape (D, batch), one column per sample.

`plan` picks, per layer, the path with the lower modelled cost (constants below, calibrated by
`benchmarks/crossover.py`; deterministic, so a seed always takes the same path) unless the dense
weights do not fit `DENSE_BUDGET_BYTES`, or the caller forces a path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .construction.weights import StructuredLayer, block_offsets, pair_counts

DENSE, STRUCTURED = "dense", "structured"
FORWARD_CHOICES = ("auto", DENSE, STRUCTURED)

# Cost model, seconds per sample and layer = work / rate. Calibrated with benchmarks/crossover.py
# on the reference machine (docs/benchmarks.md), one BLAS thread as in the pipeline's jobs.
GEMM_RATE = 9.0e10  # float32 GEMM flop/s (float64: half)
GATHER_RATE = 1.1e9  # gathered-and-accumulated elements per second (take + add), float32
ELEMENT_RATE = 2.0e9  # other elementwise operations per second (mix, bias, ReLU)
# Dense weights of one network (all layers, in the simulation dtype) above this never take the
# dense path: override with CISIM_DENSE_BUDGET_GB.
DENSE_BUDGET_BYTES = int(float(os.environ.get("CISIM_DENSE_BUDGET_GB", "3")) * 2**30)


def combine(blocks, row):
    """Σ_i row[i]·blocks[i] over the non-zero coefficients, always in this order (so that the
    structured layers and the read-outs produce bit-identical channels)."""
    out = None
    for i, r in enumerate(row):
        if r != 0.0:
            v = float(r) * blocks[i]
            out = v if out is None else out + v
    return out if out is not None else 0.0 * blocks[0]


def complete_basis(rows: np.ndarray) -> np.ndarray:
    """An invertible (d, d) matrix whose first rows are `rows` (full row rank), completed with unit vectors."""
    basis = [np.asarray(r, dtype=np.float64) for r in rows]
    d = rows.shape[1]
    for i in range(d):
        if len(basis) == d:
            break
        trial = basis + [np.eye(d)[i]]
        if np.linalg.matrix_rank(np.array(trial)) == len(trial):
            basis = trial
    out = np.array(basis)
    if out.shape != (d, d) or np.linalg.matrix_rank(out) < d:
        raise ValueError("read-out rows are not linearly independent")
    return out


def dense_matrix(item, dtype) -> np.ndarray:
    """Host (D, D) matrix of one layer in `dtype`: the dense item, or built from the factored form.

    The factored form is expanded in `dtype` directly (peak memory ≈ one D² matrix plus the
    O(T·S²·d²) entry lists), equal to `capped_weights` up to float rounding.
    """
    if not isinstance(item, StructuredLayer):
        return np.asarray(item, dtype=dtype)
    layer = item
    T, d, S = layer.pos_out.shape
    offsets = block_offsets(layer.block_sizes)
    D = int(offsets[-1])
    W = np.zeros((D, D), dtype=dtype)
    for (oc, ic), (pairs, _, _, _) in layer.patterns.items():
        local_out = layer.pos_out[:, oc] - offsets[oc]
        local_in = layer.pos_in[:, ic] - offsets[ic]
        n_in = layer.block_sizes[ic]
        used, _ = pair_counts(local_out, local_in, n_in)
        for i, j in pairs:
            block = W[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]]
            block[...] = layer.mean_w[i, j] * (-layer.chi[i, j])
            block[used // n_in, used % n_in] = layer.mean_w[i, j] * (1.0 / S)
    t, i, j = np.nonzero(layer.diff_w)
    if t.size:
        rows = layer.pos_out[t, i][:, :, None]
        cols = layer.pos_in[t, j][:, None, :]
        flat = np.broadcast_to(rows * D + cols, (t.size, S, S)).ravel()
        vals = np.broadcast_to((layer.diff_w[t, i, j] / S)[:, None, None], (t.size, S, S)).ravel()
        uniq, inverse = np.unique(flat, return_inverse=True)
        W.flat[uniq] += np.bincount(inverse, weights=vals, minlength=uniq.size).astype(dtype)
    return W


class DenseOperator:
    """X (D, batch) ↦ W X: one GEMM."""

    path = DENSE

    def __init__(self, item, dtype, xp):
        self.xp = xp
        self.W = xp.asarray(dense_matrix(item, dtype))

    def __call__(self, X, gathered=None):
        return self.xp.matmul(self.W, X)


class StructuredOperator:
    """X (D, batch) ↦ W X from the factored form of one capped layer (module docstring).

    `gather(X)` returns per-circuit sums over the S input positions, one (T, batch) array per
    basis row. When all blocks share their local input positions and `readout_rows` R (the
    circuits' linear read-out, `readout.readout_matrix`) is given, the basis starts with R: the
    first gathered arrays, times 1/S, are then exactly the read-out channels of the input layer
    (`channels(g)`, bit-identical to `readout.ChannelReadout`), so that layer is read out for free.
    Otherwise the basis is the identity (g_j sums block j). Pass `gathered` back to `__call__`.
    """

    path = STRUCTURED

    def __init__(self, layer: StructuredLayer, dtype, xp, readout_rows: np.ndarray | None = None):
        self.xp = xp
        self.dtype = np.dtype(dtype)
        T, d, S = layer.pos_out.shape
        self.shape = (T, d, S)
        self.block_sizes = layer.block_sizes
        self.offsets = block_offsets(layer.block_sizes)
        D = int(self.offsets[-1])
        self.pos_in = layer.pos_in
        asidx = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.int64))  # noqa: E731
        local_in = layer.pos_in - self.offsets[:-1][None, :, None]
        shared_in = len(set(self.block_sizes)) == 1 and all(np.array_equal(local_in[:, 0], local_in[:, j]) for j in range(d))
        self.n_channels = 0
        if shared_in and readout_rows is not None:
            self.basis = complete_basis(np.asarray(readout_rows, dtype=np.float64))
            self.n_channels = readout_rows.shape[0]
            self.shared_idx = [asidx(local_in[:, 0, s]) for s in range(S)]
        else:
            self.basis = None
            self.in_idx = [[asidx(layer.pos_in[:, j, s]) for s in range(S)] for j in range(d)]
        self.S = S
        # mixing h_i = Σ_c K'[:, i, c] g_c with K' = K·B⁻¹: scalar where the same for every circuit
        K = layer.mean_w * (1.0 / S + layer.chi) + layer.diff_w / S  # (T, d, d)
        if self.basis is not None:
            K = K @ np.linalg.inv(self.basis)
            K[np.abs(K) < 1e-14] = 0.0
        self.mix = []
        for i in range(d):
            terms = []
            for j in range(d):
                col = K[:, i, j]
                if not col.any():
                    continue
                if np.all(col == col[0]):
                    terms.append((j, float(col[0])))
                else:
                    terms.append((j, xp.asarray(col[:, None].astype(self.dtype))))
            self.mix.append(terms)
        # sources of the output rows: h rows i·T + t, then corrections, then the zero row
        n_rows = d * T
        dst = [layer.pos_out.transpose(1, 0, 2).ravel()]  # (i, t, s) → output neuron
        src = [np.repeat(np.arange(d * T), S)]  # (i, t, s) → h row i·T + t
        self.excess = []  # (coefficients {j: c}, local input indices, multiplicities)
        for (oc, ic), (pairs, _, codes, extra) in layer.patterns.items():
            if codes.size == 0:
                continue
            n_in = layer.block_sizes[ic]
            rows_by_coefs = {}
            for i, j in pairs:
                rows_by_coefs.setdefault(i, {})[j] = float(layer.mean_w[i, j] * (1.0 / S + layer.chi[i, j]))
            groups = {}
            for i, coefs in rows_by_coefs.items():
                groups.setdefault(tuple(sorted(coefs.items())), []).append(i)
            for coefs, outs in groups.items():
                start = n_rows
                self.excess.append((coefs, asidx(codes % n_in), xp.asarray((-extra[:, None]).astype(self.dtype))))
                n_rows += codes.size
                for i in outs:
                    dst.append(codes // n_in + self.offsets[i])
                    src.append(start + np.arange(codes.size))
        self.rank_one = []  # (coefficients {j: c})
        groups = {}
        for i in range(d):
            coefs = tuple((j, float(layer.mean_w[i, j] * layer.chi[i, j])) for j in range(d) if layer.mean_w[i, j] * layer.chi[i, j] != 0)
            if coefs:
                groups.setdefault(coefs, []).append(i)
        for coefs, outs in groups.items():
            self.rank_one.append(coefs)
            for i in outs:
                dst.append(np.arange(self.offsets[i], self.offsets[i + 1]))
                src.append(np.full(self.block_sizes[i], n_rows))
            n_rows += 1
        self.zero_row = n_rows
        dst, src = np.concatenate(dst), np.concatenate(src)
        order = np.lexsort((np.arange(dst.size), dst))  # by neuron, then in the order listed above
        dst, src = dst[order], src[order]
        counts = np.bincount(dst, minlength=D)
        width = int(counts.max()) if counts.size else 0
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        table = np.full((width, D), self.zero_row, dtype=np.int64)
        table[np.arange(dst.size) - starts[dst], dst] = src
        self.table = [asidx(table[k]) for k in range(width)]
        self.n_sources = n_rows + 1
        self.n_excess = sum(int(e[1].shape[0]) for e in self.excess)
        self.d_model = D

    def cost(self) -> dict:
        """Work per sample: gathered elements and elementwise operations (for the cost model)."""
        T, d, S = self.shape
        gathers = T * d * S + len(self.table) * self.d_model + self.n_excess
        elements = 2 * T * sum(len(m) for m in self.mix) + 2 * self.n_excess + 3 * self.d_model
        return {"gathers": gathers, "elements": elements, "bytes_per_sample": self.dtype.itemsize * (3 * T * d + self.n_sources + 4 * self.d_model)}

    def gather(self, X) -> list:
        xp = self.xp
        out = []
        if self.basis is not None:
            blocks = [self._block(X, j) for j in range(len(self.basis))]
            sources = [(combine(blocks, row), self.shared_idx) for row in self.basis]
        else:
            sources = [(X, idx) for idx in self.in_idx]
        for V, idx in sources:
            acc = xp.take(V, idx[0], axis=0)
            for k in idx[1:]:
                acc += xp.take(V, k, axis=0)
            out.append(acc)
        return out

    def channels(self, gathered) -> list | None:
        """The input layer's read-out channels from `gather`'s output (None without a read-out basis)."""
        if not self.n_channels:
            return None
        return [g * (1.0 / self.S) for g in gathered[: self.n_channels]]

    def _block(self, X, j):
        return X[int(self.offsets[j]) : int(self.offsets[j + 1]), :]

    def __call__(self, X, gathered=None):
        xp = self.xp
        g = self.gather(X) if gathered is None else gathered
        parts = []
        for terms in self.mix:
            h = None
            for j, c in terms:
                v = c * g[j]
                h = v if h is None else h + v
            parts.append(h if h is not None else xp.zeros_like(g[0]))
        for coefs, idx, extra in self.excess:
            U = None
            for j, c in coefs:
                v = c * self._block(X, j)
                U = v if U is None else U + v
            parts.append(xp.take(U, idx, axis=0) * extra)
        for coefs in self.rank_one:
            r = None
            for j, c in coefs:
                v = (-c) * xp.sum(self._block(X, j), axis=0, keepdims=True)
                r = v if r is None else r + v
            parts.append(r)
        parts.append(xp.zeros((1, X.shape[1]), dtype=X.dtype))
        H = xp.concat(parts, axis=0)
        Y = xp.take(H, self.table[0], axis=0)
        for idx in self.table[1:]:
            Y += xp.take(H, idx, axis=0)
        return Y


def layer_costs(item, dtype) -> dict:
    """Modelled seconds per sample of each path for one layer (`dense` is None if impossible)."""
    itemsize = np.dtype(dtype).itemsize
    gemm = GEMM_RATE * (4 / itemsize)
    if isinstance(item, StructuredLayer):
        D = item.d_model
        T, d, S = item.pos_out.shape
        n_excess = sum(p[2].size * len(p[0]) for p in item.patterns.values())  # upper bound
        load = np.bincount(item.pos_out.ravel(), minlength=D).max()
        gathers = T * d * S + (int(load) + 2) * D + n_excess
        elements = 2 * T * d * d + 3 * D
        structured = gathers / GATHER_RATE + elements / ELEMENT_RATE
    else:
        D = int(item.shape[0])
        structured = None
    return {DENSE: 2.0 * D * D / gemm + 2 * D / ELEMENT_RATE, STRUCTURED: structured, "dense_bytes": D * D * itemsize}


@dataclass
class Plan:
    """The operators of a network's weight layers and which path each takes."""

    ops: list
    paths: list
    reasons: list

    @property
    def path(self) -> str:
        """dense, structured, mixed, or none (no weight layer)."""
        kinds = set(self.paths)
        return kinds.pop() if len(kinds) == 1 else ("none" if not kinds else "mixed")

    @property
    def summary(self) -> str:
        parts = [f"layer {k + 1}: {p} ({r})" for k, (p, r) in enumerate(zip(self.paths, self.reasons))]
        return "; ".join(parts)


def layer_items(weights) -> list:
    """The layers of `weights` as StructuredLayer or dense arrays (never materialising)."""
    return list(weights.layers) if hasattr(weights, "layers") else list(weights)


def choose(weights, dtype, forward: str = "auto") -> tuple[list, list]:
    """Per layer (path, reason), deterministic given the layers, dtype and `forward`."""
    items = layer_items(weights)
    if forward not in FORWARD_CHOICES:
        raise ValueError(f"sim.forward={forward!r} is not allowed: one of {', '.join(FORWARD_CHOICES)}")
    costs = [layer_costs(item, dtype) for item in items]
    dense_total = sum(c["dense_bytes"] for c in costs)
    paths, reasons = [], []
    for item, c in zip(items, costs):
        if c[STRUCTURED] is None:
            paths.append(DENSE)
            reasons.append("dense matrix only: the design built or edited this layer directly")
        elif forward == DENSE:
            paths.append(DENSE)
            reasons.append("forced")
        elif forward == STRUCTURED:
            paths.append(STRUCTURED)
            reasons.append("forced")
        elif dense_total > DENSE_BUDGET_BYTES:
            paths.append(STRUCTURED)
            reasons.append(f"dense weights need {dense_total / 2**30:.1f} GiB > budget {DENSE_BUDGET_BYTES / 2**30:.1f} GiB")
        else:
            fast = DENSE if c[DENSE] <= c[STRUCTURED] else STRUCTURED
            paths.append(fast)
            reasons.append(f"model {c[DENSE] * 1e6:.1f} µs dense vs {c[STRUCTURED] * 1e6:.1f} µs structured per sample")
    return paths, reasons


def plan(weights, dtype, xp, forward: str = "auto", readout_rows: np.ndarray | None = None) -> Plan:
    """Operators for every weight layer of `weights` (a tuple of arrays or `LazyWeights`);
    `readout_rows`: the circuits' read-out matrix, the gather basis of structured layers."""
    items = layer_items(weights)
    paths, reasons = choose(items, dtype, forward)
    ops = []
    for item, path in zip(items, paths):
        ops.append(StructuredOperator(item, dtype, xp, readout_rows) if path == STRUCTURED else DenseOperator(item, dtype, xp))
    return Plan(ops, paths, reasons)
