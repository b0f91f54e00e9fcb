"""The designs page's figures: the capacity frontier per design and the per-layer curves at
matched settings (numbers from `analysis.designs`; docs/designs.md)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..analysis.designs import CURVE_FLOOR, CURVE_VARIABLES, Slice, pretty, sorted_designs
from .style import LABELS, RC, errorbars, integer_ticks, png

BELOW_RANGE = 0.8  # a sweep whose smallest T fails is drawn at this fraction of that T
REFERENCE_STYLES = ("--", ":", "-.")  # one line style per circuit width's T₀


def frontier_figure(summary: pd.DataFrame, ref: Slice) -> bytes:
    """Capacity T* against z per design, one panel per (D, L) of the reference allocation and S
    (`summary`: the frontier summary); error bars: 95 % CI over seeds; open markers: bounds (the
    largest tested T still works, or the smallest already fails); grey lines: the
    no-superposition reference T₀ = D/d of each circuit width d present (columns d_circuit, t0 of
    `analysis.designs.with_reference`, when the summary has them). PNG bytes."""
    s = summary[(summary["allocation"] == ref.allocation) & (summary["redundancy"] == ref.redundancy)]
    keys = sorted(s.groupby(["d_model", "n_layers"]).groups)
    designs = sorted_designs(s["design"])
    with plt.rc_context(RC):
        fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4.6 * max(1, len(keys)), 3.8), squeeze=False)
        for ax, (D, L) in zip(axes[0], keys):
            for i, d in enumerate(designs):
                g = s[(s["d_model"] == D) & (s["n_layers"] == L) & (s["design"] == d)].sort_values("n_active")
                if g.empty:
                    continue
                x = g["n_active"] + (i - len(designs) / 2) * 0.05  # designs side by side at each z
                y = g["capacity"].where(g["status"] != "below_range", g["t_min"] * BELOW_RANGE)
                err = errorbars(g["capacity"], g["capacity_lo"], g["capacity_hi"])
                line = ax.errorbar(x, y, yerr=err, marker="o", ms=4, capsize=2, lw=1.2, label=pretty(d))
                bound = g["status"] != "ok"
                ax.scatter(x[bound], y[bound], s=60, facecolors="none", edgecolors=line[0].get_color(), zorder=5)
            if "t0" in s:
                panel = s[(s["d_model"] == D) & (s["n_layers"] == L)]
                for k, (d, t0) in enumerate(sorted({(int(a), int(b)) for a, b in zip(panel["d_circuit"], panel["t0"])})):
                    ax.axhline(t0, color="0.4", lw=1.0, ls=REFERENCE_STYLES[k % len(REFERENCE_STYLES)], zorder=1)
                    ax.annotate(f"T₀ = D/d = {t0} (d = {d})", (0.02, t0), xycoords=("axes fraction", "data"), fontsize=7,
                                color="0.3", va="bottom")
            ax.set_yscale("log")
            ax.set_xlabel(LABELS["n_active"])
            ax.set_title(f"D = {D}, L = {L}")
            ax.set_xticks(sorted(int(z) for z in s["n_active"].unique()))
            ax.grid(alpha=0.3, which="both")
        axes[0][0].set_ylabel("capacity T* (largest working T)")
        axes[0][-1].legend(fontsize=7, loc="upper right")
        fig.suptitle("Capacity frontier (open circle: bound — the largest tested T works, or the smallest fails; "
                     "grey: no superposition, T₀ = D/d)", fontsize=9)
    return png(fig)


def curves_figure(cur: pd.DataFrame) -> bytes:
    """Per-layer mean error of x, false-on and failed-rotation rates per design, one row of
    panels per matched setting (`cur`: `analysis.designs.curves`); values below CURVE_FLOOR are
    drawn at it; a note instead when no setting matched (e.g. the baseline below every tested T).
    PNG bytes."""
    keys = ["d_model", "n_circuits", "n_layers", "n_active"]
    settings = cur[keys].drop_duplicates().to_dict("records") if set(keys) <= set(cur.columns) else []
    if not settings:
        with plt.rc_context(RC):
            fig, ax = plt.subplots(figsize=(6, 1.2))
            ax.axis("off")
            ax.text(0.5, 0.5, "no matched setting: the baseline ran no T at the comparison's S and z", ha="center", va="center", fontsize=9)
            return png(fig)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(settings), 3, figsize=(13, 3.0 * len(settings)), squeeze=False)
        for panels, s in zip(axes, settings):
            g = cur[(cur["d_model"] == s["d_model"]) & (cur["n_circuits"] == s["n_circuits"])
                    & (cur["n_layers"] == s["n_layers"]) & (cur["n_active"] == s["n_active"])]
            for ax, var in zip(panels, CURVE_VARIABLES):
                for d in sorted_designs(g["design"]):
                    h = g[g["design"] == d].sort_values("layer")
                    ax.plot(h["layer"], h[var].clip(lower=CURVE_FLOOR), marker="o", ms=3, label=pretty(d))
                ax.set_yscale("log")
                ax.set_title(f"{var}: D={s['d_model']}, T={s['n_circuits']}, L={s['n_layers']}, z={s['n_active']}", fontsize=8)
                ax.set_xlabel(LABELS["layer"])
                integer_ticks(ax, g["layer"])
                ax.grid(alpha=0.3, which="both")
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
    return png(fig)
