"""An independent float64 reference of the large network's input and read-out for tests:
sample-major activations (bs, D), plain numpy, none of cisim.simulate's tables or kernels."""

import numpy as np


def embedded_input(network, circuits, active, a0):
    """A^0 (bs, D): the active circuits' pre-activations w_t a_t^0 at their input positions
    (post eq 5.25); active (bs, z), a0 (bs, z, d)."""
    bs = active.shape[0]
    pre = np.einsum("bzij,bzj->bzi", circuits.weights(active), a0)  # (bs, z, d)
    A0 = np.zeros((bs, network.d_model))
    idx = network.input_embedding()[active]  # (bs, z, d, S)
    rows = np.broadcast_to(np.arange(bs)[:, None, None, None], idx.shape)
    np.add.at(A0, (rows, idx), np.broadcast_to(pre[..., None], idx.shape))
    return A0


def unembedded(positions, A):
    """â (bs, T, d): the mean of A (bs, D) over each small neuron's S positions (T, d, S) (post eq 5.30)."""
    return A[:, positions].mean(-1)
