"""Rule `landing`: reports/index.html, linking every study page present under reports/.

Shared by all studies, the landing page is not a declared output: this study's job rewrites it
(atomically, under a lock) and declares only its own mark reports/<study>/.landing.
"""
from cisim import report

report.refresh_landing(snakemake.params.root, snakemake.output[0])
