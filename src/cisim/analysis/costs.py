"""The no-superposition reference and the cost axes every capacity is compared on (docs/designs.md,
"Reference and cost axes").

No superposition: T₀ = ⌊D/d⌋ circuits, each on its own d neurons (S = 1, a disjoint embedding),
are computed exactly at every z; a design of circuit width d is compared with the T₀ of its own
d. The gain of a capacity T* is T*/T₀, its 95 % interval the capacity's interval over T₀ (T₀ is
exact). A design only uses superposition usefully where its gain exceeds 1.

Cost axes of a large network (`network_costs`, `disjoint_costs`):

* neurons: large-network neurons, width × activation layers N (the input A⁰ not counted);
* parameters, dense: every weight and bias of the dense network, (N − 1)·D² + N·D (W⁰ = I, the
  input embedding, is not counted: `construction.network.dense_accounting`);
* parameters, non-zero: the weights and biases of that dense network that are not 0;
* parameters, structured: the real numbers the structured form keeps (`construction.capped.
  StructuredLayer`): per weight layer the circuits' own weights w_t = w̄ + Δw_t (non-zero
  entries of T·d²) and the suppression constants χ (non-zero entries of d²); per activation
  layer one bias per block where the bias is constant on the block (post eq 5.28), else its
  non-zeros. A weight layer kept only dense (clean-up layers, edited pools) counts its non-zeros.
  The positions (T·d·S integer indices per circuit layer) are indices, not parameters, and are
  reported apart (`indices`);
* D, the width itself (the equal-D comparison of the frontier).

The disjoint reference on the same axes, with T₀ circuits and the same N: neurons T₀·d·N,
parameters (dense = non-zero = structured) T₀·((N − 1)·d² + N·d) — exactly the block-diagonal
part of a dense network of width T₀·d, counted with the dense convention above.

Pure numpy/pandas: `network_costs` reads a built `construction.Network`; nothing here builds one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..construction.capped import StructuredLayer


def reference(d_model, d_circuit):
    """T₀ = ⌊D/d⌋, the circuits a disjoint embedding (S = 1) computes exactly at width D.
    Scalars or arrays (elementwise)."""
    out = np.floor_divide(np.asarray(d_model, dtype=np.int64), np.asarray(d_circuit, dtype=np.int64))
    return int(out) if out.ndim == 0 else out


def gain(capacity, lo, hi, t0) -> tuple:
    """(T*/T₀, lo/T₀, hi/T₀): the gain over no superposition and its interval (scalars or arrays)."""
    t0 = np.asarray(t0, dtype=float)
    return tuple(np.asarray(x, dtype=float) / t0 for x in (capacity, lo, hi))


def with_reference(summary: pd.DataFrame, d_circuit) -> pd.DataFrame:
    """`summary` (a frontier summary: d_model, capacity, capacity_lo, capacity_hi, status) with
    columns d_circuit, t0 = ⌊D/d⌋, gain, gain_lo, gain_hi and beats (the gain's interval lies
    above 1; a lower bound above T₀ also beats). `d_circuit`: one int, or {design label: d}."""
    out = summary.copy()
    d = out["design"].map(d_circuit) if isinstance(d_circuit, dict) else pd.Series(d_circuit, index=out.index)
    if d.isna().any():
        missing = sorted(set(out.loc[d.isna(), "design"]))
        raise ValueError(f"no circuit width d for the designs {missing}")
    out["d_circuit"] = d.astype(int)
    out["t0"] = reference(out["d_model"].to_numpy(), out["d_circuit"].to_numpy())
    out["gain"], out["gain_lo"], out["gain_hi"] = gain(out["capacity"], out["capacity_lo"], out["capacity_hi"], out["t0"])
    ok = (out["status"] == "ok") & (out["gain_lo"] > 1)
    bound = (out["status"] == "lower_bound") & (out["gain"] > 1)
    out["beats"] = ok | bound
    return out


def disjoint_costs(d_model: int, d_circuit: int, depth: int) -> dict:
    """The no-superposition network: T₀ = ⌊D/d⌋ circuits of width d, each on its own d neurons,
    `depth` = N activation layers. Keys: t0, width, neurons, parameters_dense,
    parameters_nonzero, parameters_structured (the last three equal), indices (0)."""
    t0 = reference(d_model, d_circuit)
    d, N = int(d_circuit), int(depth)
    params = t0 * ((N - 1) * d * d + N * d)
    return {"t0": t0, "width": t0 * d, "neurons": t0 * d * N, "parameters_dense": params,
            "parameters_nonzero": params, "parameters_structured": params, "indices": 0}


def _bias_structured(bias: np.ndarray, block_sizes) -> int:
    """Numbers a bias vector (D,) needs: one per block where it is constant there (0 if that
    constant is 0), else the block's non-zeros."""
    n, start = 0, 0
    for size in block_sizes:
        b = bias[start : start + size]
        start += size
        n += int(b[0] != 0) if np.all(b == b[0]) else int(np.count_nonzero(b))
    return n


