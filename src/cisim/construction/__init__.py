"""Large-network designs: how T small circuits are embedded into one ReLU MLP of width D.

Every design is one module exporting `Options` (its config node, conf/design/<name>.yaml) and
`DESIGN`, a `Design` record registered in `DESIGNS` under `Options.name`:

    blocks(spec) -> dict[str, int]                               n_blocks each allocation may use
    allocate(spec, rng) -> dict[str, int ndarray (T, S)]        which neurons each circuit may use
    build(spec, allocations, rngs) -> (circuits, Network)        the circuits and the large network
    accounting(spec) -> dict                                     neurons_per_layer, depth, computing_layers,
                                                                 neurons, parameters of the built network

Allocations are produced by the pipeline's `allocate` rule and stored; `build` is deterministic
given them and the seed's random streams (`cisim.seeds`). Shared parts: `network` (NetworkSpec,
Design, Network, assembly), `layout` (blocks, positions, permutations, pools), `capped` (the capped
weights and χ). docs/designs.md and docs/cross_circuit.md describe the alternative designs.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..seeds import streams
from .capped import CHI_CONVENTIONS
from .network import Design, Network, NetworkSpec

# A design is a module of this package that exports DESIGN: adding one is a module and its YAML.
# (`cisim.sources` counts every module of a package that lists itself with pkgutil.iter_modules
# as imported by it, so the rules' code inputs still follow every design.)
_MODULES = [importlib.import_module(f"{__name__}.{m.name}") for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)]
DESIGNS: dict[str, Design] = {m.DESIGN.name: m.DESIGN for m in _MODULES if isinstance(getattr(m, "DESIGN", None), Design)}


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
