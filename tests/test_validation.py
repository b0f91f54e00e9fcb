"""The whole config is checked before any job starts, by classes (docs/reliability.md, "Bad input").

A property test draws override sets for the tiny study from the schema's fields — valid values,
negative, zero and huge numbers, empty lists, unknown keys, wrong types — and requires of
`config.compose` (what the Snakefile runs first) that it either accepts a config that can run
(every point feasible, its network and inputs constructible) or refuses it in one line naming
the key. Two end-to-end Snakemake runs of random valid configs follow (slow).
"""

import random
import time
from collections import Counter

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cisim import config, construction, simulate

from .pipeline import copy_workflow, smk

HUGE = [10**6, 10**12, 2**63, -(2**63) - 1]
INTS = st.one_of(st.sampled_from([-1, 0, 1, 2, 3, 4, 5, 6, 80, 81, 101, *HUGE]), st.integers(-3, 120))
SMALL_LISTS = st.lists(INTS, min_size=0, max_size=3)
WRONG = st.sampled_from(["abc", "[a]", "{x: 1}", "null", "1.5"])


def fmt(value) -> str:
    return f"[{','.join(fmt(v) for v in value)}]" if isinstance(value, list) else str(value)


def distinct_lists(values, max_size=3):
    return st.lists(values, min_size=1, max_size=max_size, unique=True)


def field(valid, invalid=None):
    """Values drawn for one field: valid twice as often as the generic invalid ones."""
    return st.one_of(valid, valid, invalid if invalid is not None else st.one_of(INTS, SMALL_LISTS))


# (override key, values drawn for it, words of which an error about it names at least one)
FIELDS = [
    ("sim.seeds", field(distinct_lists(st.integers(0, 10**6)), st.lists(INTS, max_size=3)), {"sim.seeds"}),
    ("sim.n_samples", field(st.integers(1, 300), INTS), {"sim.n_samples", "n_samples"}),
    ("sim.batch_size", field(st.sampled_from([1, 100, 256, 10**12]), INTS), {"sim.batch_size"}),
    ("sim.n_trajectories", field(st.integers(0, 20), INTS), {"sim.n_trajectories"}),
    ("sim.dtype", st.sampled_from(["float32", "float64", "float16", "5"]), {"sim.dtype"}),
    ("sim.forward", st.sampled_from(["auto", "dense", "structured", "sparse"]), {"sim.forward"}),
    ("sweep.grids.main.n_samples", field(st.integers(1, 300), INTS), {"sweep.grids.main.n_samples"}),
    ("sweep.grids.main.n_active", field(distinct_lists(st.integers(1, 80))), {"sweep.grids.main.n_active"}),
    ("sweep.grids.main.redundancy", field(st.sampled_from([[2], [4], [6]])), {"sweep.grids.main.redundancy"}),
    ("sweep.grids.main.n_layers", field(st.sampled_from([[1], [3], [5]])), {"sweep.grids.main.n_layers"}),
    ("sweep.grids.main.pairs",
     field(st.sampled_from([[[400, 80]], [[400, 20]], [[800, 80]]]),
           st.lists(st.lists(st.sampled_from([0, 20, 80, 400, 402, 500, 10**6]), min_size=1, max_size=3), max_size=2)),
     {"sweep.grids.main.pairs", "sweep.grids.main.d_model", "sweep.grids.main.n_circuits", "sweep.grids.main.n_active",
      "sweep.grids.main.redundancy"}),
    ("sweep.grids.scaling.n_active", field(distinct_lists(st.integers(1, 20))), {"sweep.grids.scaling.n_active"}),
    ("sweep.grids.scaling.n_layers", field(st.sampled_from([[4], [4, 5]])), {"sweep.grids.scaling.n_layers", "report.through_layer"}),
    ("report.through_layer", field(st.integers(1, 4), INTS), {"report.through_layer"}),
    ("report.false_on_threshold", st.sampled_from(["0.01", "1", "0", "-1.0", "1e30", "nan", "inf"]), {"report.false_on_threshold"}),
    ("design.chi_scale", st.sampled_from(["0.5", "2", "-1.0", "1e30", "nan", "inf"]), {"design.chi_scale"}),
]
UNKNOWN = ["+sim.foo=1", "+sweep.grids.main.bar=2", "+report.extra=x", "+design.k=3", "++sim.typo=0", "+foo=1"]
TYPED = [key for key, _, _ in FIELDS if not key.startswith("sim.d") and key != "sim.forward"]


