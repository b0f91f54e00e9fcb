"""Closed-form small-noise predictions (post §6, eqs 6.3, 6.42, 6.43, 6.55, 6.57).

Valid only while no ReLU changes regime; the post reports measured errors exceeding them once
noise grows (the "seizure"). Symbols: D = d_model, d = d_circuit, T = n_circuits,
S = redundancy, z = n_active, l = layer.
"""

from __future__ import annotations

import numpy as np


def epsilon(d_model, n_circuits, redundancy, d_circuit: int = 4):
    """ε = d/D − 1/(S·T) ≈ E_{u≠t}[((1/S)⟨e_t|e_u⟩)²] (post eq 6.3)."""
    return d_circuit / np.asarray(d_model, dtype=float) - 1.0 / (np.asarray(redundancy) * np.asarray(n_circuits, dtype=float))


def mse_inactive(d_model, n_circuits, redundancy, n_active, d_circuit: int = 4):
    """E(δα)² = E‖δx‖² = z·ε for inactive circuits, at every layer (eqs 6.43, 6.57)."""
    return np.asarray(n_active) * epsilon(d_model, n_circuits, redundancy, d_circuit)


def mse_x_active(d_model, n_circuits, redundancy, n_active, layer, d_circuit: int = 4):
    """E‖δx‖² = (l−1)·T·ε²·(z + 8(z−1)) + 9·l·ε·(z−1) for active circuits (eq 6.55)."""
    eps = epsilon(d_model, n_circuits, redundancy, d_circuit)
    z, l, T = np.asarray(n_active), np.asarray(layer), np.asarray(n_circuits, dtype=float)
    return (l - 1) * T * eps**2 * (z + 8 * (z - 1)) + 9 * l * eps * (z - 1)


def mse_alpha_active(d_model, n_circuits, redundancy, n_active, layer, d_circuit: int = 4):
    """E(δα)² = 0 for active circuits: errors on a0 and a1 are equal and cancel (eq 6.42)."""
    return np.zeros(np.broadcast_shapes(np.shape(d_model), np.shape(n_circuits), np.shape(n_active), np.shape(layer)))


def superposition_load(d_model, n_circuits, d_circuit: int = 4):
    """T·(d/D)²: circuit parameters per layer over network parameters per layer (post §4)."""
    return np.asarray(n_circuits, dtype=float) * (d_circuit / np.asarray(d_model, dtype=float)) ** 2


def expected_active_fraction(d_model, redundancy, n_active, d_circuit: int = 4):
    """z·S·d/D: fraction of large neurons an exact embedding switches on (Fig 7's dashed line)."""
    return np.asarray(n_active) * np.asarray(redundancy) * d_circuit / np.asarray(d_model, dtype=float)
