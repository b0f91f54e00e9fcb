"""Batched forward passes of the large network over sampled active sets, with streaming metrics.

Source: post eqs 5.25–5.32 and the published `CompInSup.run` (docs/method.md §3.3, §5.1):

    A^0[block i] = Σ_{t active} (w_t a_t^0)_i · e_t^0      (embedded pre-activation, no bias)
    A^1 = ReLU(A^0 + B),   A^{l+1} = ReLU(W^l A^l + B)  for l = 1..L−1
    â_t^{l} = (1/S) ⟨e_t^{l−1}| A^l⟩ per block,  α̂ = mean_p(â_{2p} − â_{2p+1}),  x̂ = â_rot − α̂

Layer-0 estimates are exact by definition (the published convention). Nothing of size
(samples × circuits × neurons) is ever formed; per batch the largest arrays are the
activations (D, bs) and the read-out channels (T, bs).

The forward pass runs on any array API namespace (`backend`: numpy, cupy, or array_api_strict
in the tests) with feature-major activations X (D, batch). Each weight layer is a dense GEMM or
the factored ("structured") operator of `cisim.forward`, chosen per layer; the choice is
reported in `Result.forward`. Random numbers, the exact small-circuit truth and the final
chunked sums stay on the host (numpy), so a seed gives the same inputs on every backend.
`readouts` runs the same pass (`forward_layers`) and returns per-sample read-outs instead of
metrics, for run-for-run comparisons with the published code (docs/reproduction.md).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from . import backend as backends
from . import forward as forward_ops
from .circuits import RotationCircuits
from .construction.network import Network
from .construction.weights import block_offsets
from .metrics import ACTIVE_THRESHOLD, CHUNK, BatchMetrics, device_statistics
from .readout import ChannelReadout, readout_matrix

# Largest working set of one batch; the batch is cut to fit (results do not depend on it).
BATCH_BUDGET_BYTES = int(float(os.environ.get("CISIM_BATCH_BUDGET_GB", "1.5")) * 2**30)


@dataclass(frozen=True)
class Inputs:
    """What is fed to the network: active sets and initial phases, one row per sample.

    active : int64 ndarray of shape (n_samples, n_active), distinct circuits per row.
    phases : float64 ndarray of shape (n_samples, n_active), φ with x^0 = (cos φ, sin φ).
    """

    active: np.ndarray
    phases: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.active.shape[0])

    @property
    def n_active(self) -> int:
        return int(self.active.shape[1])


# Rejection sampling of distinct circuits is kept while a row is accepted with probability
# p = Π_{k<z} (1 − k/T) ≥ 1/16 (at most 16 expected draws per row: every study's z ≪ T, whose
# draws therefore stay as they were); below that (z ≳ 2.4·√T, e.g. z = T) rows are drawn directly.
REJECTION_MIN_ACCEPTANCE = 1.0 / 16
# Rows per call of the direct draw: a (rows, T) index table of at most 2**24 entries (128 MiB).
DIRECT_TABLE_ENTRIES = 2**24


def distinct_acceptance(n_circuits: int, n_active: int) -> float:
    """Probability that z uniform draws from T circuits are distinct: Π_{k<z} (1 − k/T)."""
    p = 1.0
    for k in range(n_active):
        p *= 1.0 - k / n_circuits
        if p < REJECTION_MIN_ACCEPTANCE:
            break  # the caller only compares with the threshold
    return p


def sample_inputs(n_circuits: int, n_active: int, n_samples: int, rng: np.random.Generator, exhaustive: bool = False) -> Inputs:
    """Uniform random active sets of z distinct circuits and φ ~ U[0, 2π) per active slot.

    `exhaustive` (z = 1 only) runs every circuit exactly once, as the post's Figs 5–7 do;
    `n_samples` is then ignored. While distinct draws are likely (`REJECTION_MIN_ACCEPTANCE`),
    rows with a repeated circuit are redrawn (the published code replaced them by fixed tuples,
    biasing low indices; docs/method.md §5.1); otherwise each row is the first z entries of a
    uniform random permutation of the T circuits (O(T) per row, any z ≤ T). Both give uniform
    z-sets in uniform order.
    """
    if not 1 <= n_active <= n_circuits:
        raise ValueError(f"n_active={n_active} is not allowed: need 1 <= n_active <= n_circuits (n_circuits={n_circuits})")
    if exhaustive:
        if n_active != 1:
            raise ValueError(f"exhaustive=True needs n_active=1, got n_active={n_active}")
        active = np.arange(n_circuits, dtype=np.int64)[:, None]
    else:
        if n_samples < 1:
            raise ValueError(f"n_samples={n_samples} is not allowed: need n_samples >= 1")
        if distinct_acceptance(n_circuits, n_active) >= REJECTION_MIN_ACCEPTANCE:
            active = rng.integers(n_circuits, size=(n_samples, n_active), dtype=np.int64)
            while True:
                s = np.sort(active, axis=1)
                dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
                if not dup.any():
                    break
                active[dup] = rng.integers(n_circuits, size=(int(dup.sum()), n_active), dtype=np.int64)
        else:
            circuits = np.arange(n_circuits, dtype=np.int64)
            rows = max(1, DIRECT_TABLE_ENTRIES // n_circuits)
            active = np.concatenate([
                rng.permuted(np.broadcast_to(circuits, (min(rows, n_samples - lo), n_circuits)), axis=1)[:, :n_active].copy()  # frees the table
                for lo in range(0, n_samples, rows)
            ])
    phases = rng.uniform(0.0, 2.0 * np.pi, size=active.shape)
    return Inputs(active, phases)


@dataclass
class Result:
    """Per-layer metrics (see `metrics`), example trajectories, and how the run went."""

    metrics: dict
    x_true: np.ndarray  # (n_trajectories, L+1, 2): first active circuit of the first samples
    x_est: np.ndarray  # (n_trajectories, L+1, 2): its read-out
    n_samples: int
    readout: str
    seconds: float
    forward: str = "dense"  # weight-layer path that ran: dense, structured, mixed (or none)
    forward_detail: str = ""  # per layer: path and why
    backend: str = "numpy"  # array namespace the forward pass ran on
    batch_size: int = 0  # samples per forward batch actually used


def embed_input(network: Network, circuits: RotationCircuits, active: np.ndarray, a0: np.ndarray, n_rows: int, dtype) -> np.ndarray:
    """A^0 (n_rows, D): active circuits' pre-activations w_t a_t^0 written at their input positions."""
    bs = active.shape[0]
    pre = np.einsum("bzij,bzj->bzi", circuits.weights(active), a0)  # (bs, z, d)
    A0 = np.zeros((n_rows, network.d_model), dtype=dtype)
    idx = network.input_embedding()[active]  # (bs, z, d, S)
    rows = np.broadcast_to(np.arange(bs)[:, None, None, None], idx.shape)
    np.add.at(A0, (rows, idx), np.broadcast_to(pre[..., None], idx.shape).astype(dtype))
    return A0