@st.composite
def override_sets(draw):
    """1–2 fields' values (valid or not), sometimes with an unknown key or a wrong type added."""
    chosen = draw(st.lists(st.sampled_from(range(len(FIELDS))), min_size=1, max_size=2, unique=True))
    items, names = [], set()
    for i in chosen:
        key, values, words = FIELDS[i]
        items.append(f"{key}={fmt(draw(values))}")
        names |= words
    kind = draw(st.sampled_from(["values"] * 4 + ["unknown", "type"]))
    if kind == "unknown":
        extra = draw(st.sampled_from(UNKNOWN))
        items.append(extra)
        names.add(extra.lstrip("+").split("=")[0])
    elif kind == "type":
        key = draw(st.sampled_from(TYPED))
        items = [i for i in items if not i.startswith(key + "=")] + [f"{key}={draw(WRONG)}"]
        names.add(key)
    return items, names


def runnable(cfg: dict) -> None:
    """An accepted config can run in principle: every point passes check_point (with memory),
    and for the first point of each grid a few inputs of every z are drawn and, where cheap, the
    allocation and network are built (the parts that used to fail late: seeds, empty axes, z = T)."""
    points = config.expand_points(cfg)
    assert points
    grids = set()
    for p in points:
        config.check_point(p, cfg)
        if p["grid"] in grids:
            continue
        grids.add(p["grid"])
        spec = config.network_spec(p)
        seed = cfg["sim"]["seeds"][0]
        if p["d_model"] * p["n_layers"] <= 10**5:  # cheap to build here (larger ones: sampling only)
            circuits, network = construction.build(spec, seed)
            assert network.n_circuits == p["n_circuits"]
        for z in p["n_active"]:
            inputs = simulate.sample_inputs(spec.n_circuits, z, min(p["n_samples"], 16), np.random.default_rng([seed, z]))
            assert inputs.active.shape == (min(p["n_samples"], 16), z)


def test_random_override_sets_are_accepted_runnable_or_refused_in_one_line_naming_the_key():
    counts = Counter()

    @settings(max_examples=50, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])  # no shrinking: a failure shows the drawn overrides as they are
    @given(override_sets())
    def check(drawn):
        items, names = drawn
        counts["tried"] += 1
        try:
            cfg = config.compose("tiny", items)
        except config.ConfigError as e:
            counts["refused"] += 1
            line = f"cisim: {e}"
            assert "\n" not in line, (items, line)
            assert any(n in line for n in names), (items, line)
            return
        counts["accepted"] += 1
        runnable(cfg)

    start = time.perf_counter()
    check()
    print(f"\ngenerated configs: {dict(counts)} in {time.perf_counter() - start:.1f} s")
    assert counts["accepted"] and counts["refused"], counts


def test_z_equal_to_t_is_accepted_and_sampled_quickly_with_distinct_rows():
    """n_active = n_circuits (z = T = 80): the rejection sampler never finished; rows are now drawn
    directly, each a permutation of the T circuits."""
    cfg = config.compose("tiny", ["sweep.grids.main.n_active=[1,80]"])
    assert [p["n_active"] for p in config.expand_points(cfg) if p["grid"] == "main"] == [[1, 80]]
    # the redraw loop is not taken: its acceptance probability here is 80!/80^80 (it never finished)
    assert simulate.distinct_acceptance(80, 80) < simulate.REJECTION_MIN_ACCEPTANCE
    inputs = simulate.sample_inputs(80, 80, 4096, np.random.default_rng([0, 80]))
    assert inputs.active.shape == (4096, 80)
    assert (np.sort(inputs.active, axis=1) == np.arange(80)).all()
    # uniform order: every circuit takes the first slot about equally often
    first = np.bincount(inputs.active[:, 0], minlength=80)
    assert first.min() > 20 and first.max() < 95


def test_small_z_draws_are_the_rejection_sampler_s_unchanged():
    """z ≪ T keeps the redraw-duplicates sampler, so existing studies' inputs (and numbers) are unchanged."""

    def rejection(T, z, n, rng):
        active = rng.integers(T, size=(n, z), dtype=np.int64)
        while True:
            s = np.sort(active, axis=1)
            dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
            if not dup.any():
                return active, rng.uniform(0.0, 2.0 * np.pi, size=active.shape)
            active[dup] = rng.integers(T, size=(int(dup.sum()), z), dtype=np.int64)

    for T, z in [(80, 3), (4, 2), (557, 4), (30, 12)]:
        inputs = simulate.sample_inputs(T, z, 500, np.random.default_rng([1, z]))
        active, phases = rejection(T, z, 500, np.random.default_rng([1, z]))
        np.testing.assert_array_equal(inputs.active, active)
        np.testing.assert_array_equal(inputs.phases, phases)


