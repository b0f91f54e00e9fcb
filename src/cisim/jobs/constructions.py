"""The exact constructions' side of the constructions study (docs/constructions.md): the hashed
lanes verified by their exact forward pass, and every construction sized for each (z, ε).

`verification(conf)`: random ReLU circuits in k = 1, 2, 3 tables of hashed lanes; for sampled
active sets the decoded outputs are compared with the circuits' own forward pass. Rows per k:
whether the flag neurons fired exactly at the collisions, the largest error of the samples that
the combinatorial rule (`HashedLanes.failures`) calls clean and whether all of them are exact
(within `lanes.EXACT`), the failed fraction and the fraction of samples answered wrongly.

`sizing(conf)`: per construction, z and target per-sample failure probability ε, the cheapest
network (by dense parameters) that holds T circuits: no superposition, ping-pong (z = 1), named
lanes (exact), hashed lanes (k = 1 table) and multi-table lanes (the best k = 1..max_tables), each
with the fewest lanes m whose failure probability has a 95 % upper bound ≤ ε over
samples_per_error/ε uniformly random active sets, averaged over the balanced hashes
(`lanes.hash_averaged_failures`; for one table every balanced hash fails equally often); ε = 0 is
certified only where a collision is impossible: z = 1, or one circuit per lane.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..circuits import random_circuits
from ..construction import lanes as L


def _rng(conf: dict, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(conf["seed"]), *keys])


def verification(conf: dict) -> pd.DataFrame:
    T, m, z, n = (int(conf[k]) for k in ("verify_circuits", "verify_lanes", "verify_active", "verify_samples"))
    d, depth = int(conf["d_circuit"]), int(conf["n_layers"])
    circuits = random_circuits(T, d, depth, _rng(conf, 1))
    rows = []
    for k in (1, 2, 3):
        rng = _rng(conf, 2, k)
        lanes = L.draw_hashed_lanes(T, m, k, rng)
        active = L.random_active_sets(T, z, n, rng)
        h0 = rng.uniform(-1.0, 1.0, (n, z, d))
        out, flags = L.forward(L.lane_networks(circuits, lanes), lanes, active, h0)
        want = circuits.forward(active.ravel(), h0.reshape(-1, d))[-1].reshape(n, z, d)
        err = np.abs(out - want).max(-1).max(-1)  # (n,): worst circuit of each sample
        failed = lanes.failures(active)
        rows.append({"tables": k, "lanes": m, "n_circuits": T, "n_active": z, "samples": n,
                     "flags_match_collisions": bool(np.array_equal(flags > 0, lanes.collisions(active))),
                     "max_error_clean": float(err[~failed].max()) if (~failed).any() else 0.0,
                     "clean_exact": bool((err[~failed] < L.EXACT).all()),
                     "failed_fraction": float(failed.mean()), "wrong_fraction": float((err >= L.EXACT).mean()),
                     **L.cost("hashed_lanes", T, d, depth, z, k, m)})
    return pd.DataFrame(rows)


def _smallest_lanes(T: int, k: int, z: int, eps: float, n: int, conf: dict) -> tuple[int, int, int] | None:
    """(m, failed, samples) of the fewest lanes whose failure upper bound is ≤ ε (binary search over m;
    each m with its own seeded draws)."""
    def ok(m):
        failed = L.hash_averaged_failures(T, m, k, z, n, _rng(conf, 3, T, k, z, m, n))
        return L.upper_bound(failed, n) <= eps, failed

    good, failed = ok(T)
    if not good:
        return None
    lo, hi, best = 1, T, (T, failed)
    while lo < hi:
        mid = (lo + hi) // 2
        good, failed = ok(mid)
        if good:
            hi, best = mid, (mid, failed)
        else:
            lo = mid + 1
    return best[0], best[1], n


def _hashed(T: int, d: int, depth: int, z: int, eps: float, conf: dict) -> dict:
    """{k: row} of the fewest lanes per number of tables k that reach ε."""
    if z == 1 or eps == 0.0:  # certified without sampling: no collision is possible
        m = 1 if z == 1 else T
        return {1: {"tables": 1, "lanes": m, "failure": 0.0, "failure_upper": 0.0, "samples": 0, **L.cost("hashed_lanes", T, d, depth, z, 1, m)}}
    n = int(np.ceil(float(conf["samples_per_error"]) / eps))
    found = {}
    for k in range(1, int(conf["max_tables"]) + 1):
        hit = _smallest_lanes(T, k, z, eps, n, conf)
        if hit is not None:
            m, failed, samples = hit
            found[k] = {"tables": k, "lanes": m, "failure": failed / samples, "failure_upper": L.upper_bound(failed, samples),
                        "samples": samples, **L.cost("hashed_lanes", T, d, depth, z, k, m)}
    return found


def sizing(conf: dict) -> pd.DataFrame:
    """One row per (construction, z, ε): the cheapest network by dense parameters (module docstring)."""
    d, depth = int(conf["d_circuit"]), int(conf["n_layers"])
    exact = {"failure": 0.0, "failure_upper": 0.0, "samples": 0}
    rows = []
    for T, z in ((int(T), int(z)) for T in sorted(conf["n_circuits"]) for z in sorted(conf["n_active"])):
        for eps in sorted(float(e) for e in conf["errors"]):
            base = {"n_active": z, "error": eps, "n_circuits": T, "d_circuit": d, "n_layers": depth}
            rows.append({**base, "construction": "no_superposition", "tables": 0, "lanes": 0, **exact, **L.cost("no_superposition", T, d, depth)})
            if z == 1:
                rows.append({**base, "construction": "pingpong", "tables": 1, "lanes": 1, **exact, **L.cost("pingpong", T, d, depth)})
            rows.append({**base, "construction": "named_lanes", "tables": 1, "lanes": z, **exact, **L.cost("named_lanes", T, d, depth, z)})
            found = _hashed(T, d, depth, z, eps, conf)
            if 1 in found:
                rows.append({**base, "construction": "hashed_lanes", **found[1]})
            if found:
                rows.append({**base, "construction": "multi_table_lanes", **min(found.values(), key=lambda r: r["dense_parameters"])})
    return pd.DataFrame(rows)
