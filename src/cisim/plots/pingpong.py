"""Figures of the static-vs-dynamic and ping-pong pages (docs/cross_circuit.md §2–4), as PNG bytes.

Inputs are the tables of `cisim.analysis.pingpong` and `cisim.analysis.computed`; every figure is drawn in the one theme
(`style.RC`) and returned by `style.png`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import style
from ..analysis.computed import KINDS as COMPUTED_KINDS
from ..analysis.pingpong import CURVE_VARS

KINDS = {"static": "static (known from the start)", "permutation": "dynamic (permutation routing)"}


def dynamic_capacity(summary: pd.DataFrame, title: str) -> bytes:
    """Capacity T* against z, static vs dynamic, one panel per (D, L); bars: 95 % CI over seeds."""
    panels = sorted(summary.groupby(["d_model", "n_layers"]).groups)
    with plt.rc_context(style.RC):
        fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(4.8 * max(1, len(panels)), 3.6), squeeze=False)
        for ax, (D, L) in zip(axes[0], panels):
            for k, (color, dx) in {"static": (style.CB[0], -0.06), "permutation": (style.CB[3], 0.06)}.items():
                g = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["kind"] == k)].sort_values("n_active")
                if g.empty:
                    continue
                y = g["capacity"].to_numpy(float)
                ax.errorbar(g["n_active"].to_numpy(float) + dx, y,
                            yerr=style.errorbars(y, g["capacity_lo"].to_numpy(float), g["capacity_hi"].to_numpy(float)),
                            fmt="o-", color=color, capsize=3, label=KINDS[k])
            ax.set(xlabel=style.LABELS["n_active"], ylabel="capacity T*", title=f"D = {D}, L = {L}", yscale="log")
            style.integer_ticks(ax, summary["n_active"])
            ax.legend(fontsize=8)
        fig.suptitle(title, fontsize=10)
        return style.png(fig)


def computed_capacity(summary: pd.DataFrame) -> bytes:
    """Capacity T* against z of the computed grid's three designs, one panel per (D, L), with the
    no-superposition reference T₀ = D/d of each circuit width (dotted); bars: 95 % CI over seeds."""
    panels = sorted(summary.groupby(["d_model", "n_layers"]).groups)
    colors = {"baseline": style.CB[0], "static": style.CB[2], "computed": style.CB[3]}
    with plt.rc_context(style.RC):
        fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(4.8 * max(1, len(panels)), 3.6), squeeze=False)
        for ax, (D, L) in zip(axes[0], panels):
            for i, (k, label) in enumerate(COMPUTED_KINDS.items()):
                g = summary[(summary["d_model"] == D) & (summary["n_layers"] == L) & (summary["kind"] == k)].sort_values("n_active")
                if g.empty:
                    continue
                y = g["capacity"].to_numpy(float)
                ax.errorbar(g["n_active"].to_numpy(float) + 0.06 * (i - 1), y,
                            yerr=style.errorbars(y, g["capacity_lo"].to_numpy(float), g["capacity_hi"].to_numpy(float)),
                            fmt="o-", color=colors[k], capsize=3, label=label)
            widths = summary[summary["d_model"] == D].groupby("d_circuit")["kind"].first()  # each width's first design
            for d, k in widths.items():
                ax.axhline(D / d, color=colors[k], ls=":", lw=1, label=f"no superposition, D/{d}")
            ax.set(xlabel=style.LABELS["n_active"], ylabel="capacity T*", title=f"D = {D}, L = {L}", yscale="log")
            style.integer_ticks(ax, summary["n_active"])
            ax.legend(fontsize=7)
        fig.suptitle("Capacity T* at equal D: computed vs static activity", fontsize=10)
        return style.png(fig)


def dynamic_layers(curves: pd.DataFrame) -> bytes:
    """CURVE_VARS per layer, one row of panels per (D, where): solid static, dashed dynamic, colour z."""
    panels = sorted({(D, w) for D, w in zip(curves["d_model"], curves["where"])}, key=lambda p: (p[0], p[1] != "capacity"))
    zs = sorted(curves["n_active"].unique())
    colors = style.z_palette(zs)
    with plt.rc_context(style.RC):
        fig, axes = plt.subplots(len(panels), len(CURVE_VARS), figsize=(4.3 * len(CURVE_VARS), 3.0 * len(panels)), squeeze=False)
        for r, (D, where) in enumerate(panels):
            for c, var in enumerate(CURVE_VARS):
                ax = axes[r, c]
                for z in zs:
                    for k, ls in (("static", "-"), ("permutation", "--")):
                        g = curves[(curves["d_model"] == D) & (curves["where"] == where) & (curves["n_active"] == z)
                                   & (curves["kind"] == k)].sort_values("layer")
                        if g.empty:
                            continue
                        ax.plot(g["layer"], g[var], ls, marker="o", color=colors[int(z)],
                                label=f"z={z}, T={int(g['n_circuits'].iloc[0])}, {'static' if k == 'static' else 'dynamic'}")
                label = "at the static capacity" if where == "capacity" else "one tested T above it"
                ax.set(title=f"D = {D}, {label}: {var}", xlabel=style.LABELS["layer"])
                style.integer_ticks(ax, curves["layer"])
                ax.title.set_fontsize(9)
                ax.set_yscale("symlog", linthresh=1e-5 if "rate" in var else 1e-3)
                ax.set_ylim(bottom=0)
                if c == 0:
                    ax.legend(fontsize=6)
        fig.tight_layout()
        return style.png(fig)


def pingpong_capacity(z1: pd.DataFrame) -> bytes:
    """Circuits at z = 1 per D: ping-pong's exact (D/d)² against the baseline's T* (95 % CI).
    `z1`: the z = 1 rows of `analysis.pingpong.equal_d`."""
    with plt.rc_context(style.RC):
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        x = np.arange(len(z1))
        ax.bar(x - 0.2, z1["pingpong_T"], 0.4, label="ping-pong (D/d)², z = 1 (exact)", color=style.CB[2])
        y = z1["baseline_capacity"].to_numpy(float)
        ax.bar(x + 0.2, y, 0.4, yerr=style.errorbars(y, z1["baseline_lo"].to_numpy(float), z1["baseline_hi"].to_numpy(float)),
               capsize=3, label="baseline T*, z = 1", color=style.CB[0])
        ax.set(xticks=x, xticklabels=[f"D = {d}" for d in z1["d_model"]], yscale="log", ylabel="circuits")
        ax.legend(fontsize=8)
        return style.png(fig)
