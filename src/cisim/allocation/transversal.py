"""Transversal design TD(S, q) over GF(q): the default allocation (docs/method.md §4.4).

Points are pairs (x, y) with x in 0..S-1 (S = ``redundancy``) and y in GF(q); point (x, y) is block
position x*q + y, so the design uses the first S*q of the n = ``n_blocks`` positions. Circuit
(a, b), for a, b in GF(q), gets the points (x, a*x + b), x = 0..S-1. Two circuits agree at no more
than one x because (a - a')x = b' - b has at most one solution, so they share at most one position.

Circuits are numbered slope-major, t = a*q + b, so every run of q consecutive circuits is a parallel
class that covers each of the S*q points exactly once: a whole number of classes gives equal loads.

``completion=True`` appends more circuits after the q**2 design circuits. The design already covers
every pair of points from different groups {x} x GF(q), so extra circuits live inside one group
plus the n - S*q leftover positions. A randomized greedy picks them (grow a clique in the graph of
still-unused pairs). Its randomness comes from a fixed internal seed of the standard library's
``random.random`` (a stream Python guarantees across versions), never from the caller's rng: the
capacity is then a pure function of (n_blocks, redundancy, q). It takes seconds up to n_blocks ~
2000 and grows roughly like (n_blocks / S)**3.

Returns int64 arrays of shape (n_circuits, redundancy), rows ascending.
"""

import random
from functools import lru_cache

import numpy as np

from .galois_field import galois_field, is_prime_power

_COMPLETION_SEED = 0


def default_q(n_blocks: int, redundancy: int) -> int | None:
    """Largest prime power q with redundancy <= q <= n_blocks // redundancy, or None."""
    for q in range(n_blocks // redundancy, max(redundancy, 2) - 1, -1):
        if is_prime_power(q):
            return q
    return None


def resolve_q(n_blocks: int, redundancy: int, q: int | None) -> int | None:
    """The field size to use: ``q`` after validation, or ``default_q`` when it is None."""
    if q is None:
        return default_q(n_blocks, redundancy)
    top = n_blocks // redundancy
    valid = isinstance(q, (int, np.integer)) and not isinstance(q, bool) and is_prime_power(q)
    if not (valid and redundancy <= q <= top):
        raise ValueError(
            f"allocation.q={q!r} is not allowed: need a prime power with redundancy <= q <= "
            f"n_blocks // redundancy, i.e. {redundancy} <= q <= {top} "
            f"(n_blocks={n_blocks}, redundancy={redundancy})"
        )
    return int(q)


def design_blocks(q: int, redundancy: int, n_circuits: int) -> np.ndarray:
    """The first n_circuits blocks of TD(redundancy, q) in slope-major order, int64 (n_circuits, S)."""
    field = galois_field(q)
    t = np.arange(n_circuits, dtype=np.int64)
    a, b = t // q, t % q
    x = np.arange(redundancy, dtype=np.int64)
    y = field.add(field.mul(a[:, None], x[None, :]), b[:, None])
    return x * q + y


def _grow_cliques(free: np.ndarray, size: int, draw) -> list[list[int]]:
    """Greedily take cliques of ``size`` from the graph ``free`` (bool, symmetric), removing their edges."""
    cliques = []
    found = True
    while found:
        found = False
        order = sorted(range(free.shape[0]), key=lambda _: draw())
        for v in order:
            while True:
                clique, candidates = [v], free[v].copy()
                while len(clique) < size:
                    idx = np.flatnonzero(candidates)
                    if idx.size < size - len(clique):
                        break
                    u = int(idx[int(draw() * idx.size)])
                    clique.append(u)
                    candidates &= free[u]
                if len(clique) < size:
                    break
                members = np.array(clique)
                free[np.ix_(members, members)] = False
                cliques.append(clique)
                found = True
    return cliques


@lru_cache(maxsize=32)
def completion_blocks(n_blocks: int, redundancy: int, q: int) -> np.ndarray:
    """Greedy extra circuits after the full TD(redundancy, q), int64 (n_extra, S), read-only."""
    s, n_left = redundancy, n_blocks - redundancy * q
    if s < 2:
        return np.zeros((0, s), dtype=np.int64)  # no pairs to protect: nothing to complete
    draw = random.Random(_COMPLETION_SEED).random
    # Leftover-leftover pairs are the only ones shared by the groups, so they carry over.
    left_free = ~np.eye(n_left, dtype=bool)
    blocks = []
    for x in range(s):
        free = ~np.eye(q + n_left, dtype=bool)
        free[q:, q:] = left_free
        position = np.concatenate([x * q + np.arange(q), s * q + np.arange(n_left)])
        blocks += [np.sort(position[c]) for c in _grow_cliques(free, s, draw)]
        left_free = free[q:, q:].copy()
    out = np.array(blocks, dtype=np.int64).reshape(-1, s)
    out.flags.writeable = False
    return out


def max_circuits_transversal(
    n_blocks: int, redundancy: int, *, q: int | None = None, completion: bool = False
) -> int:
    """q**2 design circuits, plus the greedy completion if requested; 0 if no valid q exists."""
    if not isinstance(completion, (bool, np.bool_)):
        raise ValueError(f"allocation.completion={completion!r} is not allowed: need True or False")
    q = resolve_q(n_blocks, redundancy, q)
    if q is None:
        return 0
    extra = completion_blocks(n_blocks, redundancy, q).shape[0] if completion else 0
    return q * q + extra


def assign_transversal(
    n_circuits: int,
    n_blocks: int,
    redundancy: int,
    rng: np.random.Generator | None = None,
    *,
    q: int | None = None,
    completion: bool = False,
) -> np.ndarray:
    """Block positions of each circuit, int64 (n_circuits, redundancy). ``rng`` is ignored.

    Inputs are assumed valid (``cisim.allocation.assign`` checks them); asking for more circuits
    than ``max_circuits_transversal`` raises ValueError.
    """
    q = resolve_q(n_blocks, redundancy, q)
    limit = max_circuits_transversal(n_blocks, redundancy, q=q, completion=completion) if q else 0
    if n_circuits > limit:
        raise ValueError(
            f"transversal places at most {limit} circuits at n_blocks={n_blocks}, "
            f"redundancy={redundancy}; n_circuits={n_circuits} was requested"
        )
    n_design = min(n_circuits, q * q)
    parts = [design_blocks(q, redundancy, n_design)]
    if n_circuits > n_design:
        parts.append(completion_blocks(n_blocks, redundancy, q)[: n_circuits - n_design])
    return np.concatenate(parts).astype(np.int64)
