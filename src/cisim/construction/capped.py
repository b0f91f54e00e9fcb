"""The "capped" large-network weights and their suppression constant χ (one home for both).

    W^l = w̄ ⊗ 𝒲^l + (1/S) Σ_t Δw_t ⊗ |e_t^l⟩⟨e_t^{l−1}|            (post eq 5.20)

Source: post eqs 5.20–5.24; docs/method.md §3.4. Generalised so that every small-circuit
neuron i may sit at its own positions (redundant-indicator and cross-circuit designs), blocks
may differ in size (indicator share) and neurons may have their own redundancy S_i (mixed S).
With one position table for all neurons and equal blocks it is exactly the post's construction.

For every pair of small-neuron indices (i, j) with w̄_ij ≠ 0:

    C^{ij}[n, m] = 1  if some circuit t uses n for neuron i (output layer) and m for neuron j (input layer)
    𝒲^{ij}     = C^{ij}/S − (1 − C^{ij})·χ_ij                      ("capped": 1/S however many circuits share)
    χ_ij        = χ'_ij / S,  χ'_ij = U / (P − U)                  (so that Σ_{t≠u} ⟨e_t|𝒲|e_u⟩ = 0, eq 5.24)
    U           = Σ_{t≠u} Σ_{s,s'} C^{ij}[pos_out[t,i,s], pos_in[u,j,s']],   P = T(T−1)·S_out·S_in

`chi_prime` is the one χ' formula; `suppression_constant` (dense) and
`suppression_constant_sparse` (no n_out × n_in array) compute U and P for one block pair.
`chi_convention` selects which pairs of distinct circuits U and P count (docs/reproduction.md):

    post        all ordered pairs t ≠ u, as above (post eq 5.24)
    published   t < u only, as the authors' code does:
                U = Σ_{t<u} e_t^l · C · e_u^{l−1},  P = T(T−1)/2 · S_out·S_in

The two agree when e^l = e^{l−1} (C and the pair sums are then symmetric); with the per-layer
permutations of the post's construction they differ by up to about 1 % in χ.

The weights, one function per form: `capped_weights` (dense, the reference), `StructuredLayer`
(the same layer kept structured, no D² memory), `capped_weights_mixed` (a redundancy per small
neuron) and `routed_weights` (children read their parents' embedding: cross-circuit designs).
"""

from __future__ import annotations

import numpy as np

from .layout import block_offsets

CHI_CONVENTIONS = ("post", "published")  # pairs t ≠ u (post eq 5.24) or t < u (the published code)
QUERY_CHUNK = 1 << 20  # (pair, circuit) look-ups per step of `published_interactions` (memory only)


def check_chi_convention(chi_convention: str) -> str:
    """`chi_convention` itself, or a one-line ValueError naming the allowed values."""
    if chi_convention not in CHI_CONVENTIONS:
        raise ValueError(f"chi_convention={chi_convention!r} is not allowed: one of {', '.join(CHI_CONVENTIONS)}")
    return chi_convention


# ---------------------------------------------------------------- χ' of one block pair
def chi_prime(unwanted, possible: int) -> float:
    """χ' = U / (P − U) (post eq 5.24; 0 when every interaction is unwanted); U a float64, P an int."""
    return float(unwanted / (possible - unwanted)) if possible > unwanted else 0.0


def possible_pairs(n_circuits: int, s_out: int, s_in: int) -> int:
    """P of the post convention: T(T−1)·S_out·S_in slot pairs of distinct circuits."""
    return n_circuits * (n_circuits - 1) * s_out * s_in


