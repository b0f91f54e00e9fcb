"""Exact constructions for z ≥ 1 active circuits built from ping-pong lanes, and what each costs
(docs/constructions.md). Every lane is a ping-pong network (`construction.pingpong`, exact for one
active circuit); the constructions differ in how active circuits reach lanes:

    no_superposition   T disjoint circuits side by side, width T·d: exact for every z
    pingpong           one lane holding all T circuits: exact at z = 1, every pair breaks at z ≥ 2
    named_lanes        z lanes holding all T circuits; the input names the lane of each active
                       circuit (the k-th active circuit of a sample goes to lane k): exact for every
                       z, the trivial upper reference
    hashed_lanes       k tables of m lanes; circuit t lives in lane h_r(t) of table r (a seeded
                       balanced hash per table), its slot there given by the input as in ping-pong.
                       Each lane adds one *collision flag* neuron ReLU(Σ one-hot(i) − 1), which is
                       ≥ 1 exactly when two or more active circuits entered the lane. The answer for
                       circuit t is its lane output in the first table whose lane for t raised no flag;
                       a sample fails only when some active circuit collides in every table.
                       k = 1 is the plain hashed lanes (a pair of active circuits collides with
                       probability ≈ 1/m); k ≥ 2 is this project's multi-table design.

Costs of one network of L weight layers and total width W (the lanes side by side, block-diagonal):
neurons L·W; dense parameters L·W² + L·W (one dense MLP of that width); non-zero parameters: per
lane and layer s·d² circuit weights, s·d bias-table entries, n(n − 1)·d mask entries (the linear mask)
and 2n one-hot identities for s circuits in n groups, plus n + 1 per flag neuron.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..circuits import ReLUCircuits
from . import pingpong

EXACT = pingpong.EXACT  # a decoded output within this of the circuit's forward pass is exact
CONSTRUCTIONS = ("no_superposition", "pingpong", "named_lanes", "hashed_lanes")


# ---------------------------------------------------------------- costs
def lane_groups(n_circuits: int) -> int:
    """n: the groups of a ping-pong lane holding `n_circuits` circuits (n² ≥ n_circuits)."""
    n = int(np.sqrt(max(n_circuits, 1)))
    return n if n * n >= n_circuits else n + 1


def lane_cost(n_circuits: int, d: int, n_layers: int) -> dict:
    """Width and non-zero parameters of one ping-pong lane holding s = n_circuits circuits."""
    n = lane_groups(n_circuits)
    width = n * d + 2 * n
    nonzero = n_layers * (n_circuits * d * d + n_circuits * d + n * (n - 1) * d + 2 * n)
    return {"groups": n, "width": width, "nonzero": nonzero}


def network_cost(width: int, nonzero: int, n_layers: int) -> dict:
    """{neurons, dense_parameters, nonzero_parameters, width} of a network of total width W."""
    return {"width": int(width), "neurons": int(n_layers * width), "dense_parameters": int(n_layers * width * width + n_layers * width),
            "nonzero_parameters": int(nonzero)}


def cost(construction: str, n_circuits: int, d: int, n_layers: int, n_active: int = 1, tables: int = 1, lanes: int = 1) -> dict:
    """`network_cost` of one construction holding T = n_circuits circuits of width d (module docstring)."""
    T, L = n_circuits, n_layers
    if construction == "no_superposition":
        return network_cost(T * d, L * T * (d * d + d), L)
    if construction == "pingpong":
        c = lane_cost(T, d, L)
        return network_cost(c["width"], c["nonzero"], L)
    if construction == "named_lanes":
        c = lane_cost(T, d, L)
        return network_cost(n_active * c["width"], n_active * c["nonzero"], L)
    if construction == "hashed_lanes":
        sizes = np.bincount(np.arange(T) % lanes, minlength=lanes)  # balanced: ⌈T/m⌉ or ⌊T/m⌋ per lane
        width = nonzero = 0
        for s, count in zip(*np.unique(sizes, return_counts=True)):
            c = lane_cost(int(s), d, L)
            width += count * (c["width"] + 1)  # + the collision flag
            nonzero += count * (c["nonzero"] + c["groups"] + 1)
        return network_cost(tables * width, tables * nonzero, L)
    raise ValueError(f"construction={construction!r} is not allowed: one of {', '.join(CONSTRUCTIONS)}")


# ---------------------------------------------------------------- hashed lanes
@dataclass(frozen=True)
class HashedLanes:
    """k tables of m lanes: lane_of (k, T) and slot (k, T), the slot of t inside its lane."""

    lane_of: np.ndarray
    slot: np.ndarray
    n_lanes: int

    @property
    def n_tables(self) -> int:
        return int(self.lane_of.shape[0])

    def collisions(self, active: np.ndarray) -> np.ndarray:
        """bool (k, bs, z): active circuit active[b, a] shares its lane of table r with another active one."""
        return collisions(self.lane_of[:, active])

    def failures(self, active: np.ndarray) -> np.ndarray:
        """bool (bs,): some active circuit collides in every table (the decoded answer is wrong)."""
        return failures(self.lane_of[:, active])


def collisions(lanes: np.ndarray) -> np.ndarray:
    """bool (k, bs, z) from the lanes (k, bs, z) the active circuits occupy in each table: shared with another."""
    return (lanes[..., :, None] == lanes[..., None, :]).sum(-1) > 1


def failures(lanes: np.ndarray) -> np.ndarray:
    """bool (bs,) from the lanes (k, bs, z): some active circuit collides in every table."""
    return collisions(lanes).all(0).any(-1)


def draw_hashed_lanes(n_circuits: int, n_lanes: int, n_tables: int, rng: np.random.Generator) -> HashedLanes:
    """Balanced random hashes: per table a permutation p of the T circuits; lane p mod m, slot p div m."""
    if not 1 <= n_lanes <= n_circuits:
        raise ValueError(f"lanes={n_lanes} is not allowed: need 1 <= lanes <= n_circuits = {n_circuits}")
    p = np.stack([rng.permutation(n_circuits) for _ in range(n_tables)])
    return HashedLanes(p % n_lanes, p // n_lanes, n_lanes)


def random_active_sets(n_circuits: int, n_active: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """int (n_samples, z): uniformly random sets of z distinct circuits (rows with a repeat are redrawn)."""
    if not 1 <= n_active <= n_circuits:
        raise ValueError(f"n_active={n_active} is not allowed: need 1 <= n_active <= n_circuits = {n_circuits}")
    if n_active * n_active > n_circuits:  # repeats are likely: the first z of a random order
        return np.argsort(rng.random((n_samples, n_circuits)), axis=1)[:, :n_active]
    out = rng.integers(n_circuits, size=(n_samples, n_active))
    while True:
        s = np.sort(out, axis=1)
        dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
        if not dup.any():
            return out
        out[dup] = rng.integers(n_circuits, size=(int(dup.sum()), n_active))


def hash_averaged_failures(n_circuits: int, n_lanes: int, n_tables: int, n_active: int, n_samples: int,
                           rng: np.random.Generator) -> int:
    """Failed samples among `n_samples` of `HashedLanes.failures`, averaged over the balanced hashes:
    each sample draws every table's positions of its z active circuits afresh (z distinct positions
    of T per table, lane = position mod m), which is a uniform active set under a uniformly drawn
    hash. Costs O(n_samples·k·z²), whatever T."""
    lanes = np.stack([random_active_sets(n_circuits, n_active, n_samples, rng) % n_lanes for _ in range(n_tables)])
    return int(failures(lanes).sum())


def upper_bound(failed: int, n: int) -> float:
    """A one-sided 95 % upper bound on a failure probability from `failed` of `n` (Wilson score)."""
    z = 1.645
    p = failed / n
    centre = p + z * z / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float((centre + half) / (1 + z * z / n))


# ---------------------------------------------------------------- exact forward pass
def lane_networks(circuits: ReLUCircuits, lanes: HashedLanes) -> list[list[tuple[pingpong.PingPong, np.ndarray]]]:
    """Per table and lane: (its ping-pong network, the circuit of each slot, −1 for padding). Empty
    slots hold zero circuits, so every lane is a full n × n ping-pong."""
    T, L, d, _ = circuits.weights.shape
    out = []
    for r in range(lanes.n_tables):
        row = []
        for lane in range(lanes.n_lanes):
            members = np.flatnonzero(lanes.lane_of[r] == lane)
            n = lane_groups(members.size)
            who = np.full(n * n, -1)
            who[lanes.slot[r, members]] = members
            w, b = np.zeros((n * n, L, d, d)), np.zeros((n * n, L, d))
            w[who >= 0], b[who >= 0] = circuits.weights[who[who >= 0]], circuits.biases[who[who >= 0]]
            row.append((pingpong.build(ReLUCircuits(w, b), n, input_bound=1.0), who))
        out.append(row)
    return out


def forward(nets, lanes: HashedLanes, active: np.ndarray, h0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decoded layer-L outputs (bs, z, d) of the active circuits and the flags (k, bs, z) their lanes
    raised, by the lanes' exact forward passes: per table and lane, the active circuits that hash
    there are fed in as one sample (their x into group i, their one-hot entries), the flag neuron is
    ReLU(Σ one-hot(i) − 1), and each circuit's answer is taken from the first table without a flag."""
    bs, z = active.shape
    k = lanes.n_tables
    d = h0.shape[-1]
    outputs = np.zeros((k, bs, z, d))
    flags = np.zeros((k, bs, z))
    for r in range(k):
        lane = lanes.lane_of[r, active]  # (bs, z)
        for m in np.unique(lane):
            net, _ = nets[r][m]
            rows, cols = np.nonzero(lane == m)
            # one lane sample per batch row: pad every row to the largest number of circuits it receives
            counts = np.bincount(rows, minlength=bs)
            width = int(counts.max())
            slots = np.full((bs, width), -1)
            inputs = np.zeros((bs, width, d))
            rank = np.arange(rows.size) - np.searchsorted(rows, rows)
            slots[rows, rank] = lanes.slot[r, active[rows, cols]]
            inputs[rows, rank] = h0[rows, cols]
            used = np.unique(rows)
            x, oh_i, oh_j = _lane_inputs(net, slots[used], inputs[used])
            last = net.forward(x, oh_i, oh_j)[-1]  # (n_used, n, d)
            flag = np.maximum(oh_i.sum(-1) - 1.0, 0.0)  # the collision flag neuron
            where = {int(u): q for q, u in enumerate(used)}
            for row, col, rk in zip(rows, cols, rank):
                q = where[int(row)]
                outputs[r, row, col] = last[q, net.output_group(slots[row, rk])]
                flags[r, row, col] = flag[q]
    first = np.argmax(flags == 0, axis=0)  # the first table without a flag (0 when every table flagged)
    decoded = np.take_along_axis(outputs, first[None, ..., None], axis=0)[0]
    return decoded, flags


def _lane_inputs(net: pingpong.PingPong, slots: np.ndarray, h0: np.ndarray):
    """`pingpong.multi_inputs` for rows with up to `slots.shape[1]` circuits (slot −1: none)."""
    bs, w = slots.shape
    n, d = net.n_groups, net.d_circuit
    x, oh_i, oh_j = np.zeros((bs, n, d)), np.zeros((bs, n)), np.zeros((bs, n))
    rows, cols = np.nonzero(slots >= 0)
    i, j = net.pair(slots[rows, cols])
    np.add.at(x, (rows, i), h0[rows, cols])
    np.add.at(oh_i, (rows, i), 1.0)
    np.add.at(oh_j, (rows, j), 1.0)
    return x, oh_i, oh_j
