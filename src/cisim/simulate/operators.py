"""Weight-layer operators of the large network's forward pass (a dense GEMM, or the factored
weights), the plan that picks one per layer, and the cost model behind the choice.

One weight layer of the capped construction (post eq 5.20; docs/method.md §3.4) is

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

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from array_api_compat import is_numpy_namespace

from ..backend import side_by_side
from ..construction.capped import StructuredLayer, pair_counts
from ..construction.layout import block_offsets

DENSE, STRUCTURED = "dense", "structured"
FORWARD_CHOICES = ("auto", DENSE, STRUCTURED)

# Cost model, seconds per sample and layer = work / rate. Calibrated with benchmarks/crossover.py
# on the reference machine (docs/benchmarks.md), one BLAS thread as in the pipeline's jobs.
GEMM_RATE = 1.15e11  # float32 GEMM flop/s (float64: half)
GATHER_RATE = 1.0e9  # gathered-and-accumulated elements per second (take + add), float32
ELEMENT_RATE = 4.0e9  # other elementwise operations per second (mixing, bias, ReLU)
# The read-out gathers whole rows of a feature-major batch (contiguous copies), faster per element
# than a structured layer's scattered gathers: benchmarks/readout.py measured 1.4–3.0e9 elements/s
# (AMD EPYC, one thread), where the (T × n) 0/1 GEMM ran at ≈ 75 GFLOP/s and never won.
ROW_GATHER_RATE = 2.0e9
TILE_BYTES = 512 * 2**10  # row tiles of gathers and sums stay in the L2 cache
# Expanding a factored layer into its dense matrix (`dense_matrix`) is paid once per network: D²
# writes plus one scattered add per entry of the Δw term (T·S²·d² of them). benchmarks/dense_build.py
# measures both (AMD EPYC, one thread). A plan that knows how many samples will run
# (`choose(..., n_samples)`) takes the dense path only when its GEMMs save more than this costs.
FILL_RATE = 5.0e8  # dense matrix elements written per second
BUILD_RATE = 2.0e7  # Δw entries scattered into the dense matrix per second (np.add.at)
# Dense weights of one network (all layers, in the simulation dtype) above this never take the
# dense path: override with CISIM_DENSE_BUDGET_GB.
DENSE_BUDGET_BYTES = int(float(os.environ.get("CISIM_DENSE_BUDGET_GB", "3")) * 2**30)


def combine(blocks, row):
    """Σ_i row[i]·blocks[i] over the non-zero coefficients, always in this order (so that the
    structured layers and the read-outs produce bit-identical channels)."""
    out, own = None, False  # own: `out` is an array made here, which numpy may then update in place
    for i, r in enumerate(row):
        if r == 0.0:
            continue
        if out is None:
            out, own = (blocks[i], False) if r == 1.0 else (float(r) * blocks[i], True)
            continue
        term = blocks[i] if r in (1.0, -1.0) else float(r) * blocks[i]
        if own and isinstance(out, np.ndarray):
            if r == -1.0:
                out -= term
            else:
                out += term
        else:
            out, own = (out - term if r == -1.0 else out + term), True  # out − b = out + (−1)·b exactly
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
    """Host (D, D) matrix of one weight layer in `dtype`, as the dense path multiplies by it: a
    dense item as it is, a `StructuredLayer` expanded in `dtype` directly.

    The float64 reference is the construction's `StructuredLayer.dense()` (`capped_weights`);
    this expansion keeps the peak at one D² matrix in `dtype` (plus O(T·S²·d²) entry lists)
    instead of three float64 ones, and equals the reference up to float rounding.
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
        np.add.at(W.reshape(-1), flat, vals.astype(dtype))  # in entry order: deterministic
    return W


