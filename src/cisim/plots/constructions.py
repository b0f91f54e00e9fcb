"""The constructions page's figure (docs/constructions.md), as PNG bytes: parameters needed
against z at fixed T, one panel per (T, ε), from `cisim.analysis.constructions.plane`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import style
from ..analysis.constructions import AXES, NAMES, ORDER


def parameters_vs_z(table: pd.DataFrame, axis: str = "dense_parameters") -> bytes:
    """`axis` against z (log–log) per construction; bars: 95 % CI over seeds (the measured one);
    grey dotted: a line ∝ z through the z = 1 value of the cheapest construction."""
    panels = sorted({(int(T), float(e)) for T, e in zip(table["n_circuits"], table["error"])})
    colors = {c: style.CB[i] for i, c in enumerate(ORDER)}
    with plt.rc_context(style.RC):
        fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(4.2 * max(1, len(panels)), 3.8), squeeze=False)
        for ax, (T, eps) in zip(axes[0], panels):
            g = table[(table["n_circuits"] == T) & (table["error"] == eps) & (table["status"] == "ok")]
            for c in ORDER:
                h = g[g["construction"] == c].sort_values("n_active")
                if h.empty:
                    continue
                y = h[axis].to_numpy(float)
                err = style.errorbars(y, h[f"{axis}_lo"], h[f"{axis}_hi"]) if f"{axis}_lo" in h else None
                ax.errorbar(h["n_active"].to_numpy(float), y, yerr=err, fmt="o-", ms=3, color=colors[c], capsize=2, label=NAMES[c])
            one = g[g["n_active"] == g["n_active"].min()][axis].astype(float)
            if one.notna().any():
                z = np.array(sorted(g["n_active"].unique()), float)
                ax.plot(z, one.min() * z / z[0], ":", color="grey", lw=1, label="∝ z")
            ax.set(xscale="log", yscale="log", xlabel=style.LABELS["n_active"], ylabel=AXES[axis], title=f"T = {T}, ε = {eps:g}")
            ax.set_xticks(sorted(int(v) for v in g["n_active"].unique()), labels=[str(int(v)) for v in sorted(g["n_active"].unique())])
        axes[0][0].legend(fontsize=6)
        fig.suptitle(f"{AXES[axis].capitalize()} needed for per-sample error ≤ ε at fixed T", fontsize=10)
        return style.png(fig)
