"""Computed activity (docs/cross_circuit.md §4–5, docs/benchmarks.md): what the branching routing costs
against the same circuits with static activity (build and run time, one core), and whether its wrong
decisions come from the circuit's undecided band or from read-out noise (the passed-over children read
as on, for decision gains G whose bands (2/π)·arcsin(1/(2G)) differ 16-fold). Usage:
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/computed_activity.py
"""

import time

import numpy as np

from cisim import construction, simulate
from machine import describe, load_average


def network(D, T, routing, gain=4.0):
    spec = construction.NetworkSpec(d_model=D, n_circuits=T, redundancy=6, n_layers=4, allocation="transversal",
                                    design="computed_activity", design_options={"routing": routing, "decision_gain": gain})
    return construction.build(spec, 0)


print(describe(), f"load {load_average()}")
for routing in ("branch", "static"):  # cost: D = 4800, T = 3000, z = 2, 1000 samples
    t0 = time.perf_counter()
    circuits, net = network(4800, 3000, routing)
    t1 = time.perf_counter()
    simulate.run(net, circuits, simulate.sample_inputs(3000, 2, 1000, np.random.default_rng(2)))
    print(f"{routing}: build {t1 - t0:.1f} s, run {time.perf_counter() - t1:.1f} s")
for G in (4.0, 16.0, 64.0):  # D = 2400, z = 1, 2000 samples, last layer
    for T in (200, 800):
        circuits, net = network(2400, T, "branch", G)
        m = simulate.run(net, circuits, simulate.sample_inputs(T, 1, 2000, np.random.default_rng(1))).metrics
        print(f"G = {G:g} (band {2 / np.pi * np.arcsin(1 / (2 * G)):.3f}), T = {T}: passed-over read on "
              f"{m['decision_false_on_rate'][-1]:.4f}, false-off {m['false_off_rate'][-1]:.4f}")
