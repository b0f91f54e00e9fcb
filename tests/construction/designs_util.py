"""Helpers shared by the indicator-design tests: specs and hand-built layer states."""

import numpy as np

from cisim import construction

DEFAULT_OPTIONS = {
    "redundant_indicators": {"k": 3, "embedding": "independent"},
    "indicator_share": {"fraction": 0.6, "redundancy_on": None},
    "carried_indicators": {"fraction": 0.6},
    "indicator_cleanup": {"every": 1},
    "indicator_correction": {"every": 1},
}


def spec(design="baseline", options=None, **kw):
    base = dict(d_model=480, n_circuits=40, redundancy=4, n_layers=3, allocation="transversal", design=design,
                design_options=DEFAULT_OPTIONS.get(design, {}) if options is None else options)
    base.update(kw)
    return construction.NetworkSpec(**base)


def disjoint_spec(design="baseline", options=None, **kw):
    """T·S ≤ smallest pool: the prime-step allocation is disjoint, nothing interferes."""
    return spec(design, options, **{"n_circuits": 10, "redundancy": 4, "allocation": "prime_step", **kw})


def layer1_state(circuits, network, active, phases):
    """A^1 (D,) by hand for one sample: active circuits' exact layer-1 states at their input
    positions (valid when no two active circuits share a neuron)."""
    A = np.zeros(network.d_model)
    x0 = np.stack([np.cos(phases), np.sin(phases)], -1)
    a1 = circuits.forward(np.asarray(active), circuits.encode(np.ones(len(active)), x0), 1)[1]
    pos = network.input_embedding()[np.asarray(active)]  # (z, d, S)
    for t in range(len(active)):
        for i in range(circuits.d_circuit):
            A[np.unique(pos[t, i])] += a1[t, i]
    return A


def read(network, circuits, A, layer):
    """Every circuit's (α̂, x̂) from activations A (D,) in the embedding of circuit layer `layer`."""
    pos = network.positions[layer - 1]
    return circuits.read(A[pos].mean(-1))


def tiny_sweep_overrides(design: str) -> list[str]:
    """Overrides that fit the tiny study's sweep to `design`'s circuit width: D = 400 holds the
    d = 4 and d = 8 designs, the width-6 branching circuits (computed_activity*) need D = 480."""
    if design.startswith("computed_activity"):
        return ["sweep.grids.main.pairs=[[480,40]]", "sweep.grids.scaling.pairs=[[480,20],[480,40]]"]
    return []