def pair_counts(pos_out: np.ndarray, pos_in: np.ndarray, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """Used (output, input) pairs of one block pair and how many circuits use each.

    pos_out (T, S_out), pos_in (T, S_in): int positions local to their blocks. Returns the sorted
    unique pair codes n·n_in + m (int64) and their multiplicities (int64): C^{ij} is 1 exactly on
    them. Memory O(T·S_out·S_in), never O(n_out·n_in).
    """
    # codes that fit 32 bits are sorted as such: half the bytes, about half the time of np.unique
    narrow = pos_out.size == 0 or (int(pos_out.max()) + 1) * n_in <= 2**32
    kind = np.uint32 if narrow else np.int64
    codes = (pos_out[:, :, None].astype(kind) * kind(n_in) + pos_in[:, None, :].astype(kind)).ravel()
    unique, counts = np.unique(codes, return_counts=True)
    return unique.astype(np.int64), counts.astype(np.int64)


def published_interactions(pos_out: np.ndarray, pos_in: np.ndarray, n_in: int, codes: np.ndarray | None = None) -> tuple[int, int]:
    """(U, P) of the published convention for one block pair, exact integers (docs/reproduction.md).

        U = Σ_{t<u} Σ_{s,s'} C[pos_out[t,s], pos_in[u,s']]   (C clamped: 1 on every used pair)
        P = T(T−1)/2 · S_out · S_in

    pos_out (T, S_out), pos_in (T, S_in): int positions local to their blocks; codes: the used
    pairs n·n_in + m (`pair_counts`), computed if None. U is summed per used pair (n, m) as the
    number of slot pairs (t, s), (u, s') with pos_out[t,s] = n, pos_in[u,s'] = m and t < u: for
    each input slot (u, s') at m, the output slots at n of circuits t < u, counted by binary
    search in the output slots sorted by (position, circuit). Work O(Σ_{used (n,m)} load_in(m)
    · log(T·S)), memory O(T·S² + QUERY_CHUNK): never T².
    """
    n_circuits, s_out = pos_out.shape
    s_in = pos_in.shape[1]
    T = np.int64(n_circuits)
    if codes is None:
        codes = pair_counts(pos_out, pos_in, n_in)[0]
    circuit = np.arange(n_circuits, dtype=np.int64)
    out_keys = np.sort(pos_out.astype(np.int64).ravel() * T + np.repeat(circuit, s_out))  # slot (n, t) → n·T + t
    in_keys = np.sort(pos_in.astype(np.int64).ravel() * T + np.repeat(circuit, s_in))
    in_circuit = in_keys % T  # circuits of the input slots, grouped by position, ascending
    in_start = np.searchsorted(in_keys, np.arange(n_in + 1, dtype=np.int64) * T)  # slots of position m: in_start[m]:in_start[m+1]
    n, m = codes // n_in, codes % n_in
    reps = in_start[m + 1] - in_start[m]  # load_in(m): look-ups per used pair
    below = np.searchsorted(out_keys, n * T)  # output slots at positions < n
    ends = np.cumsum(reps)
    unwanted, lo = 0, 0
    while lo < codes.size:
        base = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, base + QUERY_CHUNK, side="right")))
        r = reps[lo:hi]
        first = np.repeat(in_start[m[lo:hi]] - (np.cumsum(r) - r), r)
        u = in_circuit[first + np.arange(int(r.sum()))]
        # keys below n·T + u: every slot at a position < n, plus the slots at n of circuits t < u
        unwanted += int(np.searchsorted(out_keys, np.repeat(n[lo:hi] * T, r) + u).sum()) - int((r * below[lo:hi]).sum())
        lo = hi
    possible = n_circuits * (n_circuits - 1) // 2 * s_out * s_in
    return unwanted, possible


