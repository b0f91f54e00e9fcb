"""The "capped" large-network weights W^l = w̄ ⊗ 𝒲^l + (1/S) Σ_t Δw_t ⊗ |e_t^l⟩⟨e_t^{l−1}|.

Source: post eqs 5.20–5.24; construction.md §2.3. Generalised so that every small-circuit
neuron i may sit at its own positions (needed by the redundant-indicator and cross-circuit
designs) and blocks may differ in size (indicator-share design). With one position table for
all neurons and equal blocks it is exactly the post's construction.

For every pair of small-neuron indices (i, j) with w̄_ij ≠ 0:

    C^{ij}[n, m] = 1  if some circuit t uses n for neuron i (output layer) and m for neuron j (input layer)
    𝒲^{ij}     = C^{ij}/S − (1 − C^{ij})·χ_ij                      ("capped": 1/S however many circuits share)
    χ_ij        = χ'_ij / S,  χ'_ij = U / (P − U)                  (so that Σ_{t≠u} ⟨e_t|𝒲|e_u⟩ = 0, eq 5.24)
    U           = Σ_{t≠u} Σ_{s,s'} C^{ij}[pos_out[t,i,s], pos_in[u,j,s']],   P = T(T−1)S²

The published code sums U over t < u only; the post's definition (all t ≠ u) is used here.
"""

from __future__ import annotations

import numpy as np


def block_offsets(block_sizes) -> np.ndarray:
    """Start index of every block plus the total width: int ndarray of shape (d + 1,)."""
    return np.concatenate([[0], np.cumsum(block_sizes)]).astype(np.int64)


def suppression_constant(pos_out: np.ndarray, pos_in: np.ndarray, n_out: int, n_in: int) -> tuple[np.ndarray, float]:
    """Used-pair pattern C and χ' for one block pair (post eq 5.24).

    pos_out, pos_in: int arrays of shape (n_circuits, redundancy), local to their blocks.
    Returns C (bool ndarray of shape (n_out, n_in)) and χ' (so that χ = χ'/S).
    """
    n_circuits, redundancy = pos_out.shape
    used = np.zeros((n_out, n_in), dtype=bool)
    used[pos_out[:, :, None], pos_in[:, None, :]] = True
    load_out = np.bincount(pos_out.ravel(), minlength=n_out).astype(np.float64)
    load_in = np.bincount(pos_in.ravel(), minlength=n_in).astype(np.float64)
    # A circuit's own S×S pairs are all used, so the t = u terms contribute exactly T·S².
    unwanted = load_out @ used @ load_in - n_circuits * redundancy**2
    possible = n_circuits * (n_circuits - 1) * redundancy**2
    chi_prime = unwanted / (possible - unwanted) if possible > unwanted else 0.0
    return used, float(chi_prime)


