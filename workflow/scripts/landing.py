"""Rule `landing`: reports/index.html, linking every study page present under reports/.

Shared by all studies, the landing page is not a declared output: this study's job rewrites it
(atomically, under a lock) and declares only its own mark reports/<study>/.landing.
"""
from pathlib import Path

from cisim import report

mark = Path(snakemake.output[0])
report.refresh_landing(mark.parents[1], mark)  # reports/<study>/.landing → reports/