def network_costs(network) -> dict:
    """The cost axes of a built `construction.Network` (module docstring): width, depth N,
    neurons, parameters_dense, parameters_nonzero, parameters_structured, indices.

    Forms every dense weight matrix once (D² float64 each): callers keep D moderate."""
    D, N = network.d_model, network.n_activation_layers
    structure = network.structure or (None,) * len(network.weights)
    nonzero = structured = 0
    for k, (dense, layer) in enumerate(zip(network.weights, structure)):
        nz = int(np.count_nonzero(dense))
        nonzero += nz
        if isinstance(layer, StructuredLayer):
            own = layer.mean_w[None] + layer.diff_w  # (T, d, d): each circuit's own weights
            structured += int(np.count_nonzero(own)) + int(np.count_nonzero(layer.chi))
        else:
            structured += nz
    for layer in range(1, N + 1):
        bias = np.asarray(network.bias_of(layer))
        nonzero += int(np.count_nonzero(bias))
        structured += _bias_structured(bias, network.block_sizes)
    return {"width": D, "depth": N, "neurons": network.n_neurons, "parameters_dense": network.n_parameters,
            "parameters_nonzero": nonzero, "parameters_structured": structured, "indices": int(network.positions.size)}


def derived_costs(accounting: dict, n_circuits: int, d_circuit: int, redundancy: int) -> dict:
    """The cost axes from a design's `accounting` alone, for networks too wide to form densely:
    non-zero parameters bounded by the dense count (χ makes every used block pair dense), the
    structured count as if every weight layer were a capped layer with every circuit weight and χ
    non-zero, T·d² + d² per weight layer, and d biases per activation layer; indices L·T·d·S."""
    N, d = int(accounting["depth"]), int(d_circuit)
    return {"width": int(accounting["neurons_per_layer"]), "depth": N, "neurons": int(accounting["neurons"]),
            "parameters_dense": int(accounting["parameters"]), "parameters_nonzero": int(accounting["parameters"]),
            "parameters_structured": (N - 1) * (int(n_circuits) + 1) * d * d + N * d,
            "indices": int(accounting["computing_layers"]) * int(n_circuits) * d * int(redundancy)}


def per_cost(capacity: float, costs: dict, reference_costs: dict) -> dict:
    """Capacity per neuron and per parameter (dense, non-zero, structured), each with the
    no-superposition network's value (T₀ per its cost) and the ratio of the two (the gain on that
    axis). Keys: per_<axis>, ref_per_<axis>, gain_<axis> for axis in neurons, parameters_dense,
    parameters_nonzero, parameters_structured."""
    out = {}
    for axis in ("neurons", "parameters_dense", "parameters_nonzero", "parameters_structured"):
        mine = capacity / costs[axis] if costs[axis] else np.nan
        ref = reference_costs["t0"] / reference_costs[axis]
        out[f"per_{axis}"], out[f"ref_per_{axis}"], out[f"gain_{axis}"] = mine, ref, mine / ref
    return out
