"""End to end: the constructions_tiny study through Snakemake (the post's construction at fixed T over D,
the lane constructions sized and verified, the page), in a temporary copy of the workflow. Marked slow."""

import json

import pandas as pd
import pytest

from .pipeline import copy_workflow, smk
from .twins import differences

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("constructions"))
    smk(work, "constructions", "--config", "study=constructions_tiny", timeout=900)
    return work


def test_sizing_and_verification(run):
    sizing = pd.read_csv(run / "data/constructions_tiny/constructions/sizing.csv")
    ver = pd.read_csv(run / "data/constructions_tiny/constructions/verification.csv")
    assert ver["flags_match_collisions"].all() and (ver["max_error_clean"] < 1e-9).all() and ver["clean_exact"].all()
    assert list(ver["tables"]) == [1, 2, 3] and ver["failed_fraction"].is_monotonic_decreasing
    named = sizing[sizing["construction"] == "named_lanes"]
    one = sizing[sizing["construction"] == "pingpong"].drop_duplicates("n_circuits").set_index("n_circuits")["nonzero_parameters"]
    assert (named["nonzero_parameters"] == named["n_active"] * named["n_circuits"].map(one)).all()  # z exact ping-pong lanes
    hashed = sizing[(sizing["construction"] == "hashed_lanes") & (sizing["n_active"] >= 2) & (sizing["error"] > 0)]
    assert (hashed["failure_upper"] <= hashed["error"]).all() and (hashed["lanes"] > 1).all()
    exact = sizing[sizing["error"] == 0]
    assert set(exact["construction"]) >= {"no_superposition", "named_lanes", "hashed_lanes"}
    certified = exact[(exact["construction"] == "hashed_lanes") & (exact["n_active"] >= 2)]
    assert not certified.empty and (certified["lanes"] == certified["n_circuits"]).all()  # ε = 0: one circuit per lane
    assert differences("constructions_tiny", run) == []  # the same numbers as recorded (tests/twins.py)


def test_page_places_every_construction(run):
    page = (run / "reports/constructions_tiny/constructions/index.html").read_text()
    assert "Answers, generated from the data" in page and page.count("data:image/png;base64,") == 2
    numbers = json.loads((run / "reports/constructions_tiny/constructions/numbers.json").read_text())
    kinds = {r["construction"] for r in numbers["plane"]}
    assert kinds == {"no_superposition", "pingpong", "named_lanes", "hashed_lanes", "multi_table_lanes", "post_superposition"}
    post = [r for r in numbers["plane"] if r["construction"] == "post_superposition"]
    assert {r["n_circuits"] for r in post} == {256} and all(r["error"] > 0 for r in post)
    assert all(512 <= r["d_model"] <= 2048 for r in post if r["status"] == "ok")  # interpolated within the tested D
    named = [s for s in numbers["slopes"] if s["construction"] == "named_lanes" and s["axis"] == "nonzero_parameters"]
    assert named and all(abs(s["slope"] - 1.0) < 1e-9 for s in named)  # z lanes: exactly ∝ z
    assert any("By the 95 % intervals" in a for a in numbers["answers"])
    assert any("those of exact ping-pong" in a for a in numbers["answers"])  # the post's construction against ping-pong at z = 1
