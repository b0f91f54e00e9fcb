"""End to end: the correction_tiny study through Snakemake (allocate → simulate → gather →
frontier → correction page), in a temporary copy of the workflow. Marked slow."""

import json

import pytest
import xarray as xr

from .pipeline import copy_workflow, smk
from .twins import differences

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def correction_run(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("correction"))
    smk(work, "correction", "--config", "study=correction_tiny", timeout=1200)  # the page only: rule all is the tiny study's
    return work


def test_every_variant_runs_with_its_noise_correlations(correction_run):
    summary = xr.load_dataset(correction_run / "data/correction_tiny/summary.nc")
    assert set(summary.design.values) == {"baseline", "redundant_indicators", "indicator_correction"}  # baseline: the main network
    assert set(summary.redundancy.values) == {4, 8}
    last = summary.copy_correlation.isel(layer=-1)
    shared = summary.point.str.contains("embeddingshared")
    one = summary.point.str.contains("-k1-") | (summary.design == "baseline")
    assert int((shared & ~one).sum()) == 2 and float(abs(last.where(shared & ~one) - 1.0).max()) < 1e-5  # shared copies: the same noise
    assert bool(last.where(one).isnull().all())  # one indicator pair: no copies to correlate
    assert float(abs(last.where(~shared & ~one)).max()) < 0.3  # independent copies: nearly independent noise
    assert differences("correction_tiny", correction_run) == []  # the same numbers as recorded (tests/twins.py)


def test_correction_page_is_published_with_numbers(correction_run):
    page = (correction_run / "reports/correction_tiny/correction/index.html").read_text()
    assert "Answers, generated from the data" in page and "data:image/png;base64," in page
    assert "Copies against a larger S" in page and "Is the noise on copies independent?" in page
    assert "Does it matter that d is large?" in page
    numbers = json.loads((correction_run / "reports/correction_tiny/correction/numbers.json").read_text())
    names = {r["name"] for r in numbers["capacities"]}
    assert "plain: 1 indicator pair, 3 rotation pairs (d = 8)" in names
    assert "5 copies added, independent, majority, 3 rotation pairs (d = 16)" in names
    assert any(r["plain_redundancy"] == 8 and r["redundancy"] == 4 for r in numbers["larger_s"])
    plain = [r for r in numbers["capacities"] if r["plain"]]
    assert {r["d"] for r in plain} == {8, 16} and all(r["t0"] == 960 // r["d"] for r in plain)
    assert all(r["ratio"] == 1.0 for r in plain if r["status"] != "below_range")  # each plain circuit is its own reference
    assert {(r["d_plain"], r["d"]) for r in numbers["widths"]} == {(8, 16), (16, 32)}
