"""The `paper` page: its numbers (analysis.paper) on a hand-made summary with known answers, the
rendered page (pages.paper) and its captions, the landing page (pages.landing)."""

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cisim.analysis import paper
from cisim.pages import html, landing
from cisim.pages import paper as page
from cisim.plots.catalog import CATALOG

ROOT = Path(__file__).resolve().parents[1]
CAPTIONS = ROOT / "workflow/report/plot.rst"
CFG = {"mse_threshold": 0.1, "false_on_threshold": 1e-3, "through_layer": 2, "main_point": "main", "scaling_grid": "scaling"}
SEEDS, ZS, LAYERS = [0, 1, 2], [1, 2, 3], [0, 1, 2]
# (grid, D, T): loads T(4/D)² = 0.0089 (main); 0.0016, 0.0032, 0.0048, 0.0064 and a tie at 0.0032 (D=2000)
POINTS = [("main", 1000, 557), ("scaling", 1000, 100), ("scaling", 1000, 200), ("scaling", 1000, 300),
          ("scaling", 1000, 400), ("scaling", 2000, 800)]


def label(grid, D, T):
    return f"{grid}-baseline-prime_step-D{D}-T{T}-S6-L2"


def make_summary():
    """Known answers (through layer 2, thresholds mse 0.1 and false-on 1e-3):
    z=1: seed 1 has false-on 0.01 at load 0.0048 → pooled threshold 0.0032, seeds 0.0064/0.0032/0.0064;
    z=2: of the two points at load 0.0032, D=2000 fails → threshold 0.0016 in every seed;
    z=3: seed 2 diverges at the lowest load (NaN metrics) → pooled none, seeds 0.0064/0.0064/none."""
    shape = (len(POINTS), len(SEEDS), len(ZS), len(LAYERS))
    layer = np.array(LAYERS)[None, None, None, :]
    z = np.array(ZS)[None, None, :, None]
    seed = np.array(SEEDS)[None, :, None, None]
    loads = np.array([T * (4 / D) ** 2 for _, D, T in POINTS])
    mse = np.broadcast_to(0.01 * layer * z + 0.001 * seed, shape).copy()
    false_on = np.zeros(shape)
    nonfinite = np.zeros(shape)
    p = {label(*pt): i for i, pt in enumerate(POINTS)}
    false_on[p[label("scaling", 1000, 300)], 1, 0, 2] = 0.01
    mse[p[label("scaling", 2000, 800)], :, 1, 1:] = 0.5
    bad = (p[label("scaling", 1000, 100)], 2, 2)
    mse[bad] = np.nan
    nonfinite[bad][1:] = 7
    diverged = (nonfinite.sum(-1) > 0).astype(float)
    dims = ("point", "seed", "n_active", "layer")
    data = {name: (dims, mse * k) for name, k in
            [("mse_x_active", 1.0), ("mse_x_inactive", 0.1), ("mse_alpha_active", 0.01), ("mse_alpha_inactive", 0.02), ("max_x_active", 20.0)]}
    data.update(false_on_rate=(dims, false_on), nonfinite_count=(dims, nonfinite), diverged=(dims[:3], diverged))
    data["active_fraction"] = (dims + ("block",), np.broadcast_to((0.024 * z + 0.01 * layer)[..., None], shape + (4,)).copy())
    along = lambda values: ("point", values)  # noqa: E731
    coords = {
        "point": [label(*pt) for pt in POINTS], "seed": SEEDS, "n_active": ZS, "layer": LAYERS, "block": [0, 1, 2, 3],
        "grid": along([g for g, _, _ in POINTS]), "design": along(["baseline"] * len(POINTS)),
        "allocation": along(["prime_step"] * len(POINTS)), "d_model": along([D for _, D, _ in POINTS]),
        "n_circuits": along([T for _, _, T in POINTS]), "redundancy": along([6] * len(POINTS)),
        "n_layers": along([2] * len(POINTS)), "chi_scale": along([1.0] * len(POINTS)), "superposition_load": along(loads),
        "config_sha256": along([f"sha{i}" for i in range(len(POINTS))]), "git_commit": along(["abc123"] * len(POINTS)),
    }
    return xr.Dataset(data, coords=coords, attrs={"source": "cisim test", "title": "hand-made", "git_dirty": 0, "backend": "numpy"})


@pytest.fixture(scope="module")
def summary():
    return make_summary()


def test_threshold_from_levels():
    assert paper.threshold_from([0.1, 0.2, 0.3], [True, True, False]) == (0.2, 0.3)
    assert paper.threshold_from([0.3, 0.1, 0.2], [True, True, True])[0] == 0.3  # order-free; nothing fails
    assert math.isnan(paper.threshold_from([0.3, 0.1, 0.2], [True, True, True])[1])
    assert paper.threshold_from([0.1, 0.2, 0.2, 0.3], [True, True, False, True]) == (0.1, 0.2)  # a tie fails together
    t, first = paper.threshold_from([0.1, 0.2], [False, True])
    assert math.isnan(t) and first == 0.1


