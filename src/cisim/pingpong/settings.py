"""Which ping-pong cases a study runs, and whether it is a static-vs-dynamic study.

The Hydra schema (`cisim.config`) has no ping-pong group, so the ping-pong cases of a study are
named here, per study name (`PRESETS`); every case is passed to its rule as sorted JSON in
`params:`, so editing a preset reruns exactly the affected cases. The d = 4 rotation cases run
at every D of the study's sweep, so the report compares ping-pong with the simulated baseline
at equal D.

A case: family ("random": seeded generic ReLU circuits; "rotation": the post's d = 4 circuits),
D, d, depth L, seed, the masks whose z = 2 behaviour is measured, and the number of sampled
pairs per sharing class (all ordered pairs when there are fewer than 300 000).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PingPongSettings:
    random: tuple = ()  # (D, d) pairs of generic random circuits, every circuit verified
    rotation: bool = True  # also the d = 4 rotation circuits at every D of the study's sweep
    n_layers: int = 4  # circuit depth L
    seed: int = 0
    pairs_per_category: int = 2000  # z = 2 pairs sampled per sharing class
    masks: tuple = ("linear", "offset")  # mask variants measured at z = 2 (z = 1 is verified with "linear")


PRESETS = {
    "pingpong": PingPongSettings(random=((64, 8), (256, 16), (1024, 16), (2048, 16), (4096, 16), (4096, 8))),
    "pingpong_tiny": PingPongSettings(random=((64, 8), (256, 16)), pairs_per_category=200),
}


def case_label(case: dict) -> str:
    return f"{case['family']}-D{case['d_model']}-d{case['d_circuit']}-L{case['n_layers']}"


def cases(study_name: str, cfg: dict) -> dict:
    """{label: case dict} of the study's ping-pong cases ({} when the study has none)."""
    from ..config import expand_points

    s = PRESETS.get(study_name)
    if s is None:
        return {}
    common = {"n_layers": s.n_layers, "seed": s.seed, "pairs_per_category": s.pairs_per_category, "masks": list(s.masks)}
    out = [{"family": "random", "d_model": int(D), "d_circuit": int(d), **common} for D, d in s.random]
    if s.rotation:
        for D in sorted({p["d_model"] for p in expand_points(cfg)}):
            if D % 4 == 0:
                out.append({"family": "rotation", "d_model": int(D), "d_circuit": 4, **common})
    for c in out:
        if c["d_model"] % c["d_circuit"]:
            raise ValueError(f"ping-pong case {case_label(c)}: D must be a multiple of d")
    return {case_label(c): c for c in out}


def is_dynamic(cfg: dict) -> bool:
    """A static-vs-dynamic study: its sweep runs both the baseline and cross_circuit designs."""
    from ..config import expand_points

    designs = {p["design"] for p in expand_points(cfg)}
    return {"baseline", "cross_circuit"} <= designs
