"""Numbers for the static report page, computed from the gathered summary, and the page itself.

Every function takes the summary Dataset (`cisim.datasets.read_summary`) and the composed
config's `report` group and returns plain dicts / DataFrames; `render_index` turns them into
`reports/<study>/index.html` (figures embedded as base64 PNG). No number on the page is typed
in by hand: each sentence is filled from these functions.

Spread over seeds: mean and a 95 % percentile-bootstrap CI of the mean (`mean_ci`, fixed seed,
the same settings as the figures' `plots.STATS`).
"""

from __future__ import annotations

import base64
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment

from . import datasets, files, theory
from .config import to_json
from .analysis.criteria import Criteria, margins, works
from .analysis.stats import mean_ci
from .analysis.tables import d_circuit, in_grid, main_table, network

MAIN_VARIABLES = ["mse_x_active", "mse_x_inactive", "mse_alpha_active", "mse_alpha_inactive", "max_x_active"]
RUN_DIMS = ("point", "seed", "n_active")


def fmt(x) -> str:
    """The one number format of the page (3 significant digits; "–" for missing)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.3g}"


def fmt_threshold(x) -> str:
    """A working threshold: "none" when even the lowest load fails (NaN)."""
    return "none" if x != x else fmt(x)


# ---------------------------------------------------------------- main network
def main_errors(ds, cfg) -> pd.DataFrame:
    """Per (n_active, layer ≥ 1) of the main point: mean, CI over seeds and theory of each metric.

    Columns: n_active, layer, <var>, <var>_lo, <var>_hi for MAIN_VARIABLES, and
    theory_mse_x_active (eq 6.55), theory_mse_inactive (z·ε, eqs 6.43 and 6.57).
    """
    df = main_table(ds, MAIN_VARIABLES, cfg)
    net, d = network(df), d_circuit(ds)
    rows = []
    for (z, layer), g in df[df["layer"] >= 1].groupby(["n_active", "layer"]):
        row = {"n_active": int(z), "layer": int(layer)}
        for var in MAIN_VARIABLES:
            row[var], row[f"{var}_lo"], row[f"{var}_hi"] = mean_ci(g[var])
        args = (net["d_model"], net["n_circuits"], net["redundancy"], z)
        row["theory_mse_x_active"] = float(theory.mse_x_active(*args, layer, d_circuit=d))
        row["theory_mse_inactive"] = float(theory.mse_inactive(*args, d_circuit=d))
        rows.append(row)
    return pd.DataFrame(rows)


def last_layer_below(layers, values, limit) -> int:
    """Last layer l ≥ 1 such that values stay below `limit` at every layer 1..l (0 if none)."""
    last = 0
    for layer, v in sorted(zip(layers, values)):
        if layer < 1:
            continue
        if not v < limit:
            break
        last = int(layer)
    return last


def main_claims(ds, cfg) -> pd.DataFrame:
    """The post's §6 statements about Figs 5–7, measured, one row per n_active.

    mean_ok_through: last layer with E‖δx‖² < 1 (the average circuit beats guessing 0);
    worst_ok_through: last layer with max ‖δx‖ < 1 in every seed (every sampled circuit does);
    ratio_to_theory: measured / eq 6.55 at the last layer; active_fraction (mean over blocks
    and seeds) at the last layer against z·S·d/D.
    """
    errors = main_errors(ds, cfg)
    worst = main_table(ds, ["max_x_active"], cfg).groupby(["n_active", "layer"])["max_x_active"].max().reset_index()
    frac = main_table(ds, ["active_fraction"], cfg, ("point", "seed", "n_active", "layer", "block"))
    net, d = network(frac), d_circuit(ds)
    rows = []
    for z, g in errors.groupby("n_active"):
        w = worst[worst["n_active"] == z]
        last = g[g["layer"] == g["layer"].max()].iloc[0]
        f = frac[(frac["n_active"] == z) & (frac["layer"] == last["layer"])]["active_fraction"].mean()
        rows.append({
            "n_active": int(z),
            "n_layers": int(last["layer"]),
            "mean_ok_through": last_layer_below(g["layer"], g["mse_x_active"], 1.0),
            "worst_ok_through": last_layer_below(w["layer"], w["max_x_active"], 1.0),
            "mse_x_active_last": float(last["mse_x_active"]),
            "theory_last": float(last["theory_mse_x_active"]),
            "ratio_to_theory": float(last["mse_x_active"] / last["theory_mse_x_active"]) if last["theory_mse_x_active"] > 0 else math.nan,
            "active_fraction_last": float(f),
            "expected_active_fraction": float(theory.expected_active_fraction(net["d_model"], net["redundancy"], z, d_circuit=d)),
        })
    return pd.DataFrame(rows)


def chi_settings(ds, cfg) -> dict:
    """How the main network's suppression constant χ was built: chi_convention ("post": pairs
    t ≠ u, post eq 5.24; "published": pairs t < u, the authors' code; docs/reproduction.md) and
    chi_scale. Summaries gathered before the convention was recorded used "post"."""
    df = main_table(ds, ["mse_x_active"], cfg)
    row = df.iloc[0]
    convention = row["chi_convention"] if "chi_convention" in df else ds.attrs.get("chi_convention", datasets.DEFAULT_CHI_CONVENTION)
    return {"chi_convention": str(convention), "chi_scale": float(row["chi_scale"]) if "chi_scale" in df else 1.0}


# ---------------------------------------------------------------- working threshold
def threshold_from(loads, works) -> tuple[float, float]:
    """(largest load L such that every point with load ≤ L works, smallest failing load).

    Points with equal load form one level, which works only if all of them do. NaN for the
    threshold if the lowest level fails; NaN for the failure if no level fails.
    """
    levels = pd.Series(list(works), index=list(loads), dtype=bool).groupby(level=0).all().sort_index()
    failing = levels.index[~levels.to_numpy()]
    first_fail = float(failing[0]) if len(failing) else math.nan
    below = levels.index[levels.index < first_fail] if len(failing) else levels.index
    return (float(below[-1]) if len(below) else math.nan), first_fail


def working_thresholds(ds, cfg) -> pd.DataFrame:
    """Per n_active on the scaling grid: the largest superposition_load up to which every point
    works (`analysis.criteria.works`) at layers 1..through_layer, judged on the seed-mean metrics
    (and per seed for the seed columns). Diverged runs do not work; points shallower than
    through_layer are left out.

    Columns: n_active, n_points, threshold and first_failure (from the seed-mean metrics),
    seed_thresholds (dict seed → threshold), seed_min (NaN if some seed has no working point),
    seed_max, max_load (largest load tested).
    """
    top = cfg["through_layer"]
    df = datasets.tidy(ds, ["mse_x_active", "false_on_rate"])
    runs = datasets.tidy(ds, ["diverged"], RUN_DIMS).dropna(subset=["diverged"])  # the runs that exist
    df = df[in_grid(df, cfg["scaling_grid"])].merge(runs[["point", "seed", "n_active", "diverged"]], on=["point", "seed", "n_active"])
    df = df[(df["layer"] >= 1) & (df["layer"] <= top) & (df["n_layers"] >= top)]
    if df.empty:
        raise ValueError(f"report.scaling_grid={cfg['scaling_grid']!r} has no runs with layers 1..{top} (report.through_layer)")
    crit = Criteria.from_report(cfg)
    keys = ["point", "superposition_load", "n_active"]
    per_seed = margins(df, crit, [*keys, "seed"], through_layer=top)
    per_seed["ok"] = works(per_seed["r"])
    mean = df.groupby([*keys, "layer", "n_layers"])[["mse_x_active", "false_on_rate", "diverged"]].mean().reset_index()
    pooled = margins(mean, crit, keys, through_layer=top)
    pooled["ok"] = works(pooled["r"])
    rows = []
    for z, g in pooled.groupby("n_active"):
        threshold, first_fail = threshold_from(g["superposition_load"], g["ok"])
        s = per_seed[per_seed["n_active"] == z]
        seeds = {int(k): threshold_from(v["superposition_load"], v["ok"])[0] for k, v in s.groupby("seed")}
        vals = np.array(list(seeds.values()))
        rows.append({
            "n_active": int(z), "n_points": int(g["point"].nunique()), "threshold": threshold, "first_failure": first_fail,
            "seed_thresholds": seeds,
            "seed_min": float(vals.min()),  # NaN if some seed has no working point
            "seed_max": float(np.nanmax(vals)) if np.isfinite(vals).any() else math.nan,
            "max_load": float(g["superposition_load"].max()),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- runs and provenance
def diverged_runs(ds) -> pd.DataFrame:
    """Runs with NaN/Inf activations: point, seed, n_active, first_layer (first non-finite layer)."""
    counts = datasets.tidy(ds, ["nonfinite_count"]).dropna(subset=["nonfinite_count"])
    runs = datasets.tidy(ds, ["diverged"], RUN_DIMS)
    bad = runs[runs["diverged"] > 0][["point", "seed", "n_active"]]
    first = counts[counts["nonfinite_count"] > 0].groupby(["point", "seed", "n_active"])["layer"].min().rename("first_layer").reset_index()
    out = bad.merge(first, on=["point", "seed", "n_active"], how="left")
    return out.sort_values(["point", "seed", "n_active"]).reset_index(drop=True)


def provenance(ds, cfg) -> dict:
    """Where the numbers come from: commits, config hashes, seeds, backend, versions."""
    runs = datasets.tidy(ds, ["diverged"], RUN_DIMS).dropna(subset=["diverged"])
    cfg_json = to_json(cfg)
    return {
        "title": ds.attrs.get("title", ""),
        "git_commits": sorted(runs["git_commit"].unique()),
        "git_dirty": ds.attrs.get("git_dirty", "mixed (differs between runs)"),
        "config_sha256": sorted(runs["config_sha256"].unique()),
        "n_points": int(runs["point"].nunique()),
        "seeds": sorted(int(s) for s in runs["seed"].unique()),
        "backend": ds.attrs.get("backend", "mixed"),
        "versions": {k: v for k, v in ds.attrs.items() if k.endswith("_version") or k == "source"},
        "report_config": cfg_json,
        "report_config_sha256": hashlib.sha256(cfg_json.encode()).hexdigest(),
    }


# ---------------------------------------------------------------- page
TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cisim: {{ study }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.l { text-align: left; } code { font-size: 0.9em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; } figcaption { color: #444; }
.warn { color: #a30; }
</style></head><body>
<h1>Rotations in superposition: study <code>{{ study }}</code></h1>
<p>Reproduction of Linsefors &amp; Bushnaq, <em>Rotations in Superposition</em> (2025). Every number on
this page is computed from <code>data/{{ study }}/summary.nc</code>; the seed spread is the mean with a
95&nbsp;% bootstrap CI over {{ prov.seeds|length }} seeds ({{ prov.seeds|join(", ") }}).</p>

<h2>Main network</h2>
<p>D = {{ net.d_model }}, T = {{ net.n_circuits }}, S = {{ net.redundancy }}, L = {{ net.n_layers }};
χ convention <code>{{ chi.chi_convention }}</code> ({{ "pairs t < u, as the published code" if chi.chi_convention == "published"
else "pairs t ≠ u, post eq 5.24" }}), χ scale {{ f(chi.chi_scale) }}.</p>
<ul>
{% for c in claims %}
<li>n_active z = {{ c.n_active }}:
{% if c.mean_ok_through %}the average active circuit beats guessing x = 0 (E‖δx‖² &lt; 1) through layer {{ c.mean_ok_through }} of {{ c.n_layers }};
{% else %}the average active circuit is no better than guessing x = 0 (E‖δx‖² ≥ 1) already at layer 1;
{% endif %}
{% if c.worst_ok_through %}every sampled active circuit in every seed does (max ‖δx‖ &lt; 1) through layer {{ c.worst_ok_through }}.
{% else %}at least one sampled active circuit has max ‖δx‖ ≥ 1 already at layer 1.
{% endif %}
At layer {{ c.n_layers }} the MSE of x is {{ f(c.mse_x_active_last) }}, {{ f(c.ratio_to_theory) }}× the eq 6.55
prediction {{ f(c.theory_last) }}, and a fraction {{ f(c.active_fraction_last) }} of the neurons is active, against
z·S·d/D = {{ f(c.expected_active_fraction) }} without noise.</li>
{% endfor %}
</ul>
<table><tr><th>z</th><th>layer</th><th>mse_x_active</th><th>95 % CI</th><th>theory (6.55)</th>
<th>mse_x_inactive</th><th>95 % CI</th><th>theory z·ε</th><th>mse_alpha_active</th><th>mse_alpha_inactive</th><th>max_x_active</th></tr>
{% for r in errors %}
<tr><td>{{ r.n_active }}</td><td>{{ r.layer }}</td><td>{{ f(r.mse_x_active) }}</td><td>[{{ f(r.mse_x_active_lo) }}, {{ f(r.mse_x_active_hi) }}]</td>
<td>{{ f(r.theory_mse_x_active) }}</td><td>{{ f(r.mse_x_inactive) }}</td><td>[{{ f(r.mse_x_inactive_lo) }}, {{ f(r.mse_x_inactive_hi) }}]</td>
<td>{{ f(r.theory_mse_inactive) }}</td><td>{{ f(r.mse_alpha_active) }}</td><td>{{ f(r.mse_alpha_inactive) }}</td><td>{{ f(r.max_x_active) }}</td></tr>
{% endfor %}
</table>

<h2>Working threshold on the scaling grid</h2>
<p>A point works when, at every layer 1–{{ cfg.through_layer }}, the false-on rate stays below
{{ f(cfg.false_on_threshold) }} and mse_x_active below {{ f(cfg.mse_threshold) }}, and nothing diverged.
The working threshold is the largest superposition_load T(d/D)² up to which every point works.</p>
<ul>
{% for t in thresholds %}
<li>z = {{ t.n_active }}:
{% if t.threshold != t.threshold %}no scaling point works, the lowest load {{ f(t.first_failure) }} already fails.
{% elif t.first_failure != t.first_failure %}all {{ t.n_points }} points work, up to the largest load tested, {{ f(t.threshold) }}.
{% else %}every point works up to T(d/D)² = {{ f(t.threshold) }}; the first failing point is at {{ f(t.first_failure) }}.
{% endif %}
Per seed: {% for s, v in t.seed_thresholds.items() %}seed {{ s }}: {{ thr(v) }}{{ "; " if not loop.last else "." }}{% endfor %}</li>
{% endfor %}
</ul>
<p>"none": even the lowest load fails; first failure "–": no point fails.</p>
<table><tr><th>z</th><th>points</th><th>working threshold</th><th>first failure</th><th>seed min</th><th>seed max</th><th class="l">per seed</th></tr>
{% for t in thresholds %}
<tr><td>{{ t.n_active }}</td><td>{{ t.n_points }}</td><td>{{ thr(t.threshold) }}</td><td>{{ f(t.first_failure) }}</td><td>{{ thr(t.seed_min) }}</td><td>{{ thr(t.seed_max) }}</td>
<td class="l">{% for s, v in t.seed_thresholds.items() %}seed {{ s }}: {{ thr(v) }}{% if not loop.last %}; {% endif %}{% endfor %}</td></tr>
{% endfor %}
</table>

<h2>Diverged runs</h2>
{% if diverged %}
<p class="warn">{{ diverged|length }} run(s) produced NaN or Inf activations; their metrics count as failures.</p>
<table><tr><th class="l">point</th><th>seed</th><th>z</th><th>first non-finite layer</th></tr>
{% for r in diverged %}<tr><td class="l">{{ r.point }}</td><td>{{ r.seed }}</td><td>{{ r.n_active }}</td><td>{{ f(r.first_layer) }}</td></tr>
{% endfor %}</table>
{% else %}
<p>No run produced NaN or Inf activations.</p>
{% endif %}

<h2>Figures</h2>
{% for name, fig in figures.items() %}
<figure id="{{ name }}"><img alt="{{ name }}" src="data:image/png;base64,{{ fig.png }}">
<figcaption><b>{{ name }}</b> ({{ fig.post }}): {{ fig.caption }}</figcaption></figure>
{% endfor %}

<h2>Provenance</h2>
<table>
<tr><td class="l">study</td><td class="l">{{ study }} ({{ prov.title }}), {{ prov.n_points }} points</td></tr>
<tr><td class="l">git commit of the runs</td><td class="l">{{ prov.git_commits|join(", ") }} (dirty: {{ prov.git_dirty }})</td></tr>
{% for k, v in extra.items() %}<tr><td class="l">{{ k }}</td><td class="l">{{ v }}</td></tr>
{% endfor %}
<tr><td class="l">seeds</td><td class="l">{{ prov.seeds|join(", ") }}</td></tr>
<tr><td class="l">backend</td><td class="l">{{ prov.backend }}</td></tr>
<tr><td class="l">versions</td><td class="l">{% for k, v in prov.versions.items() %}{{ k }} {{ v }}{% if not loop.last %}; {% endif %}{% endfor %}</td></tr>
<tr><td class="l">report config</td><td class="l"><code>{{ prov.report_config }}</code> (sha256 {{ prov.report_config_sha256[:12] }})</td></tr>
<tr><td class="l">run config sha256 ({{ prov.config_sha256|length }})</td><td class="l"><details><summary>show</summary>
{% for h in prov.config_sha256 %}{{ h }}<br>{% endfor %}</details></td></tr>
</table>
</body></html>
"""