def true_states(network: Network, circuits: RotationCircuits, active: np.ndarray, a0: np.ndarray) -> list:
    """Exact small-circuit states of the circuits that are non-zero, per layer 0..L.

    Returns a list of (rows, cols, α, x): sample and circuit indices of every circuit whose true
    state is non-zero, with its α and x; all other circuits are exactly zero. Static activity
    (the post's framework) runs each active circuit's own forward pass; a design with
    `dynamics` propagates all circuits' states (bs, T, d), so the active set can change.
    """
    L, T = network.n_layers, network.n_circuits
    bs, z = active.shape
    if network.dynamics is None:
        alpha, x = circuits.read(circuits.forward(active, a0, L))  # (L+1, bs, z[, 2])
        rows, cols = np.repeat(np.arange(bs), z), active.ravel()
        return [(rows, cols, alpha[l].ravel(), x[l].reshape(-1, 2)) for l in range(L + 1)]
    states = np.zeros((bs, T, circuits.d_circuit))
    states[np.arange(bs)[:, None], active] = a0
    out = []
    for layer in range(L + 1):
        if layer:
            states = network.dynamics(circuits, states, layer)
        rows, cols = np.nonzero(states.any(-1))
        alpha, x = circuits.read(states[rows, cols])
        out.append((rows, cols, alpha, x))
    return out