def capped_weights(
    mean_w: np.ndarray,
    diff_w: np.ndarray,
    pos_out: np.ndarray,
    pos_in: np.ndarray,
    block_sizes,
    chi_scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One large-network weight matrix (post eq 5.20).

    Parameters
    ----------
    mean_w : (d, d) w̄.   diff_w : (T, d, d) Δw_t.
    pos_out, pos_in : int ndarrays of shape (T, d, S), *global* neuron indices of circuit t's
        small neuron i in the output and input layers.
    block_sizes : d block widths, summing to d_model.
    chi_scale : multiplies χ (the post's exploratory `w_correction`).

    Returns
    -------
    weights : float64 ndarray of shape (d_model, d_model), rows = output neurons.
    chi : float64 ndarray of shape (d, d), χ_ij per block pair (0 where w̄_ij = 0).
    """
    n_circuits, d, redundancy = pos_out.shape
    offsets = block_offsets(block_sizes)
    d_model = int(offsets[-1])
    weights = np.zeros((d_model, d_model))
    chi = np.zeros((d, d))
    for i in range(d):
        for j in range(d):
            if mean_w[i, j] == 0.0:
                continue
            used, chi_prime = suppression_constant(
                pos_out[:, i] - offsets[i], pos_in[:, j] - offsets[j], block_sizes[i], block_sizes[j]
            )
            chi_prime *= chi_scale
            chi[i, j] = chi_prime / redundancy
            pattern = np.where(used, 1.0, -chi_prime) / redundancy
            weights[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] += mean_w[i, j] * pattern
    rows = np.broadcast_to(pos_out[:, :, None, :, None], (n_circuits, d, d, redundancy, redundancy))
    cols = np.broadcast_to(pos_in[:, None, :, None, :], rows.shape)
    vals = np.broadcast_to(diff_w[:, :, :, None, None] / redundancy, rows.shape)
    flat = rows.ravel() * d_model + cols.ravel()
    weights += np.bincount(flat, weights=vals.ravel(), minlength=d_model * d_model).reshape(d_model, d_model)
    return weights, chi


# ---------------------------------------------------------------- factored form (no D² memory)
# Everything below is additive: `capped_weights` above stays the reference (dense, float64).
# `structured_weights` keeps the same layer in factored form, W = Σ_ij w̄_ij 𝒲^{ij} + (1/S) Σ_t Δw_t ⊗
# e_t e_tᵀ, with 𝒲^{ij} = (1/S + χ_ij)·C^{ij} − χ_ij·𝟙𝟙ᵀ, so that the forward pass can apply it at a
# cost ∝ T·S·d² per sample (cisim.forward) and a D = 65,536 network never allocates D².


def pair_counts(pos_out: np.ndarray, pos_in: np.ndarray, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """Used (output, input) pairs of one block pair and how many circuits use each.

    pos_out, pos_in: int (n_circuits, redundancy), local to their blocks. Returns the sorted unique
    pair codes n·n_in + m (int64) and their multiplicities (int64): C^{ij} is 1 exactly on them.
    Memory O(T·S²), never O(n_out·n_in).
    """
    codes = (pos_out[:, :, None].astype(np.int64) * n_in + pos_in[:, None, :]).ravel()
    return np.unique(codes, return_counts=True)


def suppression_constant_sparse(pos_out: np.ndarray, pos_in: np.ndarray, n_out: int, n_in: int) -> tuple[float, np.ndarray, np.ndarray]:
    """χ' of one block pair (bit-identical to `suppression_constant`) and the pairs shared by several circuits.

    Returns (χ', excess codes, excess multiplicities − 1): the "capped" pattern C differs from
    Σ_t e_t e_tᵀ exactly on those pairs. The unwanted-interaction sum is an exact integer here;
    the dense version sums the same integers in float64, exactly while they stay below 2⁵³.
    """
    n_circuits, redundancy = pos_out.shape
    codes, counts = pair_counts(pos_out, pos_in, n_in)
    load_out = np.bincount(pos_out.ravel(), minlength=n_out).astype(np.int64)
    load_in = np.bincount(pos_in.ravel(), minlength=n_in).astype(np.int64)
    unwanted_int = int((load_out[codes // n_in] * load_in[codes % n_in]).sum()) - n_circuits * redundancy**2
    unwanted = np.float64(unwanted_int)
    possible = n_circuits * (n_circuits - 1) * redundancy**2
    chi_prime = unwanted / (possible - unwanted) if possible > unwanted else 0.0
    shared = counts > 1
    return float(chi_prime), codes[shared], counts[shared] - 1


class StructuredLayer:
    """One capped weight layer (post eq 5.20) kept in factored form; `dense()` is `capped_weights`.

    Attributes: mean_w (d, d), diff_w (T, d, d), pos_out / pos_in (T, d, S) global indices,
    block_sizes, chi_scale, chi (d, d) as `capped_weights` returns it, and `patterns`: one entry
    per distinct block pair pattern C (blocks whose local positions and sizes agree share it),
    {(out_class, in_class): (pairs (i, j) using it, excess codes, excess multiplicities − 1)}.
    """

    def __init__(self, mean_w, diff_w, pos_out, pos_in, block_sizes, chi_scale: float = 1.0):
        self.mean_w = np.asarray(mean_w, dtype=np.float64)
        self.diff_w = np.asarray(diff_w, dtype=np.float64)
        self.pos_out = pos_out
        self.pos_in = pos_in
        self.block_sizes = tuple(int(b) for b in block_sizes)
        self.chi_scale = chi_scale
        n_circuits, d, redundancy = pos_out.shape
        offsets = block_offsets(self.block_sizes)
        local_out = [pos_out[:, i] - offsets[i] for i in range(d)]
        local_in = [pos_in[:, j] - offsets[j] for j in range(d)]

        def classes(local):
            first = []
            for i in range(d):
                same = next((k for k in first if self.block_sizes[k] == self.block_sizes[i] and np.array_equal(local[k], local[i])), None)
                first.append(i if same is None else same)
            return first

        out_class, in_class = classes(local_out), classes(local_in)
        self.chi = np.zeros((d, d))
        self.patterns = {}
        for i in range(d):
            for j in range(d):
                if self.mean_w[i, j] == 0.0:
                    continue
                key = (out_class[i], in_class[j])
                if key not in self.patterns:
                    chi_prime, codes, extra = suppression_constant_sparse(
                        local_out[key[0]], local_in[key[1]], self.block_sizes[key[0]], self.block_sizes[key[1]]
                    )
                    self.patterns[key] = ([], chi_prime, codes, extra)
                self.patterns[key][0].append((i, j))
                chi_prime = self.patterns[key][1] * chi_scale
                self.chi[i, j] = chi_prime / redundancy

    @property
    def d_model(self) -> int:
        return sum(self.block_sizes)

    def dense(self) -> np.ndarray:
        """The dense float64 matrix, exactly `capped_weights(...)[0]`."""
        return capped_weights(self.mean_w, self.diff_w, self.pos_out, self.pos_in, self.block_sizes, self.chi_scale)[0]


def structured_weights(mean_w, diff_w, pos_out, pos_in, block_sizes, chi_scale: float = 1.0) -> StructuredLayer:
    """`capped_weights` in factored form: same arguments, memory O(T·S²·d²) instead of O(D²)."""
    return StructuredLayer(mean_w, diff_w, pos_out, pos_in, block_sizes, chi_scale)
