"""End to end: the tiny ping-pong and static-vs-dynamic studies through Snakemake, in a temporary
copy of the workflow (tests/pipeline.py), up to their own pages. Marked slow."""

import json

import pytest
import xarray as xr

from .pipeline import copy_workflow, smk
from .twins import differences

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("pingpong"))


def test_pingpong_tiny_study_runs_end_to_end(workdir):
    smk(workdir, "pingpong", "--config", "study=pingpong_tiny", timeout=900)  # its page and what it needs
    page = workdir / "reports/pingpong_tiny/pingpong/index.html"
    assert page.stat().st_size > 10_000 and "Largest verified" in page.read_text()
    numbers = json.loads((workdir / "reports/pingpong_tiny/pingpong/numbers.json").read_text())
    assert numbers["largest_verified"]["n_circuits"] == (400 // 4) ** 2 and numbers["largest_verified"]["max_error"] <= 1e-5
    assert {r["n_active"] for r in numbers["equal_D"]} == {1, 2}
    case = xr.load_dataset(workdir / "data/pingpong_tiny/pingpong/random-D256-d16-L4.nc")
    assert float(case.max_error.max()) <= 1e-5 and float(case.max_leakage.max()) == 0.0
    assert float(case.z2_broken_fraction.sel(mask="linear", category="all").item()) > 0.9
    assert differences("pingpong_tiny", workdir) == []  # the same numbers as recorded (tests/twins.py)


def test_dynamic_tiny_study_runs_end_to_end(workdir):
    smk(workdir, "dynamic", "gather", "--config", "study=dynamic_tiny", timeout=900)
    summary = xr.load_dataset(workdir / "data/dynamic_tiny/summary.nc")
    assert set(summary.design.values) == {"baseline", "cross_circuit", "computed_activity"}
    numbers = json.loads((workdir / "reports/dynamic_tiny/dynamic/numbers.json").read_text())
    assert {r["n_active"] for r in numbers["capacity"]} == {1, 2}
    assert {r["d_model"] for r in numbers["capacity"]} == {400}  # the computed grid is its own section
    kinds = {(r["kind"], r["t0"]) for r in numbers["computed_capacity"]}
    assert kinds == {("baseline", 120), ("static", 80), ("computed", 80)}  # T₀ = D/d of each circuit width
    causes = [r for r in numbers["computed_causes"] if r["kind"] == "computed" and r["layer"] >= 2]
    assert causes and all(0 <= r["decision_false_on_share"] <= 1 for r in causes)
    computed = summary.where(summary.design == "computed_activity", drop=True)
    assert float(computed.decision_false_on_rate.sel(layer=1).max()) == 0.0  # no decisions before layer 2
    assert numbers["routings"] and numbers["active_counts"]
    assert (workdir / "reports/dynamic_tiny/dynamic/index.html").stat().st_size > 10_000
    assert differences("dynamic_tiny", workdir) == []  # the same numbers as recorded (tests/twins.py)
    # routed z = 1 stays exact at layer 1 (the input layer)
    dyn = summary.where(summary.design == "cross_circuit", drop=True)
    assert float(dyn.mse_x_active.sel(n_active=1, layer=1).max()) < 1e-6