def trajectory_truth(truth, k: int, follow: np.ndarray, dynamic: bool) -> tuple:
    """True x of the followed circuit in each of the first k samples (k ≤ n_trajectories, small).

    With dynamics the followed circuit is the lowest-numbered active one at this layer (the
    previous one is kept when none is active)."""
    rows, cols, alpha, x = truth
    follow = follow.copy()
    out = np.zeros((k, 2))
    for i in range(k):
        mine = rows == i
        if dynamic and (mine & (alpha > 0.5)).any():
            follow[i] = cols[mine & (alpha > 0.5)].min()
        hit = np.flatnonzero(mine & (cols == follow[i]))
        if hit.size:
            out[i] = x[hit[0]]
    return out, follow


def embed_input_columns(network: Network, circuits: RotationCircuits, active: np.ndarray, a0: np.ndarray, n_cols: int, dtype) -> np.ndarray:
    """A^0 feature-major (D, n_cols): the same values as `embed_input`, transposed."""
    pre = np.einsum("bzij,bzj->bzi", circuits.weights(active), a0)  # (bs, z, d)
    A0 = np.zeros((network.d_model, n_cols), dtype=dtype)
    idx = network.input_embedding()[active]  # (bs, z, d, S)
    cols = np.broadcast_to(np.arange(active.shape[0])[:, None, None, None], idx.shape)
    np.add.at(A0, (idx, cols), np.broadcast_to(pre[..., None], idx.shape).astype(dtype))
    return A0


def listing(truth_layer, bs: int, n_cols: int) -> tuple:
    """Host tables of the circuits whose true state is listed (non-zero), k per sample.

    Returns idx (k, n_cols) int64 (padding points at circuit 0), valid (k, bs), α (k, bs) and
    x (k, bs, 2).
    """
    rows, cols, alpha, x = truth_layer
    counts = np.bincount(rows, minlength=bs)
    k = max(int(counts.max()) if counts.size else 0, 1)
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    rank = np.arange(r.size) - np.concatenate([[0], np.cumsum(counts)[:-1]])[r]
    idx = np.zeros((k, n_cols), dtype=np.int64)
    valid = np.zeros((k, bs), dtype=bool)
    alpha_t = np.zeros((k, bs))
    x_t = np.zeros((k, bs, 2))
    idx[rank, r] = cols[order]
    valid[rank, r] = True
    alpha_t[rank, r] = alpha[order]
    x_t[rank, r] = x[order]
    return idx, valid, alpha_t, x_t


def inactive_mask(truth_layer, n_cols: int, n_circuits: int) -> np.ndarray:
    """(T, n_cols) bool: False exactly at the listed circuits (scored against their truth)."""
    rows, cols = truth_layer[0], truth_layer[1]
    inactive = np.ones((n_circuits, n_cols), dtype=bool)
    inactive[cols, rows] = False
    return inactive


def bytes_per_sample(d_model: int, n_circuits: int, n_channels: int, itemsize: int) -> int:
    """Working set of one sample of a batch: activations, read-out channels, temporaries, mask."""
    return itemsize * (4 * d_model + (n_channels + 4) * n_circuits) + n_circuits


