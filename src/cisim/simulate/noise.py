"""How independent is the noise on an inactive circuit's indicator? Correlations of its read-out
errors between indicator copies and between the S large neurons of one copy.

Source: the post's discussion of error correction (docs/correction.md §3). The thread disagrees on
whether spreading "is this circuit on" over c·d indicator copies makes the noise on them more
independent, or whether only a larger S does. For every inactive circuit t (true α = 0) and
circuit layer l ≥ 1 the read-out errors are

    e_p  = α̂_p = (1/S) Σ_s v_{p,s}               copy p = 0..k−1 (`copies`)
    v_s  = A[e_{t,0,s}] − A[e_{t,1,s}]             neuron s = 0..S−1 of copy 0 (`neurons`)

and the pooled correlation of exchangeable members (copies, or the S neurons),

    ρ = (E[Σ_{p≠q} e_p e_q]/(k(k−1)) − μ²) / (E[e_p²] − μ²),   μ = E[e_p],

summed over every (inactive circuit, sample) pair of a fixed subset of at most `N_CIRCUITS`
circuits, evenly spaced in index (circuit indices carry no meaning: allocations and angles are
drawn independently of them), which keeps the extra gathers a small fraction of the forward pass.
With n members of variance σ² and correlation
ρ the mean has variance σ²(1 + (n − 1)ρ)/n: ρ = 0 is the commenter's independent noise (the
mean's variance falls as 1/n), ρ = 1 the author's (averaging does not help). The correlation of
the copies is NaN for k = 1, that of the neurons for S = 1, and both at layer 0 (no read-out).
Sums are float64; the per-sample values depend on the batch layout by float32 rounding only.
"""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy

KEYS = ("copy_correlation", "neuron_correlation")
N_CIRCUITS = 512  # circuits whose errors are pooled (all of them when T is smaller)


class NoiseCorrelation:
    """Streaming sums for `KEYS` over batches (module docstring).

    network : `Network` (positions (L, T, d, S)); circuits : `RotationCircuits` with k pairs.
    """

    def __init__(self, network, circuits, dtype, xp):
        self.xp = xp
        L, T = network.n_layers, network.n_circuits
        self.k, self.S = circuits.n_indicator_pairs, network.redundancy
        asidx = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.int64))  # noqa: E731
        chosen = np.unique(np.linspace(0, T - 1, min(T, N_CIRCUITS)).round().astype(np.int64))
        self.chosen = asidx(chosen)
        # per layer, copy p, neuron s: the global indices of the pair (2p, 2p + 1) of the chosen circuits
        self.idx = [[[(asidx(network.positions[l][chosen, 2 * p, s]), asidx(network.positions[l][chosen, 2 * p + 1, s]))
                      for s in range(self.S)] for p in range(self.k)] for l in range(L)]
        # per layer 0..L and kind: [pairs counted, Σ member, Σ member², Σ (Σ members)²]
        self.sums = {key: np.zeros((L + 1, 4)) for key in KEYS}

    def _add(self, key: str, layer: int, members: list, mask):
        xp = self.xp
        f64 = xp.float64
        total = square = None
        for e in members:
            e = xp.where(mask, e, 0.0)
            total = e if total is None else total + e
            square = e * e if square is None else square + e * e
        row = self.sums[key][layer]
        row[0] += float(to_numpy(xp.count_nonzero(mask)))
        row[1] += float(to_numpy(xp.sum(total, dtype=f64)))
        row[2] += float(to_numpy(xp.sum(square, dtype=f64)))
        row[3] += float(to_numpy(xp.sum(total * total, dtype=f64)))

    def add(self, layer: int, X, inactive, bs: int):
        """Circuit layer `layer` ≥ 1 of one batch: X (D, n_cols) its activations, `inactive`
        (T, n_cols) bool (True for the circuits scored as inactive), the first `bs` columns real."""
        xp = self.xp
        mask = xp.take(inactive[:, :bs], self.chosen, axis=0)
        X = X[:, :bs]
        values = [[xp.take(X, a, axis=0) - xp.take(X, b, axis=0) for a, b in copy] for copy in self.idx[layer - 1]]  # [p][s]
        if self.k > 1:
            copies = []
            for v in values:  # α̂_p = (1/S) Σ_s v_{p,s}, summed in s order
                acc = v[0]
                for x in v[1:]:
                    acc = acc + x
                copies.append(acc * (1.0 / self.S))
            self._add("copy_correlation", layer, copies, mask)
        if self.S > 1:
            self._add("neuron_correlation", layer, values[0], mask)

    def finalize(self) -> dict:
        """{key: float64 (L + 1,)}: ρ per layer (NaN where undefined)."""
        out = {}
        for key, members in (("copy_correlation", self.k), ("neuron_correlation", self.S)):
            n, s1, s2, t2 = self.sums[key].T
            with np.errstate(invalid="ignore", divide="ignore"):
                mu = s1 / (n * members)
                var = s2 / (n * members) - mu**2
                cross = (t2 - s2) / (n * members * (members - 1)) - mu**2 if members > 1 else np.full_like(n, np.nan)
                rho = cross / var
            rho[n == 0] = np.nan
            out[key] = rho
        return out
