"""Batched forward passes of the large network over sampled inputs: metrics, trajectories, read-outs.

Source: post eqs 5.25–5.32 and the published `CompInSup.run` (docs/method.md §3.3, §5.1):

    A^0[block i] = Σ_{t active} (w_t a_t^0)_i · e_t^0      (embedded pre-activation, no bias)
    A^1 = ReLU(A^0 + B),   A^{n+1} = ReLU(W^n A^n + B)  for activation layers n = 1..N−1
    â_t^{l} = (1/S) ⟨e_t^{l−1}| A^{n(l)}⟩ per block,  α̂ = mean_p(â_{2p} − â_{2p+1}),  x̂ = â_rot − α̂

"Layer" l is a circuit layer 0..L, read out from activation layer n(l) = `Network.readouts()`
(n = l in the post's construction). Layer-0 estimates are exact by definition (the published
convention). Nothing of size (samples × circuits × neurons) is ever formed; per batch the
largest arrays are the activations (D, bs) and the read-out channels (T, bs).

The forward pass runs on any array API namespace (`backend`: numpy, cupy, or array_api_strict
in the tests) with feature-major activations X (D, batch). Each weight layer is a dense GEMM or
the factored ("structured") operator of `operators`, chosen per layer; the choice is reported in
`Result.forward`. Random numbers, the exact small-circuit truth and the final chunked sums stay
on the host (numpy), so a seed gives the same inputs on every backend. `readouts` runs the same
pass (`forward_layers`) and returns per-sample read-outs instead of metrics, for run-for-run
comparisons with the published code (docs/reproduction.md).
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from array_api_compat import is_numpy_namespace

from .. import backend as backends
from ..circuits import RotationCircuits
from ..construction.network import Network
from ..construction.layout import block_offsets
from ..metrics import READ_ON, pair_error
from . import operators
from .accumulate import StreamingMetrics, activity_counts, device_statistics
from .budget import batch_columns
from .inputs import Inputs, embed_input_columns, initial_states
from .noise import NoiseCorrelation
from .readout import ChannelReadout, readout_matrix
from .truth import inactive_mask, listing, passed_over, trajectory_truth, true_states


@dataclass
class Result:
    """Per-layer metrics (`cisim.metrics`, arrays over circuit layers 0..L), example trajectories,
    and how the run went."""

    metrics: dict
    x_true: np.ndarray  # (n_trajectories, L+1, 2): first active circuit of the first samples
    x_est: np.ndarray  # (n_trajectories, L+1, 2): its read-out
    n_samples: int
    readout: str  # read-out strategy of circuit layer 1: dense or gather (none without layers)
    seconds: float
    forward: str = "dense"  # weight-layer path that ran: dense, structured, mixed (or none)
    forward_detail: str = ""  # per weight layer W^1..W^{N−1}: path and why
    backend: str = "numpy"  # array namespace the forward pass ran on
    batch_size: int = 0  # samples per forward batch actually used


@dataclass
class Prepared:
    """Everything `run` builds once per network: weight-layer operators (dense matrices or index
    tables), read-outs and biases on the backend. Reuse it across z values and input sets.

    plan: `operators.Plan` of the N − 1 weight layers; R (n_channels, d): `readout_matrix`;
    channel_readouts: one `ChannelReadout` per circuit layer 1..L; reuse: {activation layer n:
    whether its read-out comes free from the gather of weight layer W^n}; biases: N arrays (D, 1).
    """

    network: Network
    dtype: np.dtype
    forward: str
    backend: str
    plan: operators.Plan
    R: np.ndarray
    channel_readouts: list
    reuse: dict
    biases: list
    seconds: float


def prepare(network: Network, circuits: RotationCircuits, dtype=np.float32, forward: str = "auto", backend: str = "numpy",
            n_samples: int | None = None) -> Prepared:
    """Build the forward pass of `network` once (see `run`): dtype and backend of the pass,
    `forward` auto, dense or structured (`operators.plan`); `n_samples`, the samples it will run
    (every z), lets the plan weigh the one-off cost of a dense matrix against its GEMMs."""
    start = time.perf_counter()
    xp = backends.namespace(backend)
    dtype = np.dtype(dtype)
    L, N = network.n_layers, network.n_activation_layers
    R = readout_matrix(circuits)
    plan = operators.plan(network.weights, dtype, xp, forward, readout_rows=R, n_samples=n_samples, block_sizes=network.block_sizes)
    channel_readouts = [ChannelReadout(network.positions[l - 1], network.block_sizes, R, dtype, xp) for l in range(1, L + 1)]
    circuit_layer = {n: l for l, n in enumerate(network.readouts(), start=1)}
    # A structured weight layer gathers exactly the read-out channels of its input layer when
    # the positions agree (the post's construction; gather strategy): read out from that gather.
    reuse = {
        n: plan.paths[n - 1] == operators.STRUCTURED
        and plan.ops[n - 1].n_channels > 0
        and channel_readouts[l - 1].strategy == "gather"
        and np.array_equal(plan.ops[n - 1].pos_in, network.positions[l - 1])
        for n, l in circuit_layer.items()
        if n <= N - 1
    }
    biases = [xp.asarray(network.bias_of(n).astype(dtype)[:, None]) for n in range(1, N + 1)]
    return Prepared(network, dtype, forward, backend, plan, R, channel_readouts, reuse, biases, time.perf_counter() - start)


# A layer's (T, batch) read-out arrays at least this large are let go before the next layer is
# computed (at D = 65,536, T = 10⁶ that lowers the peak from 7.7 to 6.2 GB); smaller ones are kept
# until replaced, which lets the allocator reuse them (releasing them early cost the post's
# network 6 % of its wall time, in system time: docs/benchmarks.md § 7f).
RELEASE_BYTES = 64 * 2**20


def _relu_bias(xp, Y, b):
    """ReLU(Y + b); on numpy in place (Y is consumed), with the same values."""
    if is_numpy_namespace(xp):
        np.add(Y, b, out=Y)
        return np.maximum(Y, 0.0, out=Y)
    return xp.maximum(Y + b, 0.0)


def forward_layers(prepared: Prepared, A0, xp):
    """The forward pass of one batch, read out layer by layer (post eqs 5.17, 5.27–5.30).

    A0 : (D, n_cols) embedded input (`embed_input_columns`; consumed: numpy overwrites it). Yields (l, X, channels) for circuit
    layers l = 1..L in order: X (D, n_cols) the activation layer holding circuit layer l, and
    channels [α̂, x̂_0, x̂_1, …] of every circuit, each (T, n_cols), on the backend `xp`.
    """
    network, plan, reuse, biases = prepared.network, prepared.plan, prepared.reuse, prepared.biases
    N = network.n_activation_layers
    circuit_layer = {n: l for l, n in enumerate(network.readouts(), start=1)}
    X = _relu_bias(xp, xp.asarray(A0), biases[0])
    Y = free = None
    for n in range(1, N + 1):
        if n >= 2:
            X = _relu_bias(xp, Y, biases[n - 1])
        read_free = reuse.get(n, False)
        if n <= N - 1:  # W^n X: a structured layer also returns the read-out of X when asked
            op = plan.ops[n - 1]
            Y, free = op.apply(X, read_free) if op.path == operators.STRUCTURED else (op(X), None)
        if n not in circuit_layer:
            continue
        layer = circuit_layer[n]
        yield layer, X, (free if read_free else prepared.channel_readouts[layer - 1](X))
        free = None  # the consumer holds the channels as long as it needs them (`run`: RELEASE_BYTES)


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
    noise: bool = False,
    workers: int | None = None,
) -> Result:
    """Simulate all `inputs` in batches; return streaming per-layer metrics (`cisim.metrics`).

    batch_size is rounded up to a multiple of `accumulate.CHUNK` (and short batches are padded
    with all-zero samples) so that the merge does not depend on it; it is also cut to fit
    `budget.BATCH_BUDGET_BYTES` and spread evenly over the batches the samples need
    (`budget.batch_columns`: little padding). `forward` is auto, dense or structured (`operators.plan`);
    `backend` is numpy, cupy or array_api_strict; `prepared` (from `prepare` with the same
    network, dtype, forward and backend) skips building the operators again. `progress(done,
    total)` is called after every batch. Trajectories follow the first active circuit of each
    sample (with `dynamics`: the lowest-numbered circuit active at each layer). `noise` adds the
    correlations of the inactive circuits' indicator errors between copies and between neurons
    (`noise.KEYS`, `noise.NoiseCorrelation`) to the metrics.
    A design whose dynamics name each circuit's `children` (computed activity) also splits
    false-on into wrong decisions and interference (`accumulate.decision_rates`).
    `workers` batches run side by side on the numpy backend, each on one BLAS thread (None: as
    many as the BLAS threads this process was given, `backend.cpu_threads`; with `noise`, one);
    the batches merge in sample order, so the metrics are those of one worker up to the rounding
    of the GEMMs (`metrics.AGREEMENT`). The process keeps freed temporaries for reuse
    (`backend.retain_freed_memory`).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} is not allowed: need batch_size >= 1")
    backends.retain_freed_memory()  # the batches' temporaries are reused, not mapped afresh
    start_time = time.perf_counter()
    if prepared is None:
        prepared = prepare(network, circuits, dtype, forward, backend, inputs.n_samples)
    elif (prepared.network is not network or prepared.dtype != np.dtype(dtype) or prepared.forward != forward
          or prepared.backend != backend):
        raise ValueError("prepared= was built for another network, dtype, forward or backend")
    xp = backends.namespace(backend)
    dtype = np.dtype(dtype)
    L, T, d = network.n_layers, network.n_circuits, circuits.d_circuit
    plan, R, channel_readouts = prepared.plan, prepared.R, prepared.channel_readouts
    offsets = [int(o) for o in block_offsets(network.block_sizes)]
    metrics = StreamingMetrics(L, d)
    decides = hasattr(network.dynamics, "children")  # computed activity: split false-on by cause (`truth.passed_over`)
    correlations = NoiseCorrelation(network, circuits, dtype, xp) if noise else None
    batch = batch_columns(batch_size, plan, network, R.shape[0], dtype, inputs.n_samples)
    release = T * batch * dtype.itemsize >= RELEASE_BYTES  # each layer's channels, once used
    n_traj = min(n_trajectories, inputs.n_samples)
    x_true_traj = np.zeros((n_traj, L + 1, 2))
    x_est_traj = np.zeros((n_traj, L + 1, 2))

    def one_batch(lo: int) -> tuple[int, list]:
        """The forward pass and statistics of the batch starting at sample `lo`: (bs, records),
        the records in the order `StreamingMetrics` must take them (`merge`)."""
        records = []
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite values are counted, not warned
            active = inputs.active[lo : lo + batch]
            bs = active.shape[0]
            x0, a0 = initial_states(circuits, inputs.phases[lo : lo + batch])
            truth = true_states(network, circuits, active, a0)
            A0 = embed_input_columns(network, circuits, active, a0, batch, dtype)
            records.append(("add_activity", 0, *activity_counts(np, A0, offsets, bs, rectified=False)))
            k = max(0, min(n_traj - lo, bs))
            follow = active[:k, 0]
            x_true_traj[lo : lo + k, 0] = x0[:k, 0, :2]  # the first rotation pair
            x_est_traj[lo : lo + k, 0] = x0[:k, 0, :2]
            tables = None
            for layer, X, channels in forward_layers(prepared, A0, xp):
                idx, valid, alpha_t, x_t = listing(truth[layer], bs, batch)
                if tables is None or network.dynamics is not None:  # static activity: the same circuits at every layer
                    tables = (xp.asarray(idx), xp.asarray(inactive_mask(truth[layer], batch, T)), (truth[layer][1], truth[layer][0]))
                stats = device_statistics(xp, channels, tables[1], tables[2])
                listed = [backends.to_numpy(xp.take_along_axis(c, tables[0], axis=0))[:, :bs] for c in channels]
                est = (listed[0], np.stack(listed[1:], -1))
                records.append(("add_layer", layer, T, bs, stats, est, (valid, alpha_t, x_t)))
                if decides and layer >= 2:
                    rows, cols = passed_over(network.dynamics, truth[layer - 1], truth[layer], layer, T)
                    read = backends.to_numpy(xp.take(xp.reshape(channels[0], (-1,)), xp.asarray(cols * batch + rows)))
                    records.append(("add_decisions", layer, rows.size, int((read > READ_ON).sum())))
                records.append(("add_activity", layer, *activity_counts(xp, X, offsets, bs)))
                if correlations is not None:  # keeps running sums: only with one worker (`workers`)
                    correlations.add(layer, X, tables[1], bs)
                if k:
                    x_true_traj[lo : lo + k, layer], follow = trajectory_truth(truth[layer], k, follow, network.dynamics is not None)
                    flat = xp.asarray(follow.astype(np.int64) * batch + np.arange(k))
                    x_est_traj[lo : lo + k, layer] = np.stack(
                        [backends.to_numpy(xp.take(xp.reshape(c, (-1,)), flat)) for c in channels[1:3]], -1
                    )
                if release:  # (T, batch) each: let them go before the next layer's gathers
                    channels = stats = None
        return bs, records

    def merge(done: tuple[int, list]):
        bs, records = done
        for name, *args in records:
            getattr(metrics, name)(*args)
        metrics.n_samples += bs
        if progress is not None:
            progress(metrics.n_samples, inputs.n_samples)

    starts = range(0, inputs.n_samples, batch)
    threads = backends.cpu_threads(backend, workers)
    n_workers = 1 if correlations is not None or len(starts) < 2 else min(threads, len(starts))
    if n_workers == 1:
        # one batch at a time (a single batch, or running sums): its row tiles use the threads instead
        with operators.row_threads(threads):
            for lo in starts:
                merge(one_batch(lo))
    else:
        # Batches run side by side, each GEMM on one BLAS thread; they merge in sample order, so
        # the sums are those of one worker (docs/reliability.md).
        with backends.one_blas_thread(), ThreadPoolExecutor(n_workers) as pool:
            pending = deque()
            for lo in starts:
                pending.append(pool.submit(one_batch, lo))
                if len(pending) > n_workers:
                    merge(pending.popleft().result())
            while pending:
                merge(pending.popleft().result())
    finalized = metrics.finalize(network.block_sizes)
    if correlations is not None:
        finalized.update(correlations.finalize())
    return Result(
        finalized,
        x_true_traj,
        x_est_traj,
        inputs.n_samples,
        channel_readouts[0].strategy if channel_readouts else "none",
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
        x                   (L+1, n_samples, z, 2m) x̂ of the same circuits
        mse_alpha_inactive  (L+1,)                  E α̂² over the T − z inactive circuits (layer 0: 0)
        mse_x_inactive      (L+1,)                  E ‖x̂‖²/m over the inactive circuits (layer 0: 0)
    They agree with `run(...).metrics` on the same inputs up to rounding (the batch layout of
    the GEMMs may differ).
    """
    if network.dynamics is not None:
        raise ValueError("readouts needs a design with static activity (network.dynamics is None); routed designs change the active set")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} is not allowed: need batch_size >= 1")
    dtype = np.dtype(dtype)
    if prepared is None:
        prepared = prepare(network, circuits, dtype, forward, n_samples=inputs.n_samples)
    elif prepared.network is not network or prepared.dtype != dtype or prepared.backend != "numpy":
        raise ValueError("prepared= was built for another network, dtype or backend (readouts runs on numpy)")
    xp = backends.namespace("numpy")
    L, T = network.n_layers, network.n_circuits
    n, z = inputs.n_samples, inputs.n_active
    alpha = np.zeros((L + 1, n, z))
    x = np.zeros((L + 1, n, z, circuits.d_payload))
    sums = {"alpha": np.zeros(L + 1), "x": np.zeros(L + 1)}
    batch = batch_columns(batch_size, prepared.plan, network, prepared.R.shape[0], dtype, n)
    with np.errstate(invalid="ignore", over="ignore"):  # a diverging network reads out NaN/inf, as in `run`
        for lo in range(0, n, batch):
            active = inputs.active[lo : lo + batch]
            bs = active.shape[0]
            _, a0 = initial_states(circuits, inputs.phases[lo : lo + batch])
            alpha[0, lo : lo + bs], x[0, lo : lo + bs] = circuits.read(a0)
            inactive = np.ones((T, bs), dtype=bool)
            inactive[active.T, np.arange(bs)[None, :]] = False
            A0 = embed_input_columns(network, circuits, active, a0, batch, dtype)
            for layer, _, channels in forward_layers(prepared, A0, xp):
                alpha_hat, x_hat = channels[0][:, :bs], np.stack([c[:, :bs] for c in channels[1:]], -1)  # (T, bs), (T, bs, 2m)
                alpha[layer, lo : lo + bs] = np.take_along_axis(alpha_hat, active.T, axis=0).T
                x[layer, lo : lo + bs] = np.take_along_axis(x_hat, active.T[..., None], axis=0).transpose(1, 0, 2)
                sums["alpha"][layer] += np.square(alpha_hat, dtype=np.float64)[inactive].sum()
                sums["x"][layer] += pair_error(x_hat.astype(np.float64))[inactive].sum()
    n_inactive = n * (T - z)
    return {
        "alpha": alpha,
        "x": x,
        "mse_alpha_inactive": sums["alpha"] / n_inactive if n_inactive else np.zeros(L + 1),
        "mse_x_inactive": sums["x"] / n_inactive if n_inactive else np.zeros(L + 1),
    }