def zero_block_bands(W: np.ndarray, block_sizes) -> list:
    """Row bands of W (D, D) that skip all-zero blocks: a list of (r0, r1, c0, c1), output rows
    [r0, r1) reading only input rows [c0, c1) (empty c-range: the rows are zero).

    A block (i, j) of the circuits' blocks is skipped when it is exactly zero; consecutive output
    blocks reading the same span of input blocks share one band. The rotation circuits' on-indicator
    never reads the rotation neurons (post eq 5.1), so their two indicator blocks read half of
    the input and the GEMM does 3/4 of the D² multiply-adds. For finite activations skipping exact
    zeros changes no term of any sum (an inf or NaN input no longer spreads, through 0·inf, into the
    rows that do not read it).
    """
    offsets = [int(o) for o in block_offsets(block_sizes)]
    spans = []
    for i in range(len(block_sizes)):
        rows = W[offsets[i] : offsets[i + 1]]
        used = [j for j in range(len(block_sizes)) if np.any(rows[:, offsets[j] : offsets[j + 1]])]
        span = (offsets[min(used)], offsets[max(used) + 1]) if used else (0, 0)
        if spans and spans[-1][2:] == span:
            spans[-1] = (spans[-1][0], offsets[i + 1], *span)
        else:
            spans.append((offsets[i], offsets[i + 1], *span))
    return spans


