"""The correction page's figure (docs/correction.md): each variant's capacity at its best S against z,
with the no-superposition reference, as PNG bytes.

Input: `cisim.analysis.correction.capacities`; drawn in the one theme (`style.RC`), returned by `style.png`.
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import style


def capacities_figure(caps: pd.DataFrame, title: str) -> bytes:
    """Capacity T* (best S) against z per variant, bars 95 % CI over seeds; open markers: lower
    bounds; dotted lines: T₀ = D/d_plain of each payload (log scale)."""
    names = list(dict.fromkeys(caps["name"]))
    palette = sns.color_palette("tab20", max(len(names), 1))  # one colour per variant (more than the 10 of style.CB)
    colors = {n: palette[i] for i, n in enumerate(names)}
    markers = dict(zip(names, itertools.cycle("osD^vP")))
    with plt.rc_context(style.RC):
        fig, ax = plt.subplots(figsize=(12, 5))
        width = 0.5 / max(1, len(names))
        for i, n in enumerate(names):
            g = caps[(caps["name"] == n) & np.isfinite(caps["capacity"])].sort_values("n_active")
            if g.empty:
                continue
            x = g["n_active"].to_numpy(float) + (i - (len(names) - 1) / 2) * width
            y = g["capacity"].to_numpy(float)
            ax.errorbar(x, y, yerr=style.errorbars(y, g["capacity_lo"].to_numpy(float), g["capacity_hi"].to_numpy(float)),
                        fmt=f"{markers[n]}-", color=colors[n], capsize=3, label=n, lw=1)
            bound = g["status"].to_numpy() == "lower_bound"
            ax.plot(x[bound], y[bound], markers[n], mfc="white", color=colors[n])
        for t0 in sorted(set(caps["t0"])):
            ax.axhline(t0, color="0.4", ls=":", lw=1)
            ax.annotate(f"T₀ = {t0:,}", (ax.get_xlim()[1], t0), fontsize=7, ha="right", va="bottom", color="0.3")
        ax.set(xlabel=style.LABELS["n_active"], ylabel="capacity T* (best S)", yscale="log", title=title)
        style.integer_ticks(ax, caps["n_active"])
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        fig.tight_layout()
        return style.png(fig)
