"""Independent random streams, one per purpose, from one integer seed.

Seeds are data: every stochastic function takes a `np.random.Generator`, and the pipeline
derives them here so that, e.g., changing the allocation does not change the circuits' angles
or the sampled inputs. Random numbers are always drawn on the host (numpy PCG64), so a seed
gives the same numbers on every array backend.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Streams(NamedTuple):
    circuits: np.random.Generator  # rotation angles θ_t
    allocation: np.random.Generator  # random allocators only
    layers: np.random.Generator  # per-layer permutations of the embedding
    inputs: np.random.Generator  # active sets and initial phases


def streams(seed: int) -> Streams:
    """Four independent PCG64 generators spawned from `seed`."""
    return Streams(*(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)))
