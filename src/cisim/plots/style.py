"""The one theme, palettes, statistics settings, axis names and the figure registry.

Every figure function is registered with `@figure(name)` (its entry in `catalog.CATALOG`); the wrapper applies
the theme (`RC`, a matplotlib rc context, so importing this module changes no global state)
and the registry `FIGURES` maps the name to the wrapped function `(ds, report_cfg) -> Figure`.
"""

from __future__ import annotations

import functools
import io
from typing import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from cycler import cycler  # noqa: E402

from ..analysis import stats  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .catalog import CATALOG  # noqa: E402


CB = sns.color_palette("colorblind")
RC = {
    **sns.axes_style("whitegrid"),
    **sns.plotting_context("paper"),
    "axes.prop_cycle": cycler(color=CB),
    "figure.dpi": 100,
    "legend.frameon": False,
}
# savefig arguments for the plot script (rc settings do not reach a later savefig call);
# PNG without the Software entry is byte-stable across runs.
SAVEFIG = dict(format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
# z = 1 purple and z = 3 orange as in the post; z = 2 blue (the palette's red is too close to orange).
Z_COLORS = {1: CB[4], 2: CB[0], 3: CB[1], 4: CB[5], 5: CB[3], 6: CB[9]}
TRUE_COLOR = CB[2]  # true trajectories (green in the post)
THEORY = dict(linestyle="--", linewidth=1.0, alpha=0.9)
REFERENCE = dict(color="0.45", linestyle=":", linewidth=1.0)


def seed_interval(values) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of the mean over seeds: `analysis.stats.mean_ci`, the
    page tables' interval (fixed seed, all resamples drawn at once; seaborn's own "ci" draws them
    one by one in Python, 1000 calls per point)."""
    _, lo, hi = stats.mean_ci(values)
    return lo, hi


# Mean over seeds with a 95 % bootstrap CI over seeds, reproducible: the page tables' interval.
STATS = dict(estimator="mean", errorbar=seed_interval)
SYMLOG_FLOOR = 1e-3  # symlog axes are linear below this, so exact zeros stay visible

# Axis names: the glossary names, with the post's symbol after them.
LABELS = {
    "layer": "layer l",
    "n_active": "n_active z",
    "d_model": "d_model D",
    "n_circuits": "n_circuits T",
    "superposition_load": "superposition_load = T(d/D)²",
    "mse_x_active": "mse_x_active  E‖x − x̂‖²",
    "mse_x_inactive": "mse_x_inactive  E‖x̂‖²",
    "mse_alpha_active": "mse_alpha_active  E(1 − α̂)²",
    "mse_alpha_inactive": "mse_alpha_inactive  E α̂²",
    "max_x_active": "max_x_active  max ‖x − x̂‖",
    "max_x_inactive": "max_x_inactive  max ‖x̂‖",
    "max_alpha_active": "max_alpha_active  max |1 − α̂|",
    "max_alpha_inactive": "max_alpha_inactive  max |α̂|",
    "false_on_rate": "false_on_rate  P(α̂ > ½ | inactive)",
    "false_off_rate": "false_off_rate  P(α̂ < ½ | active)",
    "failed_rotation_rate": "failed_rotation_rate  P(‖δx‖ ≥ 1 | active)",
    "active_fraction": "active_fraction",
}

FIGURES: dict[str, Callable[..., Figure]] = {}


def figure(name: str):
    """Register `fn(ds, cfg) -> Figure` under `name` (an entry of `catalog.CATALOG`, which gives its
    category and post figure), drawn inside the theme."""
    category, post = CATALOG[name]

    def register(fn):
        @functools.wraps(fn)
        def wrapped(ds, cfg) -> Figure:
            with plt.rc_context(RC):
                return fn(ds, cfg)

        wrapped.category, wrapped.post = category, post
        FIGURES[name] = wrapped
        return wrapped

    return register


def png(fig: Figure) -> bytes:
    """`fig` as PNG bytes (SAVEFIG settings), closing it: what a page embeds."""
    buf = io.BytesIO()
    fig.savefig(buf, **SAVEFIG)
    plt.close(fig)
    return buf.getvalue()


def errorbars(y, lo, hi) -> np.ndarray:
    """(2, n) distances from the means `y` (n,) down to `lo` and up to `hi` (a 95 % CI), as
    matplotlib's `yerr` wants them; 0 where the interval is unknown (NaN) or does not reach past y."""
    err = np.array([np.asarray(y, float) - np.asarray(lo, float), np.asarray(hi, float) - np.asarray(y, float)])
    return np.where(np.isfinite(err), err, 0).clip(min=0)


def z_palette(zs) -> dict:
    return {int(z): Z_COLORS.get(int(z), CB[7]) for z in zs}


def symlog(ax, floor: float = SYMLOG_FLOOR) -> None:
    """Log-like y axis that keeps exact zeros (linear below `floor`); call after drawing."""
    ax.set_yscale("symlog", linthresh=floor, linscale=0.5)
    ax.autoscale(axis="y")
    ax.set_ylim(bottom=0)


def reference(ax, y: float) -> None:
    """Dotted gray horizontal reference line (explained in the figure legend)."""
    ax.axhline(y, **REFERENCE)


def integer_ticks(ax, values) -> None:
    ax.set_xticks(sorted(int(v) for v in np.unique(values)))
