"""End to end: the designs_tiny study through Snakemake (allocate → simulate → gather →
frontier → designs page), in a temporary copy of the workflow. Marked slow."""

import pandas as pd
import pytest
import xarray as xr

from .pipeline import copy_workflow, smk
from .twins import differences

pytestmark = pytest.mark.slow
DESIGN_LABELS = {
    "baseline", "redundant_indicators-decodemean-embeddingshared-k3-rotation_pairs1",
    "redundant_indicators-decodemean-embeddingindependent-k3-rotation_pairs1",
    "indicator_share-fraction0.3-redundancy_onNone", "indicator_share-fraction0.7-redundancy_onNone",
    "carried_indicators-fraction0.5", "indicator_cleanup-every2",
}


@pytest.fixture(scope="module")
def designs_run(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("designs"))
    smk(work, "designs", "--config", "study=designs_tiny", timeout=1200)
    return work


def test_every_design_runs_and_the_frontier_covers_it(designs_run):
    summary = xr.load_dataset(designs_run / "data/designs_tiny/summary.nc")
    assert set(summary.design.values) == {"baseline", "redundant_indicators", "indicator_share", "carried_indicators", "indicator_cleanup"}
    assert set(summary.allocation.values) == {"prime_step", "transversal", "random_subsets"}
    frontier = pd.read_csv(designs_run / "data/designs_tiny/frontier.csv")
    assert DESIGN_LABELS <= set(frontier.design)
    base = frontier[(frontier.design == "baseline") & (frontier.allocation == "transversal") & (frontier.redundancy == 6)]
    assert (base.ratio.dropna() == 1.0).all() and len(base) == 2
    assert set(frontier.redundancy) == {4, 6}
    assert differences("designs_tiny", designs_run) == []  # the same numbers as recorded (tests/twins.py)


def test_designs_page_is_published(designs_run):
    page = (designs_run / "reports/designs_tiny/designs/index.html").read_text()
    assert "Answers, generated from the data" in page and "redundant k=3, independent" in page
    assert "Fair comparison: neurons, parameters and depth" in page and "data:image/png;base64," in page
    # the S and allocation comparisons at the study's report.designs_d_model / designs_n_layers
    assert "Baseline, transversal, D = 400, L = 3, z = 2: S = 4: " in page and "D = 400, L = 3, random_subsets, S = 6" in page
    # each design at its best S where some design ran at more than one S (the baseline at S = 4, 6)
    assert "Each design at its best S" in page and "At D = 400, L = 3, each design at its own best S, at equal D: z = 1: " in page
    assert "S=4: " in page and "(only S tested)" in page
    assert (designs_run / "reports/designs_tiny/designs/frontier.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def designs_wide_run(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("designs_wide"))
    smk(work, "designs", "--config", "study=designs_wide_tiny", timeout=1200)
    return work


def test_designs_wide_tiny_compares_each_design_at_its_best_s_under_scale_free_criteria(designs_wide_run):
    frontier = pd.read_csv(designs_wide_run / "data/designs_wide_tiny/frontier.csv")
    assert set(frontier.design) == {"baseline", "redundant_indicators-decodemean-embeddingindependent-k3-rotation_pairs1"}
    assert set(frontier.redundancy) == {4, 6} and "capacity_expected_wrong" in frontier
    page = (designs_wide_run / "reports/designs_wide_tiny/designs/index.html").read_text()
    assert "Each design at its best S" in page and "Against no superposition" in page
    assert "false_on_rate·(T − z) &lt; 1" in page  # the study's scale-free criteria, stated
    assert differences("designs_wide_tiny", designs_wide_run) == []  # the same numbers as recorded (tests/twins.py)
