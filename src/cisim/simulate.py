"""Batched forward passes of the large network over sampled active sets, with streaming metrics.

Source: construction.md §4.1 (the published `CompInSup.run`), post eqs 5.25–5.32:

    A^0[block i] = Σ_{t active} (w_t a_t^0)_i · e_t^0      (embedded pre-activation, no bias)
    A^1 = ReLU(A^0 + B),   A^{l+1} = ReLU(W^l A^l + B)  for l = 1..L−1
    â_t^{l} = (1/S) ⟨e_t^{l−1}| A^l⟩ per block,  α̂ = mean_p(â_{2p} − â_{2p+1}),  x̂ = â_rot − α̂

Layer-0 estimates are exact by definition (the published convention). Nothing of size
(samples × circuits × neurons) is ever formed; per batch the largest arrays are the
activations (bs, D) and the read-outs (bs, T, d).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .circuits import RotationCircuits
from .construction.network import Network
from .construction.weights import block_offsets
from .metrics import CHUNK, StreamingMetrics
from .readout import Readout


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


def sample_inputs(n_circuits: int, n_active: int, n_samples: int, rng: np.random.Generator, exhaustive: bool = False) -> Inputs:
    """Uniform random active sets of z distinct circuits and φ ~ U[0, 2π) per active slot.

    `exhaustive` (z = 1 only) runs every circuit exactly once, as the post's Figs 5–7 do;
    `n_samples` is then ignored. Rows with a repeated circuit are redrawn (the published code
    replaced them by fixed tuples, biasing low indices; construction.md §4.1).
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
        active = rng.integers(n_circuits, size=(n_samples, n_active), dtype=np.int64)
        while True:
            s = np.sort(active, axis=1)
            dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
            if not dup.any():
                break
            active[dup] = rng.integers(n_circuits, size=(int(dup.sum()), n_active), dtype=np.int64)
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


def run(
    network: Network,
    circuits: RotationCircuits,
    inputs: Inputs,
    batch_size: int = 1024,
    dtype=np.float32,
    n_trajectories: int = 10,
    progress=None,
) -> Result:
    """Simulate all `inputs` in batches; return streaming per-layer metrics.

    batch_size is rounded up to a multiple of metrics.CHUNK (and short batches are padded with
    all-zero rows) so that results do not depend on it. `progress(done, total)` is called after
    every batch. Trajectories follow the first active circuit of each sample (with `dynamics`:
    the lowest-numbered circuit active at each layer).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} is not allowed: need batch_size >= 1")
    start_time = time.perf_counter()
    L, T, d = network.n_layers, network.n_circuits, circuits.d_circuit
    weights_t = [np.ascontiguousarray(w.T, dtype=dtype) for w in network.weights]
    biases = [network.bias_of(n).astype(dtype) for n in range(1, network.n_activation_layers + 1)]
    readouts = [Readout(network.positions[l], network.block_sizes, dtype) for l in range(L)]
    circuit_layer = {n: l for l, n in enumerate(network.readouts(), start=1)}
    offsets = block_offsets(network.block_sizes)
    metrics = StreamingMetrics(L, d)
    batch = -(-batch_size // CHUNK) * CHUNK
    n_traj = min(n_trajectories, inputs.n_samples)
    x_true_traj = np.zeros((n_traj, L + 1, 2))
    x_est_traj = np.zeros((n_traj, L + 1, 2))
    for lo in range(0, inputs.n_samples, batch):
        active = inputs.active[lo : lo + batch]
        bs = active.shape[0]
        x0 = np.stack([np.cos(inputs.phases[lo : lo + batch]), np.sin(inputs.phases[lo : lo + batch])], -1)
        a0 = circuits.encode(np.ones(active.shape), x0)
        truth = true_states(network, circuits, active, a0)
        A = embed_input(network, circuits, active, a0, batch, dtype)
        metrics.add_activity(0, A[:bs], offsets)
        k = max(0, min(n_traj - lo, bs))
        follow = active[:k, 0]
        x_true_traj[lo : lo + k, 0] = x0[:k, 0]
        x_est_traj[lo : lo + k, 0] = x0[:k, 0]
        np.maximum(A + biases[0], 0.0, out=A)
        for n in range(1, network.n_activation_layers + 1):
            if n >= 2:
                with np.errstate(invalid="ignore", over="ignore"):  # non-finite values are counted, not warned
                    A = A @ weights_t[n - 2]
                    A += biases[n - 1]
                    np.maximum(A, 0.0, out=A)
            if n not in circuit_layer:
                continue
            layer = circuit_layer[n]
            alpha_hat, x_hat = circuits.read(readouts[layer - 1](A[:bs]))
            metrics.add_layer(layer, alpha_hat, x_hat, *truth[layer])
            metrics.add_activity(layer, A[:bs], offsets)
            if k:
                x_true_traj[lo : lo + k, layer], follow = trajectory_truth(truth[layer], k, follow, network.dynamics is not None)
                x_est_traj[lo : lo + k, layer] = x_hat[np.arange(k), follow]
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
    )
