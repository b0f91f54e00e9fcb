"""Helpers every page shares: one number format, tables, embedded figures, the page frame.

Pages are self-contained files (figures embedded as base64 PNG) so that a published folder can be
copied anywhere. Templates live in `templates/` beside this module and are rendered with
autoescaping: values are text unless a helper here marks them as HTML (`Markup`).
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from .. import datasets

TEMPLATES = Path(__file__).with_name("templates")
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True,
                  undefined=StrictUndefined, keep_trailing_newline=True)


def fmt(x, digits: int = 3) -> str:
    """The one number format: integers in full with thousands separators, other numbers to
    `digits` significant digits, "–" for missing (None, NaN, ±Inf)."""
    if x is None or isinstance(x, str):
        return "–" if x is None else x
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    x = float(x)
    if not math.isfinite(x):
        return "–"
    return f"{x:.{digits}g}"


def fmt_threshold(x) -> str:
    """A working threshold: "none" when even the lowest load fails (NaN)."""
    return "none" if x != x else fmt(x)


def table(df: pd.DataFrame, columns: dict | None = None, digits: int = 3) -> Markup:
    """An HTML table of `df` (index dropped). `columns`: {column: header} selects and names the
    columns shown (default: all, headed by their names). Text columns are left-aligned."""
    if columns is not None:
        df = df[list(columns)].rename(columns=columns)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    rows = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            text = v if isinstance(v, str) else fmt(v, digits)
            cls = " class='l'" if isinstance(v, str) else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return Markup(f"<table><tr>{head}</tr>{''.join(rows)}</table>")


def figure(png: bytes, caption: str, name: str = "") -> Markup:
    """A figure embedded as a base64 PNG, with its caption (and anchor `name`)."""
    anchor = f" id='{escape(name)}'" if name else ""
    data = base64.b64encode(png).decode()
    return Markup(f"<figure{anchor}><img alt='{escape(name or caption[:40])}' src='data:image/png;base64,{data}'>"
                  f"<figcaption>{escape(caption)}</figcaption></figure>")


def render(template: str, **context) -> str:
    """Render `templates/<template>` with the shared formatting functions in its context (call
    `{{ f(x) }}` for `fmt`, `{{ thr(x) }}` for `fmt_threshold`)."""
    return ENV.get_template(template).render(f=fmt, thr=fmt_threshold, **context)


def page_commit(root) -> dict:
    """The provenance row every page carries: the git commit of the checkout that rendered it."""
    commit, dirty = datasets.git_state(Path(root).resolve())
    return {"git commit of the page": f"{commit} (dirty: {dirty})"}
