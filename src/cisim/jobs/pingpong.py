"""What one `pingpong_case` job computes: build one ping-pong network (`cisim.construction.pingpong`),
verify every circuit at z = 1, and measure what z = 2 does to it; and which cases a study runs.

`verify_all` runs each of the T = (D/d)² circuits once as the active circuit, batched, through
the network's forward pass, and compares the destination group of every layer with the
circuit's own forward pass; every other compute group must be exactly 0 ("leakage").

`pair_breakage` runs two circuits at once. Ordered pairs fall into four sharing classes
(`construction.pingpong.categorize`, exact prevalences); each class is sampled uniformly (all
pairs when there are few), and the error of circuit t's read-out against its own forward pass is
recorded at the last layer. docs/cross_circuit.md §3.

Seeding: a case's circuits, verification inputs and sampled pairs come from three streams of
SeedSequence([seed, D, d, L]), so every case of a study has its own circuits.
"""

from __future__ import annotations

import time

import numpy as np

from ..circuits import ReLUCircuits, RotationCircuits, random_circuits, rotation_relu_circuits
from ..construction.pingpong import CATEGORIES, EXACT, PingPong, build, categorize, group_of, multi_inputs, prevalence, single_inputs

ROTATION_INPUT_BOUND = 2.0  # a^0 = (1.5, 0.5, x + 1) with |x_i| ≤ 1
RANDOM_INPUT_BOUND = 1.0  # h^0 ~ U[−1, 1]^d


# ---------------------------------------------------------------- the study's cases
def case_label(case: dict) -> str:
    return f"{case['family']}-D{case['d_model']}-d{case['d_circuit']}-L{case['n_layers']}"


def cases(pingpong: dict, d_models) -> dict:
    """{label: case} of a study's ping-pong cases from its config node `pingpong` (cisim.config
    `PingPongConf`): one case per `random` [D, d] pair (family "random": seeded generic ReLU
    circuits), and, if `rotation`, one d = 4 rotation case at every D of `d_models` (the sweep's
    D values, so the page compares with the simulated baseline at equal D) divisible by 4.
    A case: family, d_model, d_circuit, n_layers, seed, pairs_per_category, masks. {} when the
    study has none."""
    common = {"n_layers": pingpong["n_layers"], "seed": pingpong["seed"],
              "pairs_per_category": pingpong["pairs_per_category"], "masks": list(pingpong["masks"])}
    out = [{"family": "random", "d_model": int(D), "d_circuit": int(d), **common} for D, d in pingpong["random"]]
    if pingpong["rotation"]:
        out += [{"family": "rotation", "d_model": int(D), "d_circuit": 4, **common} for D in sorted(set(d_models)) if D % 4 == 0]
    for c in out:
        if c["d_model"] % c["d_circuit"]:
            raise ValueError(f"ping-pong case {case_label(c)}: D must be a multiple of d")
    return {case_label(c): c for c in out}


# ---------------------------------------------------------------- z = 1
def circuit_inputs(family: str, circuits: np.ndarray, rng: np.random.Generator, d_circuit: int) -> np.ndarray:
    """h0 (..., d) for circuits of shape (...): U[−1, 1]^d for generic circuits; the post's
    a^0 = (1.5, 0.5, x + 1) with x = (cos φ, sin φ) for the rotation circuits."""
    shape = np.shape(circuits)
    if family == "rotation":
        phi = rng.uniform(0.0, 2.0 * np.pi, shape)
        return RotationCircuits(np.zeros(1)).encode(np.ones(shape), np.stack([np.cos(phi), np.sin(phi)], -1))
    return rng.uniform(-1.0, 1.0, (*shape, d_circuit))