def suppression_constant(
    pos_out: np.ndarray, pos_in: np.ndarray, n_out: int, n_in: int, chi_convention: str = "post", inputs: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Used-pair pattern C and χ' for one block pair (post eq 5.24).

    pos_out (T, S_out), pos_in (T, S_in): int positions local to their blocks; circuit t's
    output neuron reads pos_in[t]. chi_convention: "post" (pairs t ≠ u) or "published" (t < u;
    `published_interactions`). inputs (T, S_in), post convention only: the positions of every
    input-layer circuit when they are not `pos_in` (routed designs, where several children may
    read one parent): U then sums over (child t, input circuit v ≠ its parent); default pos_in.
    A circuit's own S_out×S_in pairs are all used, so the t = u terms contribute T·S_out·S_in.
    Returns C (bool ndarray of shape (n_out, n_in)) and χ' (so that χ = χ'/S_in).
    """
    n_circuits, s_out = pos_out.shape
    s_in = pos_in.shape[1]
    used = np.zeros((n_out, n_in), dtype=bool)
    used[pos_out[:, :, None], pos_in[:, None, :]] = True
    if check_chi_convention(chi_convention) == "published":
        if inputs is not None:
            raise ValueError("chi_convention='published' pairs children with their own parents only: no `inputs`")
        unwanted, possible = published_interactions(pos_out, pos_in, n_in)
        return used, chi_prime(np.float64(unwanted), possible)
    load_out = np.bincount(pos_out.ravel(), minlength=n_out).astype(np.float64)
    load_in = np.bincount((pos_in if inputs is None else inputs).ravel(), minlength=n_in).astype(np.float64)
    unwanted = load_out @ used @ load_in - n_circuits * s_out * s_in
    return used, chi_prime(unwanted, possible_pairs(n_circuits, s_out, s_in))


def suppression_constant_sparse(
    pos_out: np.ndarray, pos_in: np.ndarray, n_out: int, n_in: int, chi_convention: str = "post"
) -> tuple[float, np.ndarray, np.ndarray]:
    """χ' of one block pair (bit-identical to `suppression_constant`) and the pairs shared by several circuits.

    Returns (χ', excess codes, excess multiplicities − 1): the "capped" pattern C differs from
    Σ_t e_t e_tᵀ exactly on those pairs. The unwanted-interaction sum is an exact integer here;
    the dense version sums the same integers in float64, exactly while they stay below 2⁵³
    (the published convention computes the same integer in both).
    """
    n_circuits, s_out = pos_out.shape
    s_in = pos_in.shape[1]
    codes, counts = pair_counts(pos_out, pos_in, n_in)
    shared = counts > 1
    if check_chi_convention(chi_convention) == "published":
        unwanted_int, possible = published_interactions(pos_out, pos_in, n_in, codes)
        return chi_prime(np.float64(unwanted_int), possible), codes[shared], counts[shared] - 1
    load_out = np.bincount(pos_out.ravel(), minlength=n_out).astype(np.int64)
    load_in = np.bincount(pos_in.ravel(), minlength=n_in).astype(np.int64)
    unwanted_int = int((load_out[codes // n_in] * load_in[codes % n_in]).sum()) - n_circuits * s_out * s_in
    return chi_prime(np.float64(unwanted_int), possible_pairs(n_circuits, s_out, s_in)), codes[shared], counts[shared] - 1


# ---------------------------------------------------------------- dense
def capped_weights(
    mean_w: np.ndarray,
    diff_w: np.ndarray,
    pos_out: np.ndarray,
    pos_in: np.ndarray,
    block_sizes,
    chi_scale: float = 1.0,
    chi_convention: str = "post",
) -> tuple[np.ndarray, np.ndarray]:
    """One large-network weight matrix (post eq 5.20), dense float64.

    Parameters
    ----------
    mean_w : (d, d) w̄.   diff_w : (T, d, d) Δw_t.
    pos_out, pos_in : int ndarrays of shape (T, d, S), *global* neuron indices of circuit t's
        small neuron i in the output and input layers.
    block_sizes : d block widths, summing to d_model.
    chi_scale : multiplies χ (the post's exploratory `w_correction`).
    chi_convention : "post" or "published": which circuit pairs χ balances (module docstring).

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
            used, chi_p = suppression_constant(
                pos_out[:, i] - offsets[i], pos_in[:, j] - offsets[j], block_sizes[i], block_sizes[j], chi_convention
            )
            chi_p *= chi_scale
            chi[i, j] = chi_p / redundancy
            pattern = np.where(used, 1.0, -chi_p) / redundancy
            weights[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] += mean_w[i, j] * pattern
    rows = np.broadcast_to(pos_out[:, :, None, :, None], (n_circuits, d, d, redundancy, redundancy))
    cols = np.broadcast_to(pos_in[:, None, :, None, :], rows.shape)
    vals = np.broadcast_to(diff_w[:, :, :, None, None] / redundancy, rows.shape)
    flat = rows.ravel() * d_model + cols.ravel()
    weights += np.bincount(flat, weights=vals.ravel(), minlength=d_model * d_model).reshape(d_model, d_model)
    return weights, chi


# ---------------------------------------------------------------- structured (no D² memory)
# `StructuredLayer` keeps the layer of `capped_weights` as W = Σ_ij w̄_ij 𝒲^{ij} + (1/S) Σ_t Δw_t ⊗
# e_t e_tᵀ, with 𝒲^{ij} = (1/S + χ_ij)·C^{ij} − χ_ij·𝟙𝟙ᵀ, so that the forward pass can apply it at a
# cost ∝ T·S·d² per sample (cisim.simulate.operators) and a D = 65,536 network never allocates D².
class StructuredLayer:
    """One capped weight layer (post eq 5.20) kept structured; `dense()` is `capped_weights`.

    Attributes: mean_w (d, d), diff_w (T, d, d), pos_out / pos_in (T, d, S) global indices,
    block_sizes, chi_scale, chi_convention, chi (d, d) as `capped_weights` returns it, and `patterns`: one entry
    per distinct block pair pattern C (blocks whose local positions and sizes agree share it),
    {(out_class, in_class): (pairs (i, j) using it, χ', excess codes, excess multiplicities − 1)}.
    """

    def __init__(self, mean_w, diff_w, pos_out, pos_in, block_sizes, chi_scale: float = 1.0, chi_convention: str = "post"):
        self.mean_w = np.asarray(mean_w, dtype=np.float64)
        self.diff_w = np.asarray(diff_w, dtype=np.float64)
        self.pos_out = pos_out
        self.pos_in = pos_in
        self.block_sizes = tuple(int(b) for b in block_sizes)
        self.chi_scale = chi_scale
        self.chi_convention = check_chi_convention(chi_convention)
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
                    chi_p, codes, extra = suppression_constant_sparse(
                        local_out[key[0]], local_in[key[1]], self.block_sizes[key[0]], self.block_sizes[key[1]], chi_convention
                    )
                    self.patterns[key] = ([], chi_p, codes, extra)
                self.patterns[key][0].append((i, j))
                self.chi[i, j] = self.patterns[key][1] * chi_scale / redundancy

    @property
    def d_model(self) -> int:
        return sum(self.block_sizes)

    def dense(self) -> np.ndarray:
        """The dense float64 matrix, exactly `capped_weights(...)[0]`."""
        return capped_weights(
            self.mean_w, self.diff_w, self.pos_out, self.pos_in, self.block_sizes, self.chi_scale, self.chi_convention
        )[0]


def structured_weights(
    mean_w, diff_w, pos_out, pos_in, block_sizes, chi_scale: float = 1.0, chi_convention: str = "post"
) -> StructuredLayer:
    """`capped_weights` kept structured: same arguments, memory O(T·S²·d²) instead of O(D²)."""
    return StructuredLayer(mean_w, diff_w, pos_out, pos_in, block_sizes, chi_scale, chi_convention)


# ---------------------------------------------------------------- a redundancy per small neuron
def capped_weights_mixed(mean_w, diff_w, pos_out: list, pos_in: list, block_sizes, chi_scale: float = 1.0, chi_convention: str = "post"):
    """`capped_weights` when small neuron i has its own redundancy S_i.

    pos_out[i], pos_in[j]: global int arrays (T, S_i), (T, S_j). The read-out of neuron i
    averages its S_i positions, and neuron j's value sits on S_j positions, so every weight
    into neuron i from neuron j is scaled by 1/S_j:

        W[block i, block j] = ( w̄_ij·(C^{ij} − (1 − C^{ij})·χ'_ij) + Σ_t Δw_t,ij |e_t^i⟩⟨e_t^j| ) / S_j

    which gives (1/S_i)⟨e_t^i|W|e_t^j⟩ = w_t,ij for a circuit alone. Returns (weights, chi) with
    χ_ij = χ'_ij / S_j; chi_convention as in `capped_weights`. Equals `capped_weights` when every
    S_i = S (tested).
    """
    d = len(pos_out)
    offsets = block_offsets(block_sizes)
    d_model = int(offsets[-1])
    weights = np.zeros((d_model, d_model))
    chi = np.zeros((d, d))
    for i in range(d):
        for j in range(d):
            s_in = pos_in[j].shape[1]
            if mean_w[i, j] != 0.0:
                used, chi_p = suppression_constant(
                    pos_out[i] - offsets[i], pos_in[j] - offsets[j], block_sizes[i], block_sizes[j], chi_convention
                )
                chi_p *= chi_scale
                chi[i, j] = chi_p / s_in
                weights[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] += (
                    mean_w[i, j] * np.where(used, 1.0, -chi_p) / s_in
                )
            vals = diff_w[:, i, j]
            if not np.any(vals):
                continue
            rows = np.broadcast_to(pos_out[i][:, :, None], (len(vals), pos_out[i].shape[1], s_in))
            cols = np.broadcast_to(pos_in[j][:, None, :], rows.shape)
            v = np.broadcast_to((vals / s_in)[:, None, None], rows.shape)
            np.add.at(weights, (rows.ravel(), cols.ravel()), v.ravel())
    return weights, chi


# ---------------------------------------------------------------- children reading their parents
def routed_weights(mean_w, diff_w, pos_out, pos_in_all, parents, block_sizes, chi_scale=1.0, chi_convention="post"):
    """One weight matrix from children at `pos_out` (T, d, S) to their `parents` (T,) among the
    layer-(l−1) circuits at `pos_in_all` (T, d, S) (docs/cross_circuit.md). Returns (weights (D, D), χ (d, d)).

    W^l = w̄ ⊗ 𝒲^l + (1/S) Σ_t Δw_t ⊗ |e_t^l⟩⟨e_{π(t)}^{l−1}|: `capped_weights` with the parent's
    embedding on the input side. χ must cancel the mean interference a child receives from every
    layer-(l−1) circuit that is *not* its parent; `capped_weights` balances the parents of the
    other children instead, the same when `parents` is a bijection. Otherwise (fan-out: siblings
    share a parent, childless circuits are nobody's parent) the χ' of the w̄ part is recomputed
    over (child, non-parent) pairs (`suppression_constant` with `inputs`), post convention only.
    """
    bijective = np.array_equal(np.sort(parents), np.arange(parents.size))
    if not bijective and chi_convention != "post":
        raise ValueError(f"chi_convention={chi_convention!r} is not allowed with parents shared by several children (fan_out): only 'post'")
    weights, chi = capped_weights(mean_w, diff_w, pos_out, pos_in_all[parents], block_sizes, chi_scale, chi_convention)
    if bijective:
        return weights, chi  # a bijection: capped_weights' χ is already the routed one
    offsets = block_offsets(block_sizes)
    redundancy = pos_out.shape[2]
    for i, j in zip(*np.nonzero(mean_w)):
        out_i, in_j = pos_out[:, i] - offsets[i], pos_in_all[:, j] - offsets[j]
        used, chi_capped = suppression_constant(out_i, in_j[parents], block_sizes[i], block_sizes[j])
        chi_routed = suppression_constant(out_i, in_j[parents], block_sizes[i], block_sizes[j], inputs=in_j)[1]
        delta = chi_scale * (chi_capped - chi_routed) / redundancy  # capped_weights put −χ'_capped/S on unused entries
        weights[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] += mean_w[i, j] * np.where(used, 0.0, delta)
        chi[i, j] = chi_scale * chi_routed / redundancy
    return weights, chi
