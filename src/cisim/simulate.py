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
    """A^0 (n_rows, D): active circuits' pre-activations w_t a_t^0 written at their layer-0 positions."""
    bs = active.shape[0]
    pre = np.einsum("bzij,bzj->bzi", circuits.weights(active), a0)  # (bs, z, d)
    A0 = np.zeros((n_rows, network.d_model), dtype=dtype)
    idx = network.positions[0][active]  # (bs, z, d, S)
    rows = np.broadcast_to(np.arange(bs)[:, None, None, None], idx.shape)
    np.add.at(A0, (rows, idx), np.broadcast_to(pre[..., None], idx.shape).astype(dtype))
    return A0


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
    all-zero rows, which stay zero) so that results do not depend on it. `progress(done, total)`
    is called after every batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} is not allowed: need batch_size >= 1")
    start_time = time.perf_counter()
    L, T, d = network.n_layers, network.n_circuits, circuits.d_circuit
    weights_t = [np.ascontiguousarray(w.T, dtype=dtype) for w in network.weights]
    bias = network.bias.astype(dtype)
    readouts = [Readout(network.positions[l], network.block_sizes, dtype) for l in range(L)]
    offsets = block_offsets(network.block_sizes)
    metrics = StreamingMetrics(L, d)
    batch = -(-batch_size // CHUNK) * CHUNK
    n_traj = min(n_trajectories, inputs.n_samples)
    x_true_traj = np.zeros((n_traj, L + 1, 2))
    x_est_traj = np.zeros((n_traj, L + 1, 2))
    for lo in range(0, inputs.n_samples, batch):
        active = inputs.active[lo : lo + batch]
        phases = inputs.phases[lo : lo + batch]
        bs = active.shape[0]
        x0 = np.stack([np.cos(phases), np.sin(phases)], -1)
        a0 = circuits.encode(np.ones(active.shape), x0)
        _, x_true = circuits.read(circuits.forward(active, a0, L))  # (L+1, bs, z, 2)
        A = embed_input(network, circuits, active, a0, batch, dtype)
        metrics.add_activity(0, A[:bs], offsets)
        rows = np.arange(bs)[:, None]
        inactive = np.ones((bs, T), dtype=bool)
        inactive[rows, active] = False
        k = max(0, min(n_traj - lo, bs))
        x_true_traj[lo : lo + k] = np.swapaxes(x_true[:, :k, 0], 0, 1)
        x_est_traj[lo : lo + k, 0] = x_true[0, :k, 0]
        np.maximum(A + bias, 0.0, out=A)
        for layer in range(1, L + 1):
            if layer >= 2:
                with np.errstate(invalid="ignore", over="ignore"):  # non-finite values are counted, not warned
                    A = A @ weights_t[layer - 2]
                    A += bias
                    np.maximum(A, 0.0, out=A)
            alpha_hat, x_hat = circuits.read(readouts[layer - 1](A[:bs]))
            metrics.add_layer(layer, x_true[layer], x_hat[rows, active], alpha_hat[rows, active], x_hat, alpha_hat, inactive)
            metrics.add_activity(layer, A[:bs], offsets)
            if k:
                x_est_traj[lo : lo + k, layer] = x_hat[np.arange(k), active[:k, 0]]
        metrics.n_samples += bs
        if progress is not None:
            progress(metrics.n_samples, inputs.n_samples)
    return Result(
        metrics.finalize(inputs.n_active, T, network.block_sizes),
        x_true_traj,
        x_est_traj,
        inputs.n_samples,
        readouts[0].strategy if readouts else "none",
        time.perf_counter() - start_time,
    )
