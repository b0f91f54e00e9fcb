"""Arithmetic in the finite field GF(q), q = p**m a prime power, for the transversal design.

Elements are coded as integers 0..q-1: the code c = sum_k c_k p**k stands for the polynomial
sum_k c_k x**k over GF(p), reduced modulo a monic degree-m polynomial f. For prime q this is plain
arithmetic mod q. ``add`` and ``mul`` take integer arrays of codes (any broadcastable shapes) and
return int64 arrays of codes.

Multiplication uses exp/log tables (length q-1 and q) of the element x. The search for f keeps the
first candidate for which x has multiplicative order q-1 (a primitive polynomial); that alone
proves f irreducible, because then every non-zero residue is a power of x and hence invertible.

Used by the transversal design (docs/method.md §4.4); numpy only.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .primes import factorize


def is_prime_power(q: int) -> bool:
    """True if q = p**m for a prime p and m >= 1."""
    return int(q) >= 2 and len(factorize(q)) == 1


def _powers_of_x(p: int, m: int, low: tuple[int, ...]) -> list[int] | None:
    """Codes of x**0 .. x**(q-2) modulo f = x**m + sum_k low[k] x**k, or None if x is not primitive."""
    q = p**m
    weights = [p**k for k in range(m)]
    digits = [1] + [0] * (m - 1)
    codes = []
    for k in range(q - 1):
        code = sum(d * w for d, w in zip(digits, weights))
        if k > 0 and code == 1:
            return None  # order of x is below q-1
        codes.append(code)
        top = digits[-1]
        digits = [0] + digits[:-1]
        digits = [(d - top * c) % p for d, c in zip(digits, low)]
    return codes if digits == [1] + [0] * (m - 1) else None


@dataclass(frozen=True)
class GaloisField:
    """GF(q) with q = p**m; ``exp``/``log`` are None for prime q (arithmetic mod q)."""

    q: int
    p: int
    m: int
    exp: np.ndarray | None  # int64 (q-1,): code of x**k
    log: np.ndarray | None  # int64 (q,): k with x**k == code; log[0] is unused

    def add(self, u, v) -> np.ndarray:
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        if self.m == 1:
            return (u + v) % self.q
        total = np.zeros(np.broadcast_shapes(u.shape, v.shape), dtype=np.int64)
        for k in range(self.m):
            w = self.p**k
            total += ((u // w + v // w) % self.p) * w
        return total

    def mul(self, u, v) -> np.ndarray:
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        if self.m == 1:
            return (u * v) % self.q
        prod = self.exp[(self.log[u] + self.log[v]) % (self.q - 1)]
        return np.where((u == 0) | (v == 0), 0, prod)


@lru_cache(maxsize=64)
def galois_field(q: int) -> GaloisField:
    """The field GF(q); raises ValueError if q is not a prime power."""
    if not is_prime_power(q):
        raise ValueError(f"q={q!r} is not allowed: need a prime power")
    ((p, m),) = factorize(q).items()
    if m == 1:
        return GaloisField(q=int(q), p=int(p), m=1, exp=None, log=None)
    for lower in range(1, q):  # lower coefficients of f in base p; constant term must be non-zero
        low = tuple((lower // p**k) % p for k in range(m))
        codes = _powers_of_x(p, m, low) if low[0] else None
        if codes is not None:
            exp = np.array(codes, dtype=np.int64)
            log = np.zeros(q, dtype=np.int64)
            log[exp] = np.arange(q - 1)
            return GaloisField(q=int(q), p=int(p), m=int(m), exp=exp, log=log)
    raise AssertionError(f"no primitive polynomial found for q={q}")  # impossible for prime powers
