"""Report figures: `FIGURES[name](ds, report_cfg) -> matplotlib Figure`, `png(fig) -> bytes`, no file I/O.

`ds` is the gathered summary (`cisim.datasets.read_summary`), `report_cfg` the composed
config's `report` group (main_point, scaling_grid, thresholds). Tables come from
`cisim.datasets.tidy` via the selection helpers of `analysis.tables`; the theme, palettes and
statistics settings live in `plots.style`.
Figures 1–7 (main network) are in `plots.main`, Figures 8–11 and the rates in `plots.scaling`;
`plots.catalog` lists them all without importing matplotlib. Captions are not kept here: each
figure's caption is its entry in workflow/report/plot.rst (Snakemake report and page alike).
"""

from .catalog import CATALOG

__all__ = ["CATALOG", "FIGURES", "RC", "SAVEFIG", "STATS", "png"]


def __getattr__(name: str):
    # The drawing code (matplotlib, seaborn) loads on first use, so that listing the figures
    # (`CATALOG`, read when the Snakefile is parsed) stays cheap.
    if name in ("FIGURES", "RC", "SAVEFIG", "STATS", "png"):
        from . import main, scaling, style  # noqa: F401  (importing main and scaling registers the figures)

        return getattr(style, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
