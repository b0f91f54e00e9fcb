"""Primes for the allocators: trial division, exact for the small integers they need (n < 10⁹).

The prime-step allocator skips steps with a prime factor below S (construction rules of the
post's earlier CiS paper, reproduced in `prime_step`); the transversal design needs q = p**m.
"""

from __future__ import annotations


def factorize(n: int) -> dict[int, int]:
    """{prime: exponent} of n >= 1 (empty for 1)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n={n} is not allowed: need n >= 1")
    out: dict[int, int] = {}
    p = 2
    while p * p <= n:
        while n % p == 0:
            out[p] = out.get(p, 0) + 1
            n //= p
        p += 1 if p == 2 else 2
    if n > 1:
        out[n] = out.get(n, 0) + 1
    return out


def is_prime(n: int) -> bool:
    return int(n) >= 2 and factorize(n) == {int(n): 1}


def primes_below(n: int) -> list[int]:
    """Primes p with 2 <= p < n."""
    return [p for p in range(2, int(n)) if is_prime(p)]