class DenseOperator:
    """X (D, batch) ↦ W X: one GEMM per row band of W (`zero_block_bands`; without block sizes,
    or when no block is zero, one GEMM of the whole matrix). On numpy the bands are views of the one
    matrix (BLAS reads them with its row stride); elsewhere each band is its own contiguous array
    (a GPU GEMM would copy a strided operand at every call), 3/4 of the matrix's memory.

    block_sizes : the circuits' block widths (a factored layer knows its own)."""

    path = DENSE

    def __init__(self, item, dtype, xp, block_sizes=None):
        self.xp = xp
        W = dense_matrix(item, dtype)
        if block_sizes is None:
            block_sizes = item.block_sizes if isinstance(item, StructuredLayer) else (W.shape[0],)
        D = W.shape[0]
        bands = zero_block_bands(W, block_sizes) if sum(block_sizes) == D == W.shape[1] else [(0, D, 0, D)]
        self.D = D
        if is_numpy_namespace(xp):
            self.bands = [(r0, r1, c0, c1, W[r0:r1, c0:c1]) for r0, r1, c0, c1 in bands]
        else:
            self.bands = [(r0, r1, c0, c1, xp.asarray(np.ascontiguousarray(W[r0:r1, c0:c1]))) for r0, r1, c0, c1 in bands]
        self.multiply_adds = sum((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in bands)

    def __call__(self, X):
        xp = self.xp
        if len(self.bands) == 1 and self.bands[0][:4] == (0, self.D, 0, self.D):
            return xp.matmul(self.bands[0][4], X)
        if is_numpy_namespace(xp):
            Y = np.empty((self.D, *X.shape[1:]), dtype=np.result_type(self.bands[0][4].dtype, X.dtype))
            for r0, r1, c0, c1, Wb in self.bands:
                if c1 > c0:
                    np.matmul(Wb, X[c0:c1], out=Y[r0:r1])
                else:
                    Y[r0:r1] = 0
            return Y
        parts = [xp.matmul(Wb, X[c0:c1, ...]) if c1 > c0 else xp.zeros((r1 - r0, X.shape[1]), dtype=X.dtype)
                 for r0, r1, c0, c1, Wb in self.bands]
        return xp.concat(parts, axis=0)


def tile_rows(batch: int, itemsize: int) -> int:
    """Rows per tile so that one (rows, batch) tile stays in the L2 cache (TILE_BYTES)."""
    return max(16, TILE_BYTES // max(1, batch * itemsize))


def gather_sum(xp, source, idx_list, lo: int, hi: int):
    """Σ_k source[idx_list[k][lo:hi]] (rows), summed in list order."""
    acc = xp.take(source, idx_list[0][lo:hi], axis=0)
    for idx in idx_list[1:]:
        acc += xp.take(source, idx[lo:hi], axis=0)
    return acc


# Row tiles of one batch split over threads (`row_threads`); unset: one thread. A context variable,
# so the worker threads of batches run side by side (`run`) never split again.
_ROW_POOL = contextvars.ContextVar("cisim_row_pool", default=None)


@contextmanager
def row_threads(n: int):
    """Context: the numpy tile loops of this thread's structured layers and read-outs (`gathered`,
    `stacked`) split their row tiles over `n` threads, for one batch on several cores (take and
    the elementwise sums release the GIL). Every row is computed as on one thread, so the results
    are the same bits; n < 2 changes nothing."""
    if n < 2:
        yield
        return
    with ThreadPoolExecutor(n) as pool:
        token = _ROW_POOL.set((pool, n))
        try:
            yield
        finally:
            _ROW_POOL.reset(token)


def over_tiles(n_rows: int, tile: int, work) -> None:
    """work(start, stop) on contiguous runs of whole tiles covering [0, n_rows): one run, or one per
    thread of `row_threads` (each run starts on a tile boundary, so the tiles are the same)."""
    pooled = _ROW_POOL.get()
    n_tiles = -(-n_rows // tile)
    if pooled is None or n_tiles < 2:
        work(0, n_rows)
        return
    pool, n = pooled
    bounds = [min(n_rows, (n_tiles * k // n) * tile) for k in range(n + 1)]
    for f in [pool.submit(work, lo, hi) for lo, hi in zip(bounds, bounds[1:]) if hi > lo]:
        f.result()


def gathered(xp, source, idx_list, n_rows: int, tile: int):
    """Σ_k source[idx_list[k]] (rows), (n_rows, batch), summed in list order, tile by tile of
    `tile` rows. On numpy every take writes into the output or into one reused tile buffer (no
    fresh arrays per tile, no concat), and the tiles may run on several threads (`row_threads`);
    the sums are bit-identical to `gather_sum` over `tiled`."""
    if not is_numpy_namespace(xp):
        return tiled(xp, n_rows, tile, lambda lo, hi: gather_sum(xp, source, idx_list, lo, hi))
    out = np.empty((n_rows, *source.shape[1:]), dtype=source.dtype)

    def rows(start: int, stop: int) -> None:
        buffer = np.empty((min(tile, stop - start), *source.shape[1:]), dtype=source.dtype) if len(idx_list) > 1 else None
        for lo in range(start, stop, tile):
            hi = min(lo + tile, stop)
            acc = out[lo:hi]
            np.take(source, idx_list[0][lo:hi], axis=0, out=acc, mode="clip")  # "raise" would buffer `out`
            for idx in idx_list[1:]:
                part = buffer[: hi - lo]
                np.take(source, idx[lo:hi], axis=0, out=part, mode="clip")
                acc += part

    over_tiles(n_rows, tile, rows)
    return out


def tiled(xp, n_rows: int, tile: int, f):
    """concat of f(lo, hi) over row tiles [lo, hi) of [0, n_rows)."""
    parts = [f(lo, min(lo + tile, n_rows)) for lo in range(0, n_rows, tile)]
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


def stacked(xp, parts, tile: int, zero):
    """The rows of every part in order, then the row `zero` (1, batch): parts are (n_rows, f) with
    f(lo, hi) the part's rows [lo, hi), built tile by tile. On numpy the tiles are written into
    one array (no list of parts, no concat: half the peak memory of a (T, batch) part);
    elsewhere concatenated. The same values either way."""
    if not is_numpy_namespace(xp):
        return xp.concat([tiled(xp, n, tile, f) for n, f in parts if n] + [zero], axis=0)
    out = np.empty((sum(n for n, _ in parts) + 1, *zero.shape[1:]), dtype=zero.dtype)
    at = 0
    for n, f in parts:
        def rows(start: int, stop: int, at=at, f=f) -> None:
            for lo in range(start, stop, tile):
                hi = min(lo + tile, stop)
                out[at + lo : at + hi] = f(lo, hi)

        over_tiles(n, tile, rows)
        at += n
    out[at:] = zero
    return out


def padded_table(dst: np.ndarray, src: np.ndarray, n_out: int, pad: int) -> np.ndarray:
    """(width, n_out) int64: column n lists the src entries with dst == n, in the given order,
    padded with `pad` (a zero row of the sources)."""
    # a stable sort of keys that fit 16 bits is numpy's O(n) radix sort (block widths up to 65,536)
    keys = dst.astype(np.uint16) if n_out <= 2**16 else dst
    order = np.argsort(keys, kind="stable")
    dst, src = dst[order], src[order]
    counts = np.bincount(dst, minlength=n_out)
    width = int(counts.max()) if counts.size else 0
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    table = np.full((width, n_out), pad, dtype=np.int64)
    table[np.arange(dst.size) - starts[dst], dst] = src
    return table


class StructuredOperator:
    """X (D, batch) ↦ W X from the factored form of one capped layer (module docstring).

    Gather basis: when all blocks share their local input positions and `readout_rows` R (the
    circuits' linear read-out, `readout.readout_matrix`) is given, the per-circuit sums are taken
    of the combinations V_c = Σ_i B_ci X_i, B an invertible completion of R, so that the first
    gathered arrays times 1/S are exactly the read-out channels of the input layer (bit-identical
    to `readout.ChannelReadout`): `apply` returns them, and that layer is read out for free.
    Otherwise the basis is the identity (g_j sums block j). Basis rows that no output needs
    (e.g. a_1 in the post's circuit) are not gathered.

    The mixing splits as K'_t = K̄ + ΔK'_t (K̄ = w̄∘(1/S + χ)·B⁻¹, the same for every circuit):
    output blocks with the same local positions, K̄ row and corrections share one "mean" part
    M = scatter(Σ_c K̄_c g_c) − shared-pair corrections − rank-one term, and only blocks with a
    per-circuit part add scatter(Σ_c ΔK'_c g_c). All loops run over row tiles that fit the L2
    cache; the order of every sum is fixed, independent of the batch and the tiles.
    """

    path = STRUCTURED

    def __init__(self, layer: StructuredLayer, dtype, xp, readout_rows: np.ndarray | None = None):
        self.xp = xp
        self.dtype = np.dtype(dtype)
        T, d, S = layer.pos_out.shape
        self.shape = (T, d, S)
        self.S = S
        self.block_sizes = layer.block_sizes
        self.offsets = block_offsets(layer.block_sizes)
        self.d_model = int(self.offsets[-1])
        self.pos_in = layer.pos_in
        asidx = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.int64))  # noqa: E731
        ascol = lambda a: xp.asarray(np.ascontiguousarray(a[:, None], dtype=self.dtype))  # noqa: E731
        spec = analyse(layer, readout_rows)
        self.basis, self.n_channels, self.needed = spec["basis"], spec["n_channels"], spec["needed"]
        local_in = layer.pos_in - self.offsets[:-1][None, :, None]
        if self.basis is not None:
            shared = [asidx(local_in[:, 0, s]) for s in range(S)]
            self.sources = [(c, shared) for c in self.needed]
        else:
            self.sources = [(j, [asidx(layer.pos_in[:, j, s]) for s in range(S)]) for j in self.needed]
        Kc, Kd = spec["Kc"], spec["Kd"]
        # mean classes: (representative block, K̄ row terms, excess groups, rank-one terms, blocks)
        local_out = layer.pos_out - self.offsets[:-1][None, :, None]
        self.means = []
        for key, blocks in spec["mean_classes"].items():
            i = blocks[0]
            n_out = self.block_sizes[i]
            terms = [(c, float(Kc[i, c])) for c in range(Kc.shape[1]) if Kc[i, c] != 0.0]
            dst = [local_out[:, i].ravel()]
            src = [np.repeat(np.arange(T), S)]
            n_rows = T if terms else 0
            if not terms:
                dst, src = [], []
            excess = []
            for coefs, codes, extra, n_in in spec["excess"][i]:
                excess.append((coefs, asidx(codes % n_in), xp.asarray((-extra[:, None]).astype(self.dtype))))
                dst.append(codes // n_in)
                src.append(n_rows + np.arange(codes.size))
                n_rows += codes.size
            rank = spec["rank_one"][i]
            if rank:
                dst.append(np.arange(n_out))
                src.append(np.full(n_out, n_rows))
                n_rows += 1
            if dst:
                table = padded_table(np.concatenate(dst), np.concatenate(src), n_out, n_rows)
            else:
                table = np.zeros((0, n_out), dtype=np.int64)
            self.means.append({"blocks": blocks, "terms": terms, "excess": excess, "rank": rank,
                               "table": [asidx(row) for row in table], "n_rows": n_rows})
        self.deltas = {}
        for i in range(d):
            terms = [(c, ascol(Kd[:, i, c])) for c in range(Kd.shape[2]) if Kd[:, i, c].any()]
            if terms:
                table = padded_table(local_out[:, i].ravel(), np.repeat(np.arange(T), S), self.block_sizes[i], T)
                self.deltas[i] = {"terms": terms, "table": [asidx(row) for row in table]}
        self.mean_of = {i: m for m, mean in enumerate(self.means) for i in mean["blocks"]}

    def work(self) -> dict:
        """Per sample: gathered elements, other elementwise operations, working-set bytes."""
        T, d, S = self.shape
        gathers = len(self.sources) * T * S
        elements = 0
        for m in self.means:
            n = self.block_sizes[m["blocks"][0]]
            gathers += len(m["table"]) * n + sum(int(e[1].shape[0]) for e in m["excess"])
            elements += 2 * T * len(m["terms"])
        for i, dl in self.deltas.items():
            gathers += len(dl["table"]) * self.block_sizes[i]
            elements += 2 * T * len(dl["terms"])
        n_src = sum(m["n_rows"] for m in self.means) + T * len(self.deltas)
        nbytes = self.dtype.itemsize * (T * len(self.sources) + n_src + 4 * self.d_model)
        return {"gathers": gathers, "elements": elements, "bytes_per_sample": nbytes}

    def _block(self, X, j):
        return X[int(self.offsets[j]) : int(self.offsets[j + 1]), :]

    def gather(self, X) -> dict:
        """{basis row (or block): per-circuit sums (T, batch)} for the rows any output needs."""
        xp = self.xp
        T = self.shape[0]
        tile = tile_rows(int(X.shape[1]), self.dtype.itemsize)
        blocks = [self._block(X, j) for j in range(self.shape[1])] if self.basis is not None else None
        out = {}
        for c, idx in self.sources:
            V = combine(blocks, self.basis[c]) if self.basis is not None else X
            out[c] = gathered(xp, V, idx, T, tile)
        return out

    def channels(self, gathered) -> list | None:
        """The input layer's read-out channels from `gather`'s output (None without a read-out basis);
        on numpy the sums are scaled in place."""
        if not self.n_channels:
            return None
        if is_numpy_namespace(self.xp):  # in place: `apply` has used the sums already
            return [np.multiply(gathered[c], 1.0 / self.S, out=gathered[c]) for c in range(self.n_channels)]
        return [gathered[c] * (1.0 / self.S) for c in range(self.n_channels)]

    def apply(self, X, want_channels: bool = False):
        """(W X, the input layer's read-out channels or None)."""
        g = self.gather(X)
        return self._scatter(X, g), (self.channels(g) if want_channels else None)

    def __call__(self, X):
        return self._scatter(X, self.gather(X))

    def _scatter(self, X, g):
        xp = self.xp
        T = self.shape[0]
        bs = int(X.shape[1])
        tile = tile_rows(bs, self.dtype.itemsize)
        zero = xp.zeros((1, bs), dtype=X.dtype)

        def mixed(terms, lo, hi, column):
            h = None
            for c, k in terms:
                v = (k[lo:hi, :] if column else k) * g[c][lo:hi, :]
                h = v if h is None else h + v
            return h

        mean_parts = []
        for m in self.means:
            n_out = self.block_sizes[m["blocks"][0]]
            if not m["table"]:
                mean_parts.append(xp.zeros((n_out, bs), dtype=X.dtype))
                continue
            parts = []
            if m["terms"]:
                parts.append((T, lambda lo, hi, t=m["terms"]: mixed(t, lo, hi, False)))
            for coefs, idx, extra in m["excess"]:
                U = combine([self._block(X, j) for j in range(self.shape[1])], [dict(coefs).get(j, 0.0) for j in range(self.shape[1])])
                parts.append((int(idx.shape[0]), lambda lo, hi, U=U, idx=idx, e=extra: xp.take(U, idx[lo:hi], axis=0) * e[lo:hi, :]))
            if m["rank"]:
                r = None
                for j, c in m["rank"]:
                    v = (-c) * xp.sum(self._block(X, j), axis=0, keepdims=True)
                    r = v if r is None else r + v
                parts.append((1, lambda lo, hi, r=r: r))
            H = stacked(xp, parts, tile, zero)
            mean_parts.append(gathered(xp, H, m["table"], n_out, tile))
        out = []
        for i in range(self.shape[1]):
            y = mean_parts[self.mean_of[i]] if i in self.mean_of else None
            if i in self.deltas:
                dl = self.deltas[i]
                H = stacked(xp, [(T, lambda lo, hi, t=dl["terms"]: mixed(t, lo, hi, True))], tile, zero)
                delta = gathered(xp, H, dl["table"], self.block_sizes[i], tile)
                y = delta if y is None else y + delta
            if y is None:
                y = xp.zeros((self.block_sizes[i], bs), dtype=X.dtype)
            out.append(y)
        return xp.concat(out, axis=0)


def analyse(layer: StructuredLayer, readout_rows=None) -> dict:
    """What a StructuredOperator needs, without building index tables (also the cost model's input).
    Kept on the layer per read-out matrix: the plan's cost model and the operator ask for it once each."""
    key = None if readout_rows is None else np.asarray(readout_rows, dtype=np.float64).tobytes()
    cache = layer.__dict__.setdefault("_analysed", {})
    if key not in cache:
        cache[key] = _analyse(layer, readout_rows)
    return cache[key]


def _analyse(layer: StructuredLayer, readout_rows=None) -> dict:
    T, d, S = layer.pos_out.shape
    offsets = block_offsets(layer.block_sizes)
    local_in = layer.pos_in - offsets[:-1][None, :, None]
    local_out = layer.pos_out - offsets[:-1][None, :, None]
    shared_in = len(set(layer.block_sizes)) == 1 and all(np.array_equal(local_in[:, 0], local_in[:, j]) for j in range(d))
    basis, n_channels = None, 0
    if shared_in and readout_rows is not None:
        basis = complete_basis(np.asarray(readout_rows, dtype=np.float64))
        n_channels = readout_rows.shape[0]
    inv = np.linalg.inv(basis) if basis is not None else np.eye(d)
    Kc = (layer.mean_w * (1.0 / S + layer.chi)) @ inv
    Kd = (layer.diff_w / S) @ inv
    Kc[np.abs(Kc) < 1e-14] = 0.0
    Kd[np.abs(Kd) < 1e-14] = 0.0
    needed = [c for c in range(d) if c < n_channels or Kc[:, c].any() or Kd[:, :, c].any()]
    excess = {i: [] for i in range(d)}
    for (oc, ic), (pairs, _, codes, extra) in layer.patterns.items():
        if codes.size == 0:
            continue
        by_out = {}
        for i, j in pairs:
            by_out.setdefault(i, {})[j] = float(layer.mean_w[i, j] * (1.0 / S + layer.chi[i, j]))
        for i, coefs in by_out.items():
            excess[i].append((tuple(sorted(coefs.items())), codes, extra, layer.block_sizes[ic]))
    rank_one = {i: tuple((j, float(layer.mean_w[i, j] * layer.chi[i, j])) for j in range(d) if layer.mean_w[i, j] * layer.chi[i, j] != 0)
                for i in range(d)}
    classes = {}
    for i in range(d):
        same = next((k for k in range(i) if layer.block_sizes[k] == layer.block_sizes[i] and np.array_equal(local_out[:, k], local_out[:, i])), i)
        key = (same, tuple(Kc[i]), tuple((c, id(codes)) for c, codes, _, _ in excess[i]), rank_one[i])
        classes.setdefault(key, []).append(i)
    return {"basis": basis, "n_channels": n_channels, "needed": needed, "Kc": Kc, "Kd": Kd,
            "excess": excess, "rank_one": rank_one, "mean_classes": classes}


def estimate_work(layer: StructuredLayer, readout_rows=None) -> dict:
    """`StructuredOperator(layer).work()` without building its index tables."""
    T, d, S = layer.pos_out.shape
    spec = analyse(layer, readout_rows)
    offsets = block_offsets(layer.block_sizes)
    gathers = len(spec["needed"]) * T * S
    elements = 0
    for key, blocks in spec["mean_classes"].items():
        i = blocks[0]
        n = layer.block_sizes[i]
        local = layer.pos_out[:, i].ravel() - offsets[i]
        terms = int(np.count_nonzero(spec["Kc"][i]))
        count = np.bincount(local, minlength=n) if terms else np.zeros(n, dtype=np.int64)
        for _, codes, _, n_in in spec["excess"][i]:
            count = count + np.bincount(codes // n_in, minlength=n)
            gathers += codes.size
        count = count + (1 if spec["rank_one"][i] else 0)
        gathers += int(count.max()) * n
        elements += 2 * T * terms
    for i in range(d):
        terms = int(np.count_nonzero(spec["Kd"][:, i, :].any(0)))
        if terms:
            n = layer.block_sizes[i]
            gathers += int(np.bincount(layer.pos_out[:, i].ravel() - offsets[i], minlength=n).max()) * n
            elements += 2 * T * terms
    return {"gathers": gathers, "elements": elements}


def layer_costs(item, dtype, readout_rows=None) -> dict:
    """Modelled seconds per sample of each path for one layer (`structured` is None if impossible),
    and `dense_build`: the one-off seconds of expanding a factored layer into its dense matrix
    (0 for a layer that is a dense matrix already)."""
    itemsize = np.dtype(dtype).itemsize
    if isinstance(item, StructuredLayer):
        D = item.d_model
        work = estimate_work(item, readout_rows)
        structured = (work["gathers"] / GATHER_RATE + work["elements"] / ELEMENT_RATE) * (itemsize / 4)
        S = item.pos_out.shape[2]
        build = D * D / FILL_RATE + np.count_nonzero(item.diff_w) * S * S / BUILD_RATE
    else:
        D = int(item.shape[0])
        structured, build = None, 0.0
    # an upper bound: the dense GEMMs skip all-zero blocks (`DenseOperator`; 3/4 of D² for the
    # rotation circuits), and the model charges the whole matrix
    dense = 2.0 * D * D / (GEMM_RATE * 4 / itemsize) + 2 * D / ELEMENT_RATE
    return {DENSE: dense, STRUCTURED: structured, "dense_bytes": D * D * itemsize, "dense_build": float(build)}


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


def choose(weights, dtype, forward: str = "auto", readout_rows=None, n_samples: int | None = None) -> tuple[list, list]:
    """Per layer (path, reason), deterministic given the layers, dtype, `forward` and `n_samples`
    (the samples the network will run; None: compare per-sample costs only, else the dense
    path also pays for expanding the layer, `layer_costs`' dense_build)."""
    items = layer_items(weights)
    if forward not in FORWARD_CHOICES:
        raise ValueError(f"sim.forward={forward!r} is not allowed: one of {', '.join(FORWARD_CHOICES)}")
    costs = side_by_side(lambda item: layer_costs(item, dtype, readout_rows) if forward == "auto" or not isinstance(item, StructuredLayer)
                         else {DENSE: None, STRUCTURED: 0.0, "dense_bytes": 0}, items)
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
        elif n_samples:
            dense, structured = c[DENSE] * n_samples + c["dense_build"], c[STRUCTURED] * n_samples
            paths.append(DENSE if dense <= structured else STRUCTURED)
            reasons.append(f"model for {n_samples} samples {dense:.3g} s dense ({c['dense_build']:.3g} s to build the matrix) "
                           f"vs {structured:.3g} s structured")
        else:
            fast = DENSE if c[DENSE] <= c[STRUCTURED] else STRUCTURED
            paths.append(fast)
            reasons.append(f"model {c[DENSE] * 1e6:.1f} µs dense vs {c[STRUCTURED] * 1e6:.1f} µs structured per sample")
    return paths, reasons


def plan(weights, dtype, xp, forward: str = "auto", readout_rows: np.ndarray | None = None, n_samples: int | None = None,
         block_sizes=None) -> Plan:
    """Operators for every weight layer of `weights` (a tuple of arrays or `LazyWeights`);
    `readout_rows`: the circuits' read-out matrix, the gather basis of structured layers;
    `n_samples`: the samples the plan will run, if known (`choose`); `block_sizes`: the circuits'
    blocks, whose all-zero ones the dense GEMMs skip (`DenseOperator`)."""
    items = layer_items(weights)
    paths, reasons = choose(items, dtype, forward, readout_rows, n_samples)
    # structured operators (index tables) side by side; dense ones one at a time (each holds a D² matrix)
    structured = [k for k, path in enumerate(paths) if path == STRUCTURED]
    build = lambda k: StructuredOperator(items[k], dtype, xp, readout_rows)  # noqa: E731
    built = dict(zip(structured, side_by_side(build, structured, None if is_numpy_namespace(xp) else 1)))
    ops = [built[k] if k in built else DenseOperator(item, dtype, xp, block_sizes) for k, item in enumerate(items)]
    return Plan(ops, paths, reasons)
