"""Rule `landing`: reports/index.html, linking every study page present under reports/.

Shared by all studies, the landing page is not a declared output: this study's job rewrites it
(atomically, under a lock) and declares only its own mark reports/<study>/.landing.
"""
from pathlib import Path

from cisim.pages import landing

mark = Path(snakemake.output[0])
landing.refresh(mark.parents[1], mark, repo=".")  # reports/<study>/.landing → reports/
