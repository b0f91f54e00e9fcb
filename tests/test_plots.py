"""Every registered figure draws from a tiny gathered summary (Agg backend, no files but tmp)."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from cisim import config, datasets, plots
from cisim.jobs.allocate import allocate_point
from cisim.jobs.simulate import simulate_point


def build_summary(tmp_path, overrides=()):
    """The pipeline's own functions, in order: allocate → simulate → run file → gather → summary."""
    cfg = config.compose("tiny", ["sim.seeds=[0,1]", "sim.n_samples=64", "sweep.grids.main.n_samples=64", *overrides])
    paths = []
    for point in config.expand_points(cfg):
        label = config.point_label(point)
        allocations, _ = allocate_point({"point": point, "seeds": cfg["sim"]["seeds"]})
        run_cfg = {"point": point, "sim": cfg["sim"], "backend": cfg["backend"], "seeds": cfg["sim"]["seeds"]}
        results, diagnostics, backend = simulate_point(run_cfg, allocations)
        attrs = datasets.provenance(config.to_json(run_cfg), backend=backend, rule="simulate")
        paths.append(tmp_path / f"{label}.nc")
        datasets.write(datasets.run_to_dataset(point, label, results, diagnostics, attrs), paths[-1])
    datasets.write(datasets.gather(paths), tmp_path / "summary.nc")
    return datasets.read_summary(tmp_path / "summary.nc"), cfg["report"]


@pytest.fixture(scope="session")
def tiny_summary(tmp_path_factory):
    return build_summary(tmp_path_factory.mktemp("tiny_summary"))


def test_headless_backend():
    assert matplotlib.get_backend().lower() == "agg"


def test_registry_lists_the_posts_figures():
    assert list(plots.FIGURES) == [
        "trajectories", "true_rotations", "step_function", "errors_x", "errors_alpha", "active_fraction",
        "scaling_active_x", "scaling_inactive_x", "scaling_active_alpha", "scaling_inactive_alpha", "rates",
    ]
    for fn in plots.FIGURES.values():
        assert fn.category and fn.post and fn.__doc__
    assert list(plots.FIGURES) == list(plots.CATALOG)  # every catalogue entry is drawn, in its order


def test_listing_the_figures_does_not_load_matplotlib():
    """The Snakefile lists the figures at parse time; matplotlib would add ~1.5 s to every start."""
    import subprocess
    import sys

    code = "import sys, cisim.plots.catalog; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.parametrize("name", list(plots.FIGURES))
def test_figure_draws(tiny_summary, name):
    ds, cfg = tiny_summary
    fig = plots.FIGURES[name](ds, cfg)
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    assert axes and all(ax.has_data() for ax in axes), f"{name} has an empty panel"
    plt.close(fig)


def test_unknown_grid_fails_with_the_grids_present(tiny_summary):
    ds, cfg = tiny_summary
    with pytest.raises(ValueError, match="no data.*main"):
        plots.FIGURES["errors_x"](ds, {**cfg, "main_point": "nonexistent"})