def test_working_thresholds_known_answer(summary):
    t = paper.working_thresholds(summary, CFG).set_index("n_active")
    assert t.loc[1, "threshold"] == pytest.approx(0.0032) and t.loc[1, "first_failure"] == pytest.approx(0.0048)
    assert t.loc[1, "seed_thresholds"] == pytest.approx({0: 0.0064, 1: 0.0032, 2: 0.0064})
    assert t.loc[1, "seed_min"] == pytest.approx(0.0032) and t.loc[1, "seed_max"] == pytest.approx(0.0064)
    assert t.loc[2, "threshold"] == pytest.approx(0.0016) and t.loc[2, "first_failure"] == pytest.approx(0.0032)
    assert math.isnan(t.loc[3, "threshold"]) and t.loc[3, "first_failure"] == pytest.approx(0.0016)
    assert math.isnan(t.loc[3, "seed_thresholds"][2]) and math.isnan(t.loc[3, "seed_min"])
    assert (t["n_points"] == 5).all()


def test_working_thresholds_need_the_layers(summary):
    with pytest.raises(ValueError, match="through_layer"):
        paper.working_thresholds(summary, {**CFG, "through_layer": 3})


def test_diverged_runs_are_listed(summary):
    d = paper.diverged_runs(summary)
    assert d.to_dict("records") == [{"point": label("scaling", 1000, 100), "seed": 2, "n_active": 3, "first_layer": 1}]


def test_main_errors_and_claims(summary):
    e = paper.main_errors(summary, CFG).set_index(["n_active", "layer"])
    assert e.loc[(2, 2), "mse_x_active"] == pytest.approx(0.04 + 0.001)  # mean over seeds 0, 1, 2
    assert e.loc[(2, 2), "mse_x_active_lo"] <= 0.041 <= e.loc[(2, 2), "mse_x_active_hi"]
    assert 0 not in e.index.get_level_values("layer")
    c = paper.main_claims(summary, CFG).set_index("n_active")
    assert (c["mean_ok_through"] == 2).all()
    assert c["worst_ok_through"].tolist() == [2, 2, 1]  # max = 20·mse, worst seed: z=3 has 0.64 at layer 1, 1.24 at 2


def test_page_numbers_come_from_the_functions(summary):
    text = page.render(summary, CFG, "unit", {"errors_x": b"\x89PNG fake"}, CAPTIONS)
    for row in paper.main_errors(summary, CFG).itertuples():
        for value in (row.mse_x_active, row.mse_x_active_lo, row.mse_x_active_hi, row.theory_mse_x_active):
            assert html.fmt(value) in text
    for t in paper.working_thresholds(summary, CFG).itertuples():
        assert html.fmt_threshold(t.threshold) in text
    assert "every point works up to T(d/D)² = 0.0032; the first failing point is at 0.0048" in text
    assert "z = 3:\nno scaling point works, the lowest load 0.0016 already fails" in text
    assert "seed 0: 0.0064; seed 1: 0.0032; seed 2: 0.0064." in text
    assert "D = 1,000, T = 557, S = 6, L = 2" in text  # integers through the one format
    assert "src='data:image/png;base64,iVBORyBmYWtl'" in text
    assert "<b>Errors of the rotated vector x (post Fig 5).</b>" in text  # the caption of plot.rst
    assert "abc123" in text and "0, 1, 2" in text


def test_page_shows_diverged_runs(summary):
    text = page.render(summary, CFG, "unit")
    assert "1 run(s) produced NaN or Inf activations" in text
    assert f"<td class='l'>{label('scaling', 1000, 100)}</td><td>2</td><td>3</td><td>1</td>" in text
    clean = make_summary()
    clean["diverged"][:] = 0
    clean["nonfinite_count"][:] = 0
    assert "No run produced NaN or Inf activations." in page.render(clean, CFG, "unit")


def test_the_page_footer_names_the_commit_that_rendered_it(summary):
    assert "git commit of the page" in page.render(summary, CFG, "unit", root=ROOT)
    assert "git commit of the page" not in page.render(summary, CFG, "unit")


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_figure_has_its_caption_in_the_caption_file(name):
    text = page.caption(CAPTIONS, name)
    assert text.startswith("<b>") and "{{" not in text and "**" not in text and "``" not in text
    assert CATALOG[name].post.split()[-1] in text  # the post figure it reproduces (or "new")


def test_caption_markup_and_escaping(tmp_path):
    path = tmp_path / "c.rst"
    path.write_text('{% if snakemake.wildcards.figure == "a" %}**A <b>.** see ``x < 1``\n  and more.{% endif %}\n')
    assert page.caption(path, "a") == "<b>A &lt;b&gt;.</b> see <code>x &lt; 1</code> and more."
    assert page.caption(path, "b") == ""


def test_the_landing_page_links_every_study(tmp_path):
    (tmp_path / "tiny/designs").mkdir(parents=True)
    for f in ("tiny/index.html", "tiny/designs/index.html", "tiny/report.zip"):
        (tmp_path / f).write_text("x")
    assert landing.studies(tmp_path) == [{"name": "tiny", "zip": True, "pages": ["designs/index.html"]}]
    text = landing.render(landing.studies(tmp_path), {"git commit of the page": "abc (dirty: 0)"})
    assert 'href="tiny/designs/index.html"' in text and 'href="tiny/report.zip"' in text and "abc (dirty: 0)" in text
