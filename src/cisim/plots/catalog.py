"""The report's figures by name, in the post's order: category and post figure, no drawing code.

Importing this module costs nothing (no matplotlib), so the workflow can list the figures when
the Snakefile is parsed; `style.figure(name)` registers each drawing function under its entry.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    category: str  # section of the Snakemake report
    post: str  # the post's figure it reproduces ("new" when it has none)


CATALOG: dict[str, Entry] = {
    "trajectories": Entry("Main network", "Figs 1, 4"),
    "true_rotations": Entry("Main network", "Fig 2"),
    "step_function": Entry("Main network", "Fig 3"),
    "errors_x": Entry("Main network", "Fig 5"),
    "errors_alpha": Entry("Main network", "Fig 6"),
    "active_fraction": Entry("Main network", "Fig 7"),
    "scaling_active_x": Entry("Scaling grid", "Fig 8"),
    "scaling_inactive_x": Entry("Scaling grid", "Fig 9"),
    "scaling_active_alpha": Entry("Scaling grid", "Fig 10"),
    "scaling_inactive_alpha": Entry("Scaling grid", "Fig 11"),
    "rates": Entry("Failure rates", "new"),
}
