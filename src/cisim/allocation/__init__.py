"""Allocations: which of the n_blocks = D/d neuron blocks each small circuit uses.

The large network's D neurons form d blocks of n_blocks neurons; circuit t uses the same S =
``redundancy`` positions in every block. An allocation is an int64 ndarray of shape
(n_circuits, redundancy), each row ascending with distinct entries in [0, n_blocks).
The designs aim at "any two circuits share at most one position" (Rotations §5.4, eqs 5.21–5.22), a packing
of pairs bounded by ``pair_bound`` and ``johnson_bound`` (docs/method.md §4.1).

Every design is one module with the same contract, registered in ``ALLOCATORS``:

    assign_<name>(n_circuits, n_blocks, redundancy, rng, **options) -> int64 (n_circuits, redundancy)
    max_circuits_<name>(n_blocks, redundancy, **options) -> int

``assign`` and ``capacity`` are the checked entry points: they validate every input with one-line
messages and raise ``CapacityError`` above a design's capacity. The per-module functions assume
valid inputs.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .checks import (
    load_spread,
    max_pairwise_overlap,
    mean_squared_overlap,
    mean_squared_overlap_formula,
    overlap_histogram,
    summarize,
)
from .prime_step import assign_prime_step, max_circuits_prime_step
from .random_subsets import assign_random_subsets, max_circuits_random_subsets
from .transversal import assign_transversal, max_circuits_transversal

__all__ = [
    "ALLOCATORS",
    "Allocator",
    "CapacityError",
    "assign",
    "capacity",
    "johnson_bound",
    "pair_bound",
    "load_spread",
    "max_pairwise_overlap",
    "mean_squared_overlap",
    "mean_squared_overlap_formula",
    "overlap_histogram",
    "summarize",
]


class CapacityError(ValueError):
    """More circuits were requested than an allocator can place."""


@dataclass(frozen=True)
class Allocator:
    """One registered design: its two contract functions and a one-line description."""

    assign: Callable[..., np.ndarray]
    max_circuits: Callable[..., int]
    description: str

    @property
    def options(self) -> tuple[str, ...]:
        """Names of the design's keyword-only options (``allocation.<option>`` in the config)."""
        params = inspect.signature(self.assign).parameters.values()
        return tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


ALLOCATORS: dict[str, Allocator] = {
    "prime_step": Allocator(
        assign_prime_step,
        max_circuits_prime_step,
        "Linsefors-Bushnaq prime-step arithmetic progressions (Rotations baseline; 557 at n=250, S=6)",
    ),
    "random_subsets": Allocator(
        assign_random_subsets,
        max_circuits_random_subsets,
        "uniformly random S-subsets from the caller's rng; overlaps above one allowed",
    ),
    "transversal": Allocator(
        assign_transversal,
        max_circuits_transversal,
        "transversal design TD(S, q) over GF(q), optional greedy completion (default design)",
    ),
}


def _show(value) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _lookup(name: str) -> Allocator:
    if not isinstance(name, str) or name not in ALLOCATORS:
        choices = ", ".join(sorted(ALLOCATORS))
        raise ValueError(f"allocation.name={_show(name)} is unknown; choose one of: {choices}")
    return ALLOCATORS[name]


def _check_sizes(n_blocks, redundancy, min_redundancy: int = 1) -> tuple[int, int]:
    if not _is_int(n_blocks) or n_blocks < 1:
        raise ValueError(f"n_blocks={_show(n_blocks)} is not allowed: need an integer n_blocks >= 1")
    if not _is_int(redundancy) or not min_redundancy <= redundancy <= n_blocks:
        raise ValueError(
            f"redundancy={_show(redundancy)} is not allowed: need {min_redundancy} <= redundancy "
            f"<= n_blocks (n_blocks={n_blocks})"
        )
    return int(n_blocks), int(redundancy)


def _check_options(name: str, allocator: Allocator, options: dict) -> None:
    for key, value in options.items():
        if key not in allocator.options:
            allowed = ", ".join(allocator.options) or "none"
            raise ValueError(
                f"allocation.{key}={_show(value)} is not an option of allocation '{name}'; "
                f"allowed options: {allowed}"
            )


def capacity(name: str, n_blocks: int, redundancy: int, **options) -> int:
    """Largest n_circuits that design ``name`` can place at (n_blocks, redundancy, options)."""
    allocator = _lookup(name)
    n_blocks, redundancy = _check_sizes(n_blocks, redundancy)
    _check_options(name, allocator, options)
    return int(allocator.max_circuits(n_blocks, redundancy, **options))


def assign(
    name: str, n_circuits: int, n_blocks: int, redundancy: int, rng: np.random.Generator, **options
) -> np.ndarray:
    """Block positions of each circuit under design ``name``, int64 (n_circuits, redundancy).

    Raises ValueError (one line naming the key, the value and what is allowed) on bad inputs and
    CapacityError when n_circuits exceeds ``capacity(name, n_blocks, redundancy, **options)``.
    """
    allocator = _lookup(name)
    n_blocks, redundancy = _check_sizes(n_blocks, redundancy)
    if not _is_int(n_circuits) or n_circuits < 1:
        raise ValueError(f"n_circuits={_show(n_circuits)} is not allowed: need an integer n_circuits >= 1")
    _check_options(name, allocator, options)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng={_show(rng)} is not allowed: need a numpy.random.Generator, "
            "e.g. numpy.random.default_rng(seed)"
        )
    limit = int(allocator.max_circuits(n_blocks, redundancy, **options))
    if n_circuits > limit:
        given = "".join(f", {key}={_show(value)}" for key, value in options.items())
        raise CapacityError(
            f"allocation '{name}' places at most {limit} circuits at n_blocks={n_blocks}, "
            f"redundancy={redundancy}{given}; n_circuits={n_circuits} was requested"
        )
    return np.asarray(allocator.assign(int(n_circuits), n_blocks, redundancy, rng, **options), dtype=np.int64)


def pair_bound(n_blocks: int, redundancy: int) -> int:
    """floor(n(n-1) / (S(S-1))): each circuit uses C(S,2) position pairs and none may repeat (docs/method.md §4.1)."""
    n, s = _check_sizes(n_blocks, redundancy, min_redundancy=2)
    return n * (n - 1) // (s * (s - 1))


def johnson_bound(n_blocks: int, redundancy: int) -> int:
    """floor((n/S) floor((n-1)/(S-1))): a position lies on <= floor((n-1)/(S-1)) circuits (docs/method.md §4.1)."""
    n, s = _check_sizes(n_blocks, redundancy, min_redundancy=2)
    return n * ((n - 1) // (s - 1)) // s
