"""Large-network designs: how T small circuits are embedded into one ReLU MLP of width D.

Every design is a sibling with one contract, registered in `DESIGNS`:

    blocks(spec) -> dict[str, int]                               n_blocks each allocation may use
    allocate(spec, rng) -> dict[str, int ndarray (T, S)]        which neurons each circuit may use
    build(spec, allocations, rngs) -> (circuits, Network)        the circuits and the large network

Allocations are produced by the pipeline's `allocate` rule and stored; `build` is deterministic
given them and the seed's random streams (`cisim.seeds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from ..seeds import streams
from .baseline import allocate_baseline, blocks_baseline, build_baseline
from .network import Network
from .weights import CHI_CONVENTIONS, check_chi_convention


class Design(NamedTuple):
    blocks: Callable  # spec -> {allocation name: n_blocks}; raises ValueError for infeasible sizes
    allocate: Callable  # (spec, rng) -> {allocation name: int ndarray (T, S)}
    build: Callable  # (spec, allocations, rngs) -> (circuits, Network)
    summary: str


DESIGNS = {
    "baseline": Design(blocks_baseline, allocate_baseline, build_baseline, "the post's construction: d = 4, shared positions, capped 𝒲"),
}
# The alternative designs (docs/designs.md, docs/cross_circuit.md), registered after the baseline.
from .cross_circuit import DESIGN as _CROSS_CIRCUIT; DESIGNS["cross_circuit"] = Design(*_CROSS_CIRCUIT)  # noqa: E402,E702
from .redundant_indicators import DESIGN as _RI; DESIGNS["redundant_indicators"] = Design(*_RI)  # noqa: E402,E702
from .indicator_share import DESIGN as _IS; DESIGNS["indicator_share"] = Design(*_IS)  # noqa: E402,E702
from .carried_indicators import DESIGN as _CI; DESIGNS["carried_indicators"] = Design(*_CI)  # noqa: E402,E702
from .indicator_cleanup import DESIGN as _IC; DESIGNS["indicator_cleanup"] = Design(*_IC)  # noqa: E402,E702


@dataclass(frozen=True)
class NetworkSpec:
    """One large network (glossary: D, T, S, L in the post) and its design."""

    d_model: int  # D, neurons per layer
    n_circuits: int  # T
    redundancy: int  # S, large neurons per small-circuit neuron
    n_layers: int  # L, weight layers (activations 0..L)
    design: str = "baseline"
    design_options: dict = field(default_factory=dict)
    allocation: str = "prime_step"
    allocation_options: dict = field(default_factory=dict)
    chi_scale: float = 1.0  # multiplies the suppression constant χ
    chi_convention: str = "post"  # χ balances pairs t ≠ u (post eq 5.24) or t < u (published code); docs/reproduction.md

    def __post_init__(self):
        check_chi_convention(self.chi_convention)

    @classmethod
    def from_point(cls, p: dict) -> "NetworkSpec":
        """The spec of a simulation point (a dict of `cisim.config.expand_points`, or the subset an
        allocation job receives: χ does not change an allocation, so its keys may be absent)."""
        keys = ("d_model", "n_circuits", "redundancy", "n_layers", "design", "design_options", "allocation", "allocation_options")
        return cls(**{k: p[k] for k in keys}, chi_scale=p.get("chi_scale", 1.0), chi_convention=p.get("chi_convention", "post"))

    def n_blocks(self, d_circuit: int) -> int:
        """D/d, checked: D must be a multiple of the circuit width."""
        if self.d_model % d_circuit:
            raise ValueError(
                f"d_model={self.d_model} is not allowed: it must be a multiple of the circuit width d_circuit={d_circuit}"
            )
        return self.d_model // d_circuit


def get_design(name: str) -> Design:
    if name not in DESIGNS:
        raise ValueError(f"design.name={name!r} is unknown; choose one of: {', '.join(sorted(DESIGNS))}")
    return DESIGNS[name]


def allocate(spec: NetworkSpec, seed: int) -> dict:
    """The allocations `spec.design` needs, deterministic given `seed`."""
    return get_design(spec.design).allocate(spec, streams(seed).allocation)


def build(spec: NetworkSpec, seed: int, allocations: dict | None = None):
    """(circuits, network) for `spec`, deterministic given `seed` (and the allocations)."""
    design = get_design(spec.design)
    rngs = streams(seed)
    if allocations is None:
        allocations = design.allocate(spec, rngs.allocation)
    return design.build(spec, allocations, rngs)


__all__ = ["CHI_CONVENTIONS", "DESIGNS", "Design", "Network", "NetworkSpec", "allocate", "build", "get_design"]