def verify_all(net: PingPong, circuits: ReLUCircuits, family: str, rng: np.random.Generator, batch: int | None = None) -> dict:
    """Every circuit once as the active one. Returns per-layer max |error| and max leakage
    (float64 arrays (L + 1,)), the z = 1 aliasing of inactive read-outs, and the time."""
    start = time.perf_counter()
    T, L, n, d = net.n_circuits, net.n_layers, net.n_groups, net.d_circuit
    batch = batch or max(64, 2**21 // net.d_model)  # ≈ 16 MB per layer state: reused, not page-faulted
    max_error, max_leakage = np.zeros(L + 1), np.zeros(L + 1)
    aliased = 0
    side = max(1, int(np.sqrt(batch)))
    tiles = [(i0, j0) for i0 in range(0, n, side) for j0 in range(0, n, side)]
    for i0, j0 in tiles:  # a tile of group pairs: few distinct source groups in every layer
        ii, jj = np.meshgrid(np.arange(i0, min(i0 + side, n)), np.arange(j0, min(j0 + side, n)), indexing="ij")
        t = (ii * n + jj).ravel()
        h0 = circuit_inputs(family, t, rng, d)
        truth = circuits.forward(t, h0)
        states = net.forward(*single_inputs(net, t, h0))
        rows = np.arange(t.size)
        for k in range(L + 1):
            grp = group_of(net, t, k)
            got = states[k][rows, grp]
            max_error[k] = max(max_error[k], float(np.abs(got - truth[k]).max()))
            elsewhere = states[k].any(axis=-1)  # (bs, n): groups holding anything
            elsewhere[rows, grp] = False
            if elsewhere.any():
                max_leakage[k] = max(max_leakage[k], float(np.abs(states[k][elsewhere]).max()))
        # Inactive circuits reading a non-zero output group: the n circuits that share it, minus the active one.
        nonzero_groups = states[L].any(axis=-1).sum(1)
        aliased += int((n * nonzero_groups - (np.abs(truth[L]).sum(-1) > 0)).sum())
    return {
        "max_error": max_error,
        "max_leakage": max_leakage,
        "aliased_fraction": aliased / (T * (T - 1)),
        "seconds": time.perf_counter() - start,
    }


# ---------------------------------------------------------------- z = 2
def sample_pairs(net: PingPong, n_per_category: int, rng: np.random.Generator, exhaustive_limit: int = 300_000) -> tuple[np.ndarray, np.ndarray]:
    """Ordered pairs (t, u): all of them if T(T − 1) ≤ exhaustive_limit, else up to
    n_per_category uniformly sampled pairs of each sharing class."""
    T, n = net.n_circuits, net.n_groups
    if T * (T - 1) <= exhaustive_limit:
        t, u = np.divmod(np.arange(T * T), T)
        keep = t != u
        return t[keep], u[keep]
    picked_t, picked_u = [], []
    for c in range(len(CATEGORIES)):
        got_t, got_u, have = [], [], 0
        while have < n_per_category:
            m = 4 * n_per_category
            t = rng.integers(T, size=m)
            it, jt = net.pair(t)
            r = rng.integers(n, size=m)
            if CATEGORIES[c] == "same_i":
                u = it * n + r
            elif CATEGORIES[c] == "same_j":
                u = r * n + jt
            elif CATEGORIES[c] == "crossed":
                u = np.where(rng.random(m) < 0.5, jt * n + r, r * n + it)
            else:
                u = rng.integers(T, size=m)
            ok = (u != t) & (categorize(net, t, u) == c)
            got_t.append(t[ok]); got_u.append(u[ok]); have += int(ok.sum())
        picked_t.append(np.concatenate(got_t)[:n_per_category])
        picked_u.append(np.concatenate(got_u)[:n_per_category])
    return np.concatenate(picked_t), np.concatenate(picked_u)


def pair_breakage(net: PingPong, circuits: ReLUCircuits, family: str, rng: np.random.Generator,
                  n_per_category: int = 2000, batch: int = 2048) -> list[dict]:
    """Per sharing class: how many read-outs break at z = 2 and by how much (last layer).

    Each pair (t, u) runs both circuits; circuit t's read-out (its output group) is compared
    with its own forward pass. Rows: category, n_pairs, prevalence, broken_fraction (|error| >
    EXACT), relative error ‖δh‖/‖h‖ quantiles, mean ‖δh‖²; for the rotation circuits also the
    false-off rate (α̂ < 0.5), mean ‖δx‖² and the failed-rotation rate (‖δx‖ ≥ 1). A last row
    "all" weights the classes by their prevalence.
    """
    L, d = net.n_layers, net.d_circuit
    t_all, u_all = sample_pairs(net, n_per_category, rng)
    cats = categorize(net, t_all, u_all)
    err = np.zeros(t_all.size)
    rel = np.zeros(t_all.size)
    alpha_hat = np.full(t_all.size, np.nan)
    dx = np.full(t_all.size, np.nan)
    rc = RotationCircuits(np.zeros(1))  # the read-out of the rotation circuits (angles play no part)
    for lo in range(0, t_all.size, batch):
        sl = slice(lo, lo + batch)
        pair = np.stack([t_all[sl], u_all[sl]], 1)
        h0 = circuit_inputs(family, pair, rng, d)
        truth = circuits.forward(pair[:, 0], h0[:, 0])[L]
        states = net.forward(*multi_inputs(net, pair, h0))
        got = states[L][np.arange(pair.shape[0]), group_of(net, pair[:, 0], L)]
        e = np.linalg.norm(got - truth, axis=-1)
        err[sl] = e
        rel[sl] = e / np.maximum(np.linalg.norm(truth, axis=-1), 1e-12)
        if family == "rotation":
            a_hat, x_hat = rc.read(got)
            a_true, x_true = rc.read(truth)
            alpha_hat[sl] = a_hat
            dx[sl] = np.linalg.norm(x_hat - x_true, axis=-1)
    prev = prevalence(net.n_groups)
    rows = []
    for c, name in enumerate(CATEGORIES):
        m = cats == c
        if not m.any():
            continue
        row = {
            "category": name,
            "n_pairs": int(m.sum()),
            "prevalence": prev[name],
            "broken_fraction": float((err[m] > EXACT).mean()),
            "rel_error_median": float(np.median(rel[m])),
            "rel_error_p10": float(np.percentile(rel[m], 10)),
            "rel_error_p90": float(np.percentile(rel[m], 90)),
            "rel_error_max": float(rel[m].max()),
            "mse": float((err[m] ** 2).mean()),
            "false_off_rate": float((alpha_hat[m] < 0.5).mean()) if family == "rotation" else np.nan,
            "mse_x": float((dx[m] ** 2).mean()) if family == "rotation" else np.nan,
            "failed_rotation_rate": float((dx[m] >= 1.0).mean()) if family == "rotation" else np.nan,
        }
        rows.append(row)
    total = {k: sum(r["prevalence"] * r[k] for r in rows) / sum(r["prevalence"] for r in rows)
             for k in ("broken_fraction", "mse", "false_off_rate", "mse_x", "failed_rotation_rate")}
    rows.append({"category": "all", "n_pairs": int(t_all.size), "prevalence": 1.0, **total,
                 **{k: np.nan for k in ("rel_error_median", "rel_error_p10", "rel_error_p90", "rel_error_max")}})
    return rows


# ---------------------------------------------------------------- one job
def run_case(case: dict, log=None) -> tuple[dict, dict, dict]:
    """One case (`cases`): build, verify every circuit, measure z = 2 per mask.

    Returns (verify (+ mask_strength), accounting, {mask: pair_breakage rows})."""
    D, d, L = case["d_model"], case["d_circuit"], case["n_layers"]
    n = D // d
    circuits_rng, verify_rng, pairs_rng = (np.random.default_rng(s) for s in np.random.SeedSequence([case["seed"], D, d, L]).spawn(3))
    if case["family"] == "rotation":
        circuits = rotation_relu_circuits(circuits_rng.uniform(0.0, 2.0 * np.pi, n * n), L)
        input_bound = ROTATION_INPUT_BOUND
    else:
        circuits = random_circuits(n * n, d, L, circuits_rng)
        input_bound = RANDOM_INPUT_BOUND
    net = build(circuits, n, mask="linear", input_bound=input_bound)
    verify = verify_all(net, circuits, case["family"], verify_rng)
    verify["mask_strength"] = net.mask_strength
    if log:
        log(f"{case}: T = {net.n_circuits}, max error {verify['max_error'].max():.3g}, leakage {verify['max_leakage'].max():.3g}, {verify['seconds']:.1f} s")
    pairs = {}
    for mask in case["masks"]:
        variant = net if mask == "linear" else build(circuits, n, mask=mask, input_bound=input_bound)
        pairs[mask] = pair_breakage(variant, circuits, case["family"], pairs_rng, case["pairs_per_category"])
    return verify, net.accounting(), pairs