@pytest.mark.parametrize("items,words", [
    (["sim.seeds=[-1]"], ["sim.seeds=-1", ">= 0"]),
    (["sim.seeds=[0,0]"], ["sim.seeds=[0, 0]", "distinct"]),
    (["sweep.grids.main.n_active=[]"], ["sweep.grids.main.n_active=[]", "non-empty"]),
    (["sweep.grids.main.n_samples=0"], ["sweep.grids.main.n_samples=0", ">= 1"]),
    (["+sim.foo=1"], ["sim.foo=1", "not a key of sim"]),
    (["+sweep.grids.main.bar=2"], ["sweep.grids.main.bar=2", "not a key"]),
    (["sweep.grids.main.d_model=[400]"], ["sweep.grids.main.d_model=[400]", "pairs"]),
    (["report.through_layer=5"], ["report.through_layer=5", "n_layers = 4"]),
    (["report.false_on_threshold=nan"], ["report.false_on_threshold=nan"]),
    (["design.chi_scale=inf"], ["design.chi_scale=inf", "finite"]),
    (["design=indicator_share", "design.fraction=1.5"], ["design.fraction=1.5", "< 1"]),
    (["design=cross_circuit", "design.routing=ring"], ["design.routing='ring'", "fan_in_2"]),
    (["design=cross_circuit_fan_out", "design.fan_out=100"], ["design.fan_out=100", "n_circuits"]),
    (["sim.n_samples=1000000000000"], ["sim.n_samples=1000000000000", "GiB"]),
    (["sim.forward=dense", "sweep.grids.main.pairs=[[400000,80]]"], ["sweep.grids.main.d_model=400000", "GiB", "structured"]),
    (["sim.seeds=[0,1]]"], ["sim.seeds"]),
])
def test_each_class_is_refused_in_one_line_naming_key_and_value(items, words):
    with pytest.raises(config.ConfigError) as e:
        config.compose("tiny", items)
    line = f"cisim: {e.value}"
    assert "\n" not in line and all(w in line for w in words), line


def test_unquoted_override_list_gets_a_quoting_hint():
    """`overrides=[sim.seeds=[0,1]]` unquoted reaches Hydra split at the comma."""
    with pytest.raises(config.ConfigError) as e:
        config.compose("tiny", ["sim.seeds=[0", "1]"])
    assert "quote each override" in str(e.value) and "\n" not in str(e.value)


def test_yaml_syntax_error_in_a_conf_file_names_file_line_and_column(tmp_path):
    root = copy_workflow(tmp_path)
    path = root / "conf/sim/tiny.yaml"
    path.write_text(path.read_text().replace("batch_size: 256", "batch_size: [256"))
    with pytest.raises(config.ConfigError) as e:
        config.compose("tiny", conf_dir=root / "conf")
    message = str(e.value)
    assert "\n" not in message and "tiny.yaml:" in message and "not valid YAML" in message, message


VALID = {
    "sim.seeds": ["[0]", "[3]", "[12345]"],
    "sim.n_samples": ["64", "128"],
    "sim.batch_size": ["128", "1000000"],
    "sweep.grids.main.n_active": ["[1,2]", "[80]", "[2,79]"],
    "sweep.grids.main.n_samples": ["64", "200"],
    "sweep.grids.main.n_layers": ["[2]", "[3]"],
    "sweep.grids.scaling.n_active": ["[1]", "[2,3]"],
    "report.through_layer": ["1", "4"],
}


def random_valid_overrides(seed: int) -> list[str]:
    """A random valid tiny config: one value of four of the VALID keys (seeded), on one seed and
    one scaling point so that the run takes seconds."""
    rng = random.Random(seed)
    keys = rng.sample(sorted(VALID), 4)
    small = ["sim.seeds=[0]"] * ("sim.seeds" not in keys) + ["sweep.grids.scaling.pairs=[[400,40]]"]
    return [f"{k}={rng.choice(VALID[k])}" for k in keys] + small


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_random_valid_config_runs_end_to_end(tmp_path, seed):
    items = random_valid_overrides(seed)
    cfg = config.compose("tiny", items)  # accepted before any job starts ...
    wd = copy_workflow(tmp_path)
    proc = smk(wd, "gather", "--config", "study=tiny", "overrides=[" + ",".join(f'"{o}"' for o in items) + "]", check=False, timeout=300)
    assert proc.returncode == 0, (items, proc.stderr[-3000:])  # ... and runs
    summary = xr.load_dataset(wd / "data/tiny/summary.nc")
    assert sorted(summary["seed"].values.tolist()) == sorted(cfg["sim"]["seeds"])
    zs = sorted({z for p in config.expand_points(cfg) for z in p["n_active"]})
    assert sorted(summary["n_active"].values.tolist()) == zs
