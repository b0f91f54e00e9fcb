"""The prime-step arithmetic-progression allocation of Linsefors & Bushnaq (Rotations §5.4;
docs/method.md §4.2).

Circuit t gets the block positions i, i+a, ..., i+(S-1)a: an arithmetic progression (AP) of length
S = ``redundancy`` with step a. Steps are taken in the published generator order: every a with
a(S-1) < n that has no prime factor below S, each followed (for composite S only) by a*S, a*S**2, ...
Each step walks its residue classes r = 0, 1, ... (while r < a and r + a(S-1) < n) and cuts each
class into consecutive disjoint APs. Two circuits then share at most one block position.

The output equals the authors' ``comp_in_sup_assignment`` loop (docs/method.md §4.2) row by
row; it is deterministic and ignores ``rng``. S == 1 is round robin (circuit t -> t mod n), as in
the original. The capacity uses the closed-form count of docs/method.md §4.3
(557 at n=250, S=6), so it never replays the loop.

Returns int64 arrays of shape (n_circuits, redundancy), rows ascending.
"""

from collections.abc import Iterator

import numpy as np

from .primes import is_prime, primes_below

# S = 1 never puts two blocks of one circuit together, so nothing but memory limits T.
ROUND_ROBIN_CAPACITY = 2**31 - 1


def iter_steps(n_blocks: int, redundancy: int) -> Iterator[int]:
    """Allowed AP steps in the published order (docs/method.md §4.2); needs redundancy >= 2."""
    s = redundancy
    candidates = np.arange(1, (n_blocks - 1) // (s - 1) + 1)  # a(S-1) < n
    for p in primes_below(s):
        candidates = candidates[candidates % p != 0]
    composite = not is_prime(s)
    for a in candidates.tolist():
        yield a
        power = a * s
        while composite and power * (s - 1) < n_blocks:
            yield power
            power *= s


def _circuits_per_class(n_blocks: int, redundancy: int, step: int) -> np.ndarray:
    """Number of APs cut from each residue class r = 0, 1, ... of one step (B.4 inner sum)."""
    span = step * (redundancy - 1)
    r = np.arange(min(step, n_blocks - span))
    return (n_blocks - 1 - r - span) // (redundancy * step) + 1


def max_circuits_prime_step(n_blocks: int, redundancy: int) -> int:
    """Largest n_circuits the prime-step scheme can place (authors' ``maxT``)."""
    if redundancy == 1:
        return ROUND_ROBIN_CAPACITY
    steps = iter_steps(n_blocks, redundancy)
    return sum(int(_circuits_per_class(n_blocks, redundancy, a).sum()) for a in steps)


def assign_prime_step(
    n_circuits: int, n_blocks: int, redundancy: int, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Block positions of each circuit, int64 (n_circuits, redundancy). ``rng`` is ignored.

    Inputs are assumed valid (``cisim.allocation.assign`` checks them); asking for more circuits
    than ``max_circuits_prime_step`` raises ValueError.
    """
    if redundancy == 1:
        return (np.arange(n_circuits, dtype=np.int64) % n_blocks)[:, None]
    offsets = np.arange(redundancy, dtype=np.int64)
    starts, steps, placed = [], [], 0
    for a in iter_steps(n_blocks, redundancy):
        counts = _circuits_per_class(n_blocks, redundancy, a)
        # loop order: residue class r first, then position j inside the class
        r = np.repeat(np.arange(counts.size), counts)
        j = np.arange(r.size) - np.repeat(np.cumsum(counts) - counts, counts)
        take = min(r.size, n_circuits - placed)
        starts.append(r[:take] + j[:take] * redundancy * a)
        steps.append(np.full(take, a))
        placed += take
        if placed == n_circuits:
            start, step = np.concatenate(starts), np.concatenate(steps)
            return (start[:, None] + step[:, None] * offsets).astype(np.int64)
    raise ValueError(
        f"prime_step places at most {placed} circuits at n_blocks={n_blocks}, "
        f"redundancy={redundancy}; n_circuits={n_circuits} was requested"
    )