def render_index(ds, cfg, study: str, figures: dict | None = None, extra: dict | None = None) -> str:
    """The static page. figures: {name: (png bytes, post figure, caption)}; extra: more
    provenance rows (e.g. the commit that rendered the page)."""
    errors = main_errors(ds, cfg)
    net = network(main_table(ds, ["mse_x_active"], cfg))
    figs = {name: {"png": base64.b64encode(png).decode(), "post": post, "caption": caption}
            for name, (png, post, caption) in (figures or {}).items()}
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE).render(
        study=study, cfg=cfg, net=net, chi=chi_settings(ds, cfg), f=fmt, thr=fmt_threshold,
        claims=main_claims(ds, cfg).to_dict("records"),
        errors=errors.to_dict("records"),
        thresholds=working_thresholds(ds, cfg).to_dict("records"),
        diverged=diverged_runs(ds).to_dict("records"),
        prov=provenance(ds, cfg), figures=figs, extra=extra or {},
    )


LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cisim reports</title>
<style>body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;line-height:1.5}</style></head>
<body><h1>cisim reports</h1>
<p>One page per study that has been run here; each is generated from its gathered dataset
<code>data/&lt;study&gt;/summary.nc</code>. The Snakemake report of a study (<code>report.zip</code>)
sits next to its page once published with <code>snakemake --config study=&lt;study&gt; --report reports/&lt;study&gt;/report.zip</code>.</p>
<ul>{% for s in studies %}
<li><a href="{{ s.name }}/index.html">{{ s.name }}</a>{% if s.zip %} · <a href="{{ s.name }}/report.zip">report.zip</a>{% endif %}{% if s.pages %} · {% for p in s.pages %}<a href="{{ s.name }}/{{ p }}">{{ p }}</a> {% endfor %}{% endif %}</li>
{% endfor %}</ul></body></html>
"""


def render_landing(studies: list[dict]) -> str:
    """reports/index.html: links to every study page. studies: [{name, zip: bool, pages: [other .html]}]."""
    return Environment(autoescape=True).from_string(LANDING).render(studies=studies)


def landing_studies(root: Path) -> list[dict]:
    """The studies with a page under `root` (reports/): [{name, zip, pages}], pages being the study's
    other pages relative to its folder (e.g. "designs/index.html"), sorted."""
    return [
        {"name": d.name, "zip": (d / "report.zip").exists(),
         "pages": sorted(p.relative_to(d).as_posix() for p in [*d.glob("*.html"), *d.glob("*/index.html")] if p != d / "index.html")}
        for d in sorted(root.iterdir())
        if d.is_dir() and (d / "index.html").exists()
    ]


def refresh_landing(root, mark) -> Path:
    """Rewrite `root`/index.html from the study pages present under `root`; returns its path.

    The landing page is shared by every study, so it is no rule's declared output (Snakemake would
    lock it for one study at a time): each study's `landing` job rewrites it atomically, under an
    exclusive lock on `root`/.landing.lock so that two studies finishing together both end up
    listed, and writes its own `mark` (reports/<study>/.landing: the checksum line of the page it wrote).
    """
    root = Path(root)
    page = root / "index.html"
    with files.locked(root / ".landing.lock"):
        files.write_bytes(page, render_landing(landing_studies(root)).encode())
        line = files.checksum_line(page).replace(f"  {page.name}", f"  {page.as_posix()}")
    files.write_bytes(mark, line.encode())
    return page
