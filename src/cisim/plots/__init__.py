"""Report figures: `FIGURES[name](ds, report_cfg) -> matplotlib Figure`, no file I/O.

`ds` is the gathered summary (`cisim.datasets.read_summary`), `report_cfg` the composed
config's `report` group (main_point, scaling_grid, thresholds). Tables come from
`cisim.datasets.tidy` via the selection helpers of `plots.tables`; the theme, palettes and
statistics settings live in `plots.style`.
Figures 1–7 (main network) are in `plots.main`, Figures 8–11 and the rates in `plots.scaling`.
"""

from . import main, scaling  # noqa: F401  (registers the figures)
from .style import FIGURES, RC, SAVEFIG, STATS

__all__ = ["FIGURES", "RC", "SAVEFIG", "STATS"]