def batch_columns(batch_size: int, plan, network: Network, n_channels: int, dtype) -> int:
    """Samples per batch: batch_size rounded up to a multiple of CHUNK, cut to BATCH_BUDGET_BYTES."""
    batch = -(-batch_size // CHUNK) * CHUNK
    itemsize = np.dtype(dtype).itemsize
    T, D = network.n_circuits, network.d_model
    per_sample = bytes_per_sample(D, T, n_channels, itemsize)
    for op in plan.ops:
        if op.path == forward_ops.STRUCTURED:
            per_sample = max(per_sample, op.work()["bytes_per_sample"] + itemsize * (n_channels + 2) * T)
    fit = max(CHUNK, (BATCH_BUDGET_BYTES // per_sample) // CHUNK * CHUNK)
    return int(min(batch, fit))


def estimated_seconds(d_model: int, n_circuits: int, n_weight_layers: int, redundancy: int, n_samples: int, dtype,
                      forward: str, d_circuit: int = 4) -> float:
    """Rough single-core time of `n_samples` forward passes, from `cisim.forward`'s cost constants:
    per sample and weight layer the cheaper allowed path, dense 2·D²/GEMM_RATE or structured
    ≈ 2·d²·T·S gathers (each used pair's inputs and outputs) plus the read-out of every circuit at
    every layer (d·T·S gathers). An estimate for refusing what cannot finish, not a promise."""
    itemsize = np.dtype(dtype).itemsize
    dense = 2.0 * d_model * d_model / (forward_ops.GEMM_RATE * 4 / itemsize)
    structured = 2.0 * d_circuit**2 * n_circuits * redundancy / forward_ops.GATHER_RATE * (itemsize / 4)
    per_layer = {"dense": dense, "structured": structured}.get(forward, min(dense, structured))
    readout = d_circuit * n_circuits * redundancy / forward_ops.GATHER_RATE
    return float(n_samples * (n_weight_layers * per_layer + (n_weight_layers + 1) * readout))


def peak_bytes(d_model: int, n_circuits: int, n_weight_layers: int, redundancy: int, inputs: dict, batch_size: int, dtype,
               forward: str, n_channels: int = 3, d_circuit: int = 4) -> dict:
    """Rough peak memory of one simulation (one seed's network), in bytes, by part:

        dense weights    (N − 1)·D²·itemsize, when the dense path can be taken (forward = dense, or
                         auto while within forward.DENSE_BUDGET_BYTES; auto above it and
                         structured keep only the factored tables below)
        position tables  32·(N − 1)·T·d·S: the embedding positions and the structured layers'
                         gather tables, about four int64 (T, d, S) tables per layer (d = 4 nominal)
        one batch        bytes_per_sample × the columns `batch_columns` allows (≥ one CHUNK)
        inputs           24·n·z for the largest n·z of `inputs` {z: n} (active int64, its sorted
                         copy, phases float64), plus the direct draw's index table when z is large

    An estimate for refusing configs that cannot run (config.check_point), not a measurement:
    designs that build some layers only densely (routed or unequal-pool layers) may need more.
    """
    itemsize = np.dtype(dtype).itemsize
    dense = n_weight_layers * d_model**2 * itemsize
    if forward == forward_ops.STRUCTURED or (forward == "auto" and dense > forward_ops.DENSE_BUDGET_BYTES):
        dense = 0
    per_sample = bytes_per_sample(d_model, n_circuits, n_channels, itemsize)
    columns = min(-(-batch_size // CHUNK) * CHUNK, max(CHUNK, BATCH_BUDGET_BYTES // per_sample // CHUNK * CHUNK))
    draw = {z: 24 * n * z + (8 * min(n, max(1, DIRECT_TABLE_ENTRIES // n_circuits)) * n_circuits
                              if distinct_acceptance(n_circuits, z) < REJECTION_MIN_ACCEPTANCE else 0)
            for z, n in inputs.items()}
    tables = 32 * max(n_weight_layers, 1) * n_circuits * d_circuit * redundancy
    return {"dense weights": dense, "position tables": tables, "one batch": columns * per_sample, "inputs": max(draw.values(), default=0)}


@dataclass
class Prepared:
    """Everything `run` builds once per network: layer operators (dense matrices or index
    tables), read-outs and biases on the backend. Reuse it across z values and input sets."""

    network: Network
    dtype: np.dtype
    forward: str
    backend: str
    plan: object
    R: np.ndarray
    readouts: list
    reuse: dict
    biases: list
    seconds: float


def prepare(network: Network, circuits: RotationCircuits, dtype=np.float32, forward: str = "auto", backend: str = "numpy") -> Prepared:
    """Build the forward pass of `network` once (see `run`)."""
    start = time.perf_counter()
    xp = backends.namespace(backend)
    dtype = np.dtype(dtype)
    L, N = network.n_layers, network.n_activation_layers
    R = readout_matrix(circuits)
    plan = forward_ops.plan(network.weights, dtype, xp, forward, readout_rows=R)
    readouts = [ChannelReadout(network.positions[l], network.block_sizes, R, dtype, xp) for l in range(L)]
    circuit_layer = {n: l for l, n in enumerate(network.readouts(), start=1)}
    # A structured weight layer gathers exactly the read-out channels of its input layer when
    # the positions agree (the post's construction; gather strategy): read out from that gather.
    reuse = {
        n: plan.paths[n - 1] == forward_ops.STRUCTURED
        and plan.ops[n - 1].n_channels > 0
        and readouts[l - 1].strategy == "gather"
        and np.array_equal(plan.ops[n - 1].pos_in, network.positions[l - 1])
        for n, l in circuit_layer.items()
        if n <= N - 1
    }
    biases = [xp.asarray(network.bias_of(n).astype(dtype)[:, None]) for n in range(1, N + 1)]
    return Prepared(network, dtype, forward, backend, plan, R, readouts, reuse, biases, time.perf_counter() - start)


def forward_layers(prepared: Prepared, A0, xp):
    """The forward pass of one batch, read out layer by layer (post eqs 5.17, 5.27–5.30).

    A0 : (D, n_cols) embedded input (`embed_input_columns`). Yields (l, X, channels) for circuit
    layers l = 1..L in order: X (D, n_cols) the activation layer holding circuit layer l, and
    channels [α̂, x̂_0, x̂_1, …] of every circuit, each (T, n_cols), on the backend `xp`.
    """
    network, plan, readouts, reuse, biases = prepared.network, prepared.plan, prepared.readouts, prepared.reuse, prepared.biases
    N = network.n_activation_layers
    circuit_layer = {n: l for l, n in enumerate(network.readouts(), start=1)}
    X = xp.maximum(xp.asarray(A0) + biases[0], 0.0)
    Y = free = None
    for n in range(1, N + 1):
        if n >= 2:
            X = xp.maximum(Y + biases[n - 1], 0.0)
        read_free = reuse.get(n, False)
        if n <= N - 1:  # W^n X: a structured layer also returns the read-out of X when asked
            op = plan.ops[n - 1]
            Y, free = op.apply(X, read_free) if op.path == forward_ops.STRUCTURED else (op(X), None)
        if n not in circuit_layer:
            continue
        layer = circuit_layer[n]
        yield layer, X, (free if read_free else readouts[layer - 1](X))


def run(
    network: Network,
    circuits: RotationCircuits,
    inputs: Inputs,
    batch_size: int = 1024,
    dtype=np.float32,
    n_trajectories: int = 10,
    progress=None,
    forward: str = "auto",
    backend: str = "numpy",
    prepared: Prepared | None = None,
) -> Result:
    """Simulate all `inputs` in batches; return streaming per-layer metrics.

    batch_size is rounded up to a multiple of metrics.CHUNK (and short batches are padded with
    all-zero samples) so that results do not depend on it; it is also cut to fit
    BATCH_BUDGET_BYTES. `forward` is auto, dense or structured (`cisim.forward.plan`);
    `backend` is numpy, cupy or array_api_strict; `prepared` (from `prepare` with the same
    network, dtype, forward and backend) skips building the operators again. `progress(done,
    total)` is called after every batch. Trajectories follow the first active circuit of each
    sample (with `dynamics`: the lowest-numbered circuit active at each layer).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} is not allowed: need batch_size >= 1")
    start_time = time.perf_counter()
    if prepared is None:
        prepared = prepare(network, circuits, dtype, forward, backend)
    elif (prepared.network is not network or prepared.dtype != np.dtype(dtype) or prepared.forward != forward
          or prepared.backend != backend):
        raise ValueError("prepared= was built for another network, dtype, forward or backend")
    xp = backends.namespace(backend)
    dtype = np.dtype(dtype)
    L, T, d = network.n_layers, network.n_circuits, circuits.d_circuit
    plan, R, readouts = prepared.plan, prepared.R, prepared.readouts
    offsets = [int(o) for o in block_offsets(network.block_sizes)]
    metrics = BatchMetrics(L, d)
    batch = batch_columns(batch_size, plan, network, R.shape[0], dtype)
    n_traj = min(n_trajectories, inputs.n_samples)
    x_true_traj = np.zeros((n_traj, L + 1, 2))
    x_est_traj = np.zeros((n_traj, L + 1, 2))

    def activity(layer, X, bs):
        on = X[:, :bs] > ACTIVE_THRESHOLD
        per_block = [backends.to_numpy(xp.count_nonzero(on[offsets[i] : offsets[i + 1], :])) for i in range(d)]
        # after a ReLU nothing is −inf, so a finite maximum means no NaN/inf: count only otherwise
        finite = bool(np.isfinite(backends.to_numpy(xp.max(X[:, :bs]))))
        nonfinite = 0 if finite else backends.to_numpy(xp.count_nonzero(xp.logical_not(xp.isfinite(X[:, :bs]))))
        metrics.add_counts(layer, np.array(per_block, dtype=np.int64), int(nonfinite))

    with np.errstate(invalid="ignore", over="ignore"):  # non-finite values are counted, not warned
        for lo in range(0, inputs.n_samples, batch):
            active = inputs.active[lo : lo + batch]
            bs = active.shape[0]
            x0 = np.stack([np.cos(inputs.phases[lo : lo + batch]), np.sin(inputs.phases[lo : lo + batch])], -1)
            a0 = circuits.encode(np.ones(active.shape), x0)
            truth = true_states(network, circuits, active, a0)
            A0 = embed_input_columns(network, circuits, active, a0, batch, dtype)
            metrics.add_activity(0, A0[:, :bs].T, np.asarray(offsets))
            k = max(0, min(n_traj - lo, bs))
            follow = active[:k, 0]
            x_true_traj[lo : lo + k, 0] = x0[:k, 0]
            x_est_traj[lo : lo + k, 0] = x0[:k, 0]
            tables = None
            for layer, X, channels in forward_layers(prepared, A0, xp):
                idx, valid, alpha_t, x_t = listing(truth[layer], bs, batch)
                if tables is None or network.dynamics is not None:  # static activity: the same circuits at every layer
                    tables = (xp.asarray(idx), xp.asarray(inactive_mask(truth[layer], batch, T)))
                stats = device_statistics(xp, channels, tables[1])
                listed = [backends.to_numpy(xp.take_along_axis(c, tables[0], axis=0))[:, :bs] for c in channels]
                est = (listed[0], np.stack(listed[1:3], -1))
                metrics.add_layer_batch(layer, T, bs, stats, est, (valid, alpha_t, x_t))
                activity(layer, X, bs)
                if k:
                    x_true_traj[lo : lo + k, layer], follow = trajectory_truth(truth[layer], k, follow, network.dynamics is not None)
                    flat = xp.asarray(follow.astype(np.int64) * batch + np.arange(k))
                    x_est_traj[lo : lo + k, layer] = np.stack(
                        [backends.to_numpy(xp.take(xp.reshape(c, (-1,)), flat)) for c in channels[1:3]], -1
                    )
            metrics.n_samples += bs
            if progress is not None:
                progress(metrics.n_samples, inputs.n_samples)
    return Result(
        metrics.finalize(network.block_sizes),
        x_true_traj,
        x_est_traj,
        inputs.n_samples,
        readouts[0].strategy if readouts else "none",
        time.perf_counter() - start_time,
        forward=plan.path,
        forward_detail=plan.summary,
        backend=backend,
        batch_size=batch,
    )


def readouts(
    network: Network,
    circuits: RotationCircuits,
    inputs: Inputs,
    dtype=np.float32,
    batch_size: int = 1024,
    forward: str = "auto",
    prepared: Prepared | None = None,
) -> dict:
    """Per-sample read-outs of the active circuits for the given inputs, and the inactive MSEs.

    The same forward pass as `run` (`prepare`, `forward_layers`), on the numpy backend, for
    designs whose active set is fixed by the input (`network.dynamics` is None). Layer 0 is set
    as the published code sets it: the true input a⁰ of every active circuit (α = 1, x = x⁰;
    post eqs 5.4–5.6, docs/reproduction.md); layers 1..L are read out with post eq 5.30.

    Returns a dict of float64 arrays:
        alpha               (L+1, n_samples, z)     α̂ of inputs.active[s, k] at each layer
        x                   (L+1, n_samples, z, 2)  x̂ of the same circuits
        mse_alpha_inactive  (L+1,)                  E α̂² over the T − z inactive circuits (layer 0: 0)
        mse_x_inactive      (L+1,)                  E ‖x̂‖² over the inactive circuits (layer 0: 0)
    They agree with `run(...).metrics` on the same inputs up to rounding (the batch layout of
    the GEMMs may differ).
    """
    if network.dynamics is not None:
        raise ValueError("readouts needs a design with static activity (network.dynamics is None); routed designs change the active set")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} is not allowed: need batch_size >= 1")
    dtype = np.dtype(dtype)
    if prepared is None:
        prepared = prepare(network, circuits, dtype, forward)
    elif prepared.network is not network or prepared.dtype != dtype or prepared.backend != "numpy":
        raise ValueError("prepared= was built for another network, dtype or backend (readouts runs on numpy)")
    xp = backends.namespace("numpy")
    L, T = network.n_layers, network.n_circuits
    n, z = inputs.n_samples, inputs.n_active
    alpha = np.zeros((L + 1, n, z))
    x = np.zeros((L + 1, n, z, 2))
    sums = {"alpha": np.zeros(L + 1), "x": np.zeros(L + 1)}
    batch = batch_columns(batch_size, prepared.plan, network, prepared.R.shape[0], dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # a diverging network reads out NaN/inf, as in `run`
        for lo in range(0, n, batch):
            active = inputs.active[lo : lo + batch]
            bs = active.shape[0]
            phases = inputs.phases[lo : lo + batch]
            a0 = circuits.encode(np.ones(active.shape), np.stack([np.cos(phases), np.sin(phases)], -1))
            alpha[0, lo : lo + bs], x[0, lo : lo + bs] = circuits.read(a0)
            inactive = np.ones((T, bs), dtype=bool)
            inactive[active.T, np.arange(bs)[None, :]] = False
            A0 = embed_input_columns(network, circuits, active, a0, batch, dtype)
            for layer, _, channels in forward_layers(prepared, A0, xp):
                alpha_hat, x_hat = channels[0][:, :bs], np.stack([c[:, :bs] for c in channels[1:3]], -1)  # (T, bs), (T, bs, 2)
                alpha[layer, lo : lo + bs] = np.take_along_axis(alpha_hat, active.T, axis=0).T
                x[layer, lo : lo + bs] = np.take_along_axis(x_hat, active.T[..., None], axis=0).transpose(1, 0, 2)
                sums["alpha"][layer] += np.square(alpha_hat, dtype=np.float64)[inactive].sum()
                sums["x"][layer] += np.square(x_hat, dtype=np.float64).sum(-1)[inactive].sum()
    n_inactive = n * (T - z)
    return {
        "alpha": alpha,
        "x": x,
        "mse_alpha_inactive": sums["alpha"] / n_inactive if n_inactive else np.zeros(L + 1),
        "mse_x_inactive": sums["x"] / n_inactive if n_inactive else np.zeros(L + 1),
    }
