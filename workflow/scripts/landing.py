"""Rule `landing`: reports/index.html, linking every study page present under reports/."""
from pathlib import Path

from cisim import report

root = Path(snakemake.output[0]).parent
studies = [
    {"name": d.name, "zip": (d / "report.zip").exists(), "pages": sorted(p.name for p in d.glob("*.html") if p.name != "index.html")}
    for d in sorted(root.iterdir())
    if (d / "index.html").exists()
]
Path(snakemake.output[0]).write_text(report.render_landing(studies))
