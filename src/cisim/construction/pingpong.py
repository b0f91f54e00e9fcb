"""The ping-pong construction for z = 1 (Alex Gibson, "Ping pong computation in superposition";
docs/cross_circuit.md §3): T = (D/d)² small ReLU circuits (`cisim.circuits.ReLUCircuits`)
embedded exactly in one network, for one active circuit at a time.

Variant followed: the two-one-hot layout of the public reimplementation (paramluhadiya/spd,
`PingPongModel`), which is the "D(1 + 2/d)" width quoted in the discussion under the post.
The D compute neurons form n = D/d *groups* of d neurons (the post's "memory blocks"; the name
`n_groups` keeps them apart from the allocations' D/d positions per block):

    neurons per layer   D compute neurons in n groups of d, one-hot(i) (n), one-hot(j) (n)
                        → width D(1 + 2/d)
    circuits            ordered group pairs t = (i, j), t = i·n + j → T = n² = (D/d)²
    input A^0           x ∈ R^d in group i, one-hot(i), one-hot(j)
    layer k = 1..L      A^k = ReLU(W^k A^{k−1} + B^k); odd k: group i → group j, even k: group j → group i
    read-out            group dst(L) (j if L is odd, i if even) holds circuit t's layer-L state

Layer k with source group `src` and destination `dst` ((i, j) for odd k, (j, i) for even k):

    compute ← compute   W^k[dst, src] = W_k(t) for the one circuit t with that (src, dst) role
    compute ← one-hot(src)   column `src`, group g: the bias b_k of circuit (src, g) in that role
    compute ← one-hot(dst)   mask: "linear" −B·Σ_{g' ≠ g} onehot[g'] on group g (no constant);
                             "offset" bias −B on every compute neuron and +B·onehot[g] on group g
    one-hot ← one-hot        identity (values 0/1 survive the ReLU)

For one active circuit the mask is 0 on group dst and ≤ −B elsewhere, so with B above every
pre-activation a masked group can see, group dst computes ReLU(W_k(t) h + b_k(t)) and everything
else is exactly 0: the construction is exact. Every weight block [dst, src] belongs to exactly
one circuit per layer, so all D² compute weights are used: T·d² = D².

`PingPong.forward` is the network's forward pass computed group-sparsely: the compute part sums
W^k[:, src]·h_src over the (sample, group) pairs that are non-zero, the one-hot parts are dense
matrix products. It equals the dense product `dense_weights` (tests check this, also for z = 2
inputs) and costs O(samples·D·d) per layer instead of O(samples·D²).

Two active circuits (t, u), t ≠ u, fall into four sharing classes (`categorize`), with exact
prevalences among all T(T − 1) ordered pairs (`prevalence`):

    same_i     i_u = i_t, j_u ≠ j_t                 n − 1 per t
    same_j     j_u = j_t, i_u ≠ i_t                 n − 1 per t
    crossed    i_u = j_t or j_u = i_t, otherwise    2n − 3 per off-diagonal t, 0 per diagonal t
    disjoint   {i_u, j_u} ∩ {i_t, j_t} = ∅           (n − 2)² per off-diagonal t, (n − 1)² per diagonal t
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..circuits import ReLUCircuits

MASKS = ("linear", "offset")
EXACT = 1e-5  # a read-out within this (absolute) of the circuit's forward pass is exact; beyond it, broken
CATEGORIES = ("disjoint", "same_i", "same_j", "crossed")


def state_bound(circuits: ReLUCircuits, input_bound: float) -> np.ndarray:
    """H_k ≥ max ‖h^k‖_∞ over all circuits and inputs with ‖h^0‖_∞ ≤ input_bound, k = 0..L."""
    bounds = [float(input_bound)]
    for k in range(circuits.n_layers):
        row = np.abs(circuits.weights[:, k]).sum(-1).max()
        bounds.append(float(row * bounds[-1] + np.abs(circuits.biases[:, k]).max()))
    return np.array(bounds)


def roles(layer: int) -> tuple[str, str]:
    """(source index, destination index) of layer k = 1..L: odd k reads group i and writes group j."""
    return ("i", "j") if layer % 2 else ("j", "i")


@dataclass(frozen=True)
class PingPong:
    """A ping-pong network for T = n² circuits, n = n_groups (block representation of its weights).

    compute : float64 (L, n, n, d, d), compute[k−1, dst, src] = the d×d weight block dst ← src.
    bias_table : float64 (L, n, n, d), bias_table[k−1, src, dst] = what one-hot(src) adds to group dst.
    mask_strength : B.   mask : "linear" or "offset".
    """

    compute: np.ndarray
    bias_table: np.ndarray
    mask_strength: float
    mask: str = "linear"

    @property
    def n_layers(self) -> int:
        return int(self.compute.shape[0])

    @property
    def n_groups(self) -> int:
        """n = D/d, the number of groups of d compute neurons."""
        return int(self.compute.shape[1])

    @property
    def d_circuit(self) -> int:
        return int(self.compute.shape[3])

    @property
    def d_model(self) -> int:
        return self.n_groups * self.d_circuit

    @property
    def n_circuits(self) -> int:
        return self.n_groups**2

    @property
    def width(self) -> int:
        """D(1 + 2/d): compute neurons plus the two one-hot vectors."""
        return self.d_model + 2 * self.n_groups

    def pair(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(i, j) of circuits t = i·n + j."""
        return np.divmod(np.asarray(t), self.n_groups)

    def output_group(self, t: np.ndarray) -> np.ndarray:
        i, j = self.pair(t)
        return j if self.n_layers % 2 else i

    @cached_property
    def _columns(self) -> np.ndarray:
        """(L, n_src, d_in, D): compute[k, :, src] as the D×d column block, transposed for GEMMs."""
        L, n, _, d, _ = self.compute.shape
        return np.ascontiguousarray(self.compute.transpose(0, 2, 4, 1, 3).reshape(L, n, d, n * d))

    def forward(self, x_groups: np.ndarray, onehot_i: np.ndarray, onehot_j: np.ndarray) -> list[np.ndarray]:
        """Compute-neuron states (bs, n, d) of layers 0..L for inputs x_groups (bs, n, d) and the
        one-hot inputs (bs, n) (several entries for z > 1). The one-hots pass through unchanged."""
        bs, n, d = x_groups.shape
        B = self.mask_strength
        oh = {"i": np.maximum(onehot_i, 0.0), "j": np.maximum(onehot_j, 0.0)}
        h = np.asarray(x_groups, dtype=np.float64)
        out = [h]
        for k in range(1, self.n_layers + 1):
            src, dst = roles(k)
            rows, keys = np.nonzero(oh[src])  # one-hot inputs: a few entries per row, rows sorted
            vals = oh[src][rows, keys]
            table = self.bias_table[k - 1]
            if rows.size == bs and np.array_equal(rows, np.arange(bs)):  # one entry per row (z = 1)
                pre = table[keys] if np.all(vals == 1.0) else vals[:, None, None] * table[keys]
            else:
                pre = np.zeros((bs, n, d))
                rank = np.arange(rows.size) - np.searchsorted(rows, rows)  # occurrence of the row so far
                for r in range(int(rank.max()) + 1 if rank.size else 0):  # rows are unique within a rank
                    sel = rank == r
                    pre[rows[sel]] += vals[sel, None, None] * table[keys[sel]]
            if self.mask == "linear":
                pre -= B * (oh[dst].sum(-1)[:, None] - oh[dst])[:, :, None]
            else:
                pre += B * (oh[dst] - 1.0)[:, :, None]
            rows, groups = np.nonzero(h.any(axis=-1))
            order = np.argsort(groups, kind="stable")
            rows, groups = rows[order], groups[order]
            starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if groups.size else np.zeros(0, dtype=int)
            cols = self._columns[k - 1]
            flat = pre.reshape(bs, n * d)
            for a, b in zip(starts, np.r_[starts[1:], groups.size]):
                sel = rows[a:b]
                flat[sel] += np.einsum("gb,bm->gm", h[sel, groups[a]], cols[groups[a]])  # BLAS is slow at inner size d
            h = np.maximum(pre, 0.0, out=pre)
            out.append(h)
        return out

    def dense_weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The full (width × width) weight matrices and bias vectors, neuron order
        [compute (group-major), one-hot(i), one-hot(j)]. For checks at small sizes."""
        L, n, _, d, _ = self.compute.shape
        D, width, B = n * d, self.width, self.mask_strength
        off = {"i": D, "j": D + n}
        weights, biases = [], []
        for k in range(1, L + 1):
            src, dst = roles(k)
            W = np.zeros((width, width))
            W[:D, :D] = self.compute[k - 1].transpose(0, 2, 1, 3).reshape(D, D)
            W[:D, off[src] : off[src] + n] = self.bias_table[k - 1].transpose(1, 2, 0).reshape(D, n)
            eye = np.repeat(np.eye(n), d, axis=0)  # (D, n): group g ↔ one-hot entry g
            W[:D, off[dst] : off[dst] + n] += -B * (1.0 - eye) if self.mask == "linear" else B * eye
            W[D:, D:] = np.eye(2 * n)
            bias = np.zeros(width)
            if self.mask == "offset":
                bias[:D] = -B
            weights.append(W)
            biases.append(bias)
        return weights, biases

    def dense_forward(self, x_groups: np.ndarray, onehot_i: np.ndarray, onehot_j: np.ndarray) -> list[np.ndarray]:
        """Same as `forward`, by dense matrix products (O(bs·width²) per layer)."""
        bs, n, d = x_groups.shape
        A = np.concatenate([x_groups.reshape(bs, n * d), onehot_i, onehot_j], axis=1)
        out = [np.asarray(x_groups, dtype=np.float64)]
        for W, b in zip(*self.dense_weights()):
            A = np.maximum(A @ W.T + b, 0.0)
            out.append(A[:, : n * d].reshape(bs, n, d))
        return out

    def accounting(self) -> dict:
        """Width, depth, neurons and parameters of the dense network (see the module docstring)."""
        L, width = self.n_layers, self.width
        return {
            "d_model": self.d_model,
            "d_circuit": self.d_circuit,
            "n_circuits": self.n_circuits,
            "width": width,
            "extra_width": width - self.d_model,
            "weight_layers": L,
            "neurons": L * width,
            "parameters": L * width * width + L * width,
            "used_compute_weights": L * self.n_circuits * self.d_circuit**2,
        }


def build(circuits: ReLUCircuits, n_groups: int, mask: str = "linear", input_bound: float = 1.0, safety: float = 2.0) -> PingPong:
    """The ping-pong network of T = n_groups² circuits (circuit t = (i, j), t = i·n + j).

    B = safety·(1 + max over layers of the largest pre-activation any circuit's weights and
    bias can produce from a state within `state_bound`): every masked group is ≤ 0 for inputs
    with ‖x‖_∞ ≤ input_bound (a worst-case bound, computed from the circuits).
    """
    if mask not in MASKS:
        raise ValueError(f"mask={mask!r} is not allowed: one of {', '.join(MASKS)}")
    T, L, d, _ = circuits.weights.shape
    n = n_groups
    if T != n * n:
        raise ValueError(f"ping-pong needs T = (D/d)² = {n * n} circuits, got {T}")
    i, j = np.divmod(np.arange(T), n)
    compute = np.zeros((L, n, n, d, d))
    bias_table = np.zeros((L, n, n, d))
    for k in range(1, L + 1):
        src, dst = (i, j) if k % 2 else (j, i)
        compute[k - 1, dst, src] = circuits.weights[:, k - 1]
        bias_table[k - 1, src, dst] = circuits.biases[:, k - 1]
    H = state_bound(circuits, input_bound)
    reach = max(np.abs(circuits.weights[:, k]).sum(-1).max() * H[k] + np.abs(circuits.biases[:, k]).max() for k in range(L))
    return PingPong(compute, bias_table, float(safety * (1.0 + reach)), mask)


def group_of(net: PingPong, t: np.ndarray, layer: int) -> np.ndarray:
    """The group holding circuit t's state after layer `layer` (layer 0: group i)."""
    i, j = net.pair(t)
    if layer == 0:
        return i
    return j if roles(layer)[1] == "j" else i


