"""Every option of every conf/ group composes and validates; typos and bad values fail in one line."""

from pathlib import Path

import pytest

from cisim import config

from .construction.designs_util import tiny_sweep_overrides

GROUPS = sorted(p.name for p in config.CONF_DIR.iterdir() if p.is_dir())


def options(group):
    return sorted(p.stem for p in (config.CONF_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("group,option", [(g, o) for g in GROUPS if g != "study" for o in options(g)])
def test_every_group_option_composes(group, option):
    # a sweep's depth is its study's report.through_layer (≤ every scaling point's n_layers): 1 fits any sweep
    extra = ["report.through_layer=1"] if group == "sweep" else []
    if (group, option) == ("sweep", "asymptotics"):  # D = 65,536: the tiny sim's exhaustive z = 1 (T samples) exceeds sim.max_point_hours
        extra.append("sim=scaling")
    if group == "design":
        extra += tiny_sweep_overrides(option)
    cfg = config.compose("tiny", [f"{group}={option}", *extra])
    assert config.expand_points(cfg)


@pytest.mark.parametrize("study", options("study"))
def test_every_study_composes_and_names_its_output_folder(study):
    cfg = config.compose(study)
    assert cfg["study_name"] == study
    labels = [config.point_label(p) for p in config.expand_points(cfg)]
    assert len(labels) == len(set(labels))


def test_paper_study_holds_the_posts_settings():
    cfg = config.compose("paper")
    points = config.expand_points(cfg)
    main = [p for p in points if p["grid"] == "main"]
    assert len(main) == 1 and (main[0]["d_model"], main[0]["n_circuits"], main[0]["redundancy"], main[0]["n_layers"]) == (1000, 557, 6, 5)
    assert main[0]["n_active"] == [1, 2, 3] and main[0]["n_samples"] == 100 * 557
    scaling = [p for p in points if p["grid"] == "scaling"]
    assert len(scaling) == 41 and all(p["n_layers"] == 4 and p["n_active"] == [1, 2, 3, 4] for p in scaling)
    assert len(cfg["sim"]["seeds"]) >= 3


def test_every_schema_field_has_a_description():
    """One-line description per field: a trailing comment on every dataclass field line."""
    source = Path(config.__file__).read_text().splitlines()
    fields = [l for l in source if l.startswith("    ") and ": " in l and " = " in l and not l.strip().startswith(("#", "return", "raise"))]
    fields = [l for l in fields if l.strip().split(":")[0].isidentifier() and "(" not in l.split(":")[0]]
    assert fields and all("  # " in l for l in fields), [l for l in fields if "  # " not in l]


def test_point_labels_are_unique_and_readable():
    cfg = config.compose("paper")
    label = config.point_label(config.expand_points(cfg)[0])
    assert label == "main-baseline-prime_step-D1000-T557-S6-L5"


def test_report_criteria_are_the_analysis_criteria_and_default_to_today_s_two():
    import dataclasses

    from cisim.analysis import criteria

    rule = next(f for f in dataclasses.fields(config.ReportConf) if f.name == "criteria").metadata["rule"]
    assert tuple(rule.options()) == criteria.NAMES
    cfg = config.compose("tiny")
    assert criteria.Criteria.from_report(cfg["report"]) == criteria.Criteria()
    picked = config.compose("tiny", ["report.criteria=[mse,seizure,neurons]", "report.seizure_threshold=0.05"])["report"]
    assert criteria.Criteria.from_report(picked).applied == ("mse", "seizure", "neurons")
    with pytest.raises(config.ConfigError, match="report.criteria"):
        config.compose("tiny", ["report.criteria=[mse,typo]"])


def test_a_study_runs_in_stages_with_the_same_point_labels():
    """sweep.max_d_model / max_layers drop the costlier points and keep every other point's label
    (so a later full run reuses what a staged run produced); grids wholly beyond the bound drop out,
    but a bound that empties a grid the report reads by name (or every grid) is refused."""
    full = {config.point_label(p): p for p in config.expand_points(config.compose("asymptotics"))}
    staged = config.expand_points(config.compose("asymptotics", ["sweep.max_d_model=16384", "sweep.max_layers=4"]))
    assert 0 < len(staged) < len(full)
    assert all(p["d_model"] <= 16384 and p["n_layers"] <= 4 for p in staged)
    assert {config.point_label(p) for p in staged} == {l for l, p in full.items() if p["d_model"] <= 16384 and p["n_layers"] <= 4}
    assert {p["grid"] for p in staged} == {g for g in {p["grid"] for p in full.values()} if not g.endswith(("_wide", "_deep"))}
    with pytest.raises(config.ConfigError, match=r"^sweep\.max_d_model=512 is not allowed: .*none left in .*'s6'"):
        config.compose("asymptotics", ["sweep.max_d_model=512"])
    with pytest.raises(config.ConfigError, match=r"^sweep\.max_layers=1 is not allowed: .*none left in"):
        config.compose("asymptotics_tiny", ["sweep.max_layers=1"])


def test_the_workflow_starts_the_costliest_simulation_first():
    """`point_seconds` is each simulate job's priority: in the paper study the main network
    (55,700 samples per z, five layers) outweighs every (D, T) grid point, and the estimate grows
    with the seeds and samples it covers."""
    cfg = config.compose("paper")
    seconds = {config.point_label(p): config.point_seconds(p, cfg) for p in config.expand_points(cfg)}
    first = max(seconds, key=seconds.get)
    assert first.startswith("main-") and seconds[first] > 2 * sorted(seconds.values())[-2]
    more = config.compose("paper", ["sim.seeds=[0,1,2,3,4,5]"])
    p = next(p for p in config.expand_points(more) if config.point_label(p) == first)
    assert config.point_seconds(p, more) == pytest.approx(2 * seconds[first])