# ---------------------------------------------------------------- inputs
def single_inputs(net: PingPong, circuits: np.ndarray, h0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Network inputs for one active circuit per sample: x in group i, one-hot(i), one-hot(j)."""
    return multi_inputs(net, np.asarray(circuits)[:, None], np.asarray(h0)[:, None])


def multi_inputs(net: PingPong, circuits: np.ndarray, h0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs for z active circuits per sample, circuits (bs, z), h0 (bs, z, d): every circuit
    writes its x into its group i (adding up when groups coincide) and its one-hot entries.
    Returns x (bs, n, d), one-hot(i) (bs, n), one-hot(j) (bs, n)."""
    bs, z = circuits.shape
    n, d = net.n_groups, net.d_circuit
    i, j = net.pair(circuits)
    x = np.zeros((bs, n, d))
    oh_i, oh_j = np.zeros((bs, n)), np.zeros((bs, n))
    rows = np.repeat(np.arange(bs), z)
    np.add.at(x, (rows, i.ravel()), h0.reshape(bs * z, d))
    np.add.at(oh_i, (rows, i.ravel()), 1.0)
    np.add.at(oh_j, (rows, j.ravel()), 1.0)
    return x, oh_i, oh_j


# ---------------------------------------------------------------- two active circuits
def categorize(net: PingPong, t: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sharing class (index into CATEGORIES) of ordered pairs (t, u), t ≠ u."""
    it, jt = net.pair(t)
    iu, ju = net.pair(u)
    cat = np.zeros(np.shape(t), dtype=np.int64)  # disjoint
    crossed = (iu == jt) | (ju == it)
    cat[crossed] = 3
    cat[(it == iu) & (jt != ju)] = 1
    cat[(jt == ju) & (it != iu)] = 2
    return cat


def prevalence(n: int) -> dict:
    """Exact fraction of the T(T − 1) ordered pairs in each sharing class (module docstring), n = n_groups."""
    T = n * n
    off, diag = n * n - n, n
    counts = {
        "same_i": T * (n - 1),
        "same_j": T * (n - 1),
        "crossed": off * (2 * n - 3),
        "disjoint": off * (n - 2) ** 2 + diag * (n - 1) ** 2,
    }
    return {k: v / (T * (T - 1)) for k, v in counts.items()}
