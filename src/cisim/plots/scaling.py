"""Figures 8–11 (scaling over D, T and z, docs/method.md §5.3) and the failure rates.

Each figure function is `(ds, report_cfg) -> Figure`; its caption is its entry in
workflow/report/plot.rst.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from .. import theory
from .style import LABELS, STATS, THEORY, figure, integer_ticks, reference, symlog, z_palette
from ..analysis.tables import d_circuit, grid_table, main_table
from . import style

MARKERS = {True: "o", False: "^"}  # ● T > D/d (superposition strictly necessary), ▲ T ≤ D/d
REGIME = {True: "T > D/d", False: "T ≤ D/d"}
RATES = ["false_on_rate", "false_off_rate", "failed_rotation_rate"]
RATE_FLOOR = 1e-4  # rates are linear below this on their symlog axes


def d_model_palette(values) -> dict:
    values = sorted(int(v) for v in values)
    return dict(zip(values, sns.color_palette("viridis", len(values) + 1)[: len(values)]))


def layer_palette(values) -> dict:
    values = sorted(int(v) for v in values)
    return dict(zip(values, sns.color_palette("rocket_r", len(values) + 1)[1:]))


def _scaling_table(ds, variables, cfg):
    df = grid_table(ds, variables, cfg["scaling_grid"])
    df = df[df["layer"] >= 1].copy()
    d = d_circuit(ds, cfg["scaling_grid"])
    df["regime"] = [REGIME[bool(t * d > dm)] for t, dm in zip(df["n_circuits"], df["d_model"])]
    return df, d


def _theory(var, d_model, n_circuits, redundancy, z, layer, d):
    if var.endswith("inactive"):
        return theory.mse_inactive(d_model, n_circuits, redundancy, z, d_circuit=d) + 0 * n_circuits
    if var == "mse_x_active":
        return theory.mse_x_active(d_model, n_circuits, redundancy, z, layer, d_circuit=d)
    return theory.mse_alpha_active(d_model, n_circuits, redundancy, z, layer, d_circuit=d)


def _scaling(ds, cfg, var, title):
    df, d = _scaling_table(ds, [var], cfg)
    layers, zs = sorted(df["layer"].unique()), sorted(df["n_active"].unique())
    colors = d_model_palette(df["d_model"].unique())
    S = int(df["redundancy"].iloc[0])
    x_min, x_max = df["superposition_load"].min(), df["superposition_load"].max() * 1.05
    fig, axes = plt.subplots(len(layers), len(zs), figsize=(2.9 * len(zs) + 1.4, 2.5 * len(layers) + 0.4),
                             sharex=True, sharey=True, squeeze=False)
    for (i, layer), (j, z) in ((a, b) for a in enumerate(layers) for b in enumerate(zs)):
        ax = axes[i, j]
        cell = df[(df["layer"] == layer) & (df["n_active"] == z)]
        for D, color in colors.items():  # theory over the tested loads, where ε ≥ d/(3D) > 0
            T = np.linspace(max(x_min * D**2 / d**2, 1.5 * D / (d * S)), x_max * D**2 / d**2, 200)
            ax.plot(T * (d / D) ** 2, _theory(var, D, T, S, z, layer, d), color=color, **THEORY)
        sns.lineplot(data=cell, x="superposition_load", y=var, hue="d_model", palette=colors, style="regime",
                     markers={v: MARKERS[k] for k, v in REGIME.items()}, dashes=False, linestyle="", err_style="bars",
                     markersize=5, err_kws={"elinewidth": 0.8}, ax=ax, legend=False, **STATS)
        symlog(ax)
        ax.set(xlim=(0, x_max), title=f"layer {layer}, z={z}", xlabel="", ylabel="")
    for ax in axes[-1]:
        ax.set_xlabel(LABELS["superposition_load"])
        ax.tick_params(axis="x", labelrotation=30)
    for ax in axes[:, 0]:
        ax.set_ylabel(LABELS[var])
    handles = [plt.Line2D([], [], color=c, marker="s", linestyle="", label=f"D={D}") for D, c in colors.items()]
    handles += [plt.Line2D([], [], color="0.3", marker=MARKERS[k], linestyle="", label=v) for k, v in REGIME.items()]
    handles.append(plt.Line2D([], [], color="0.3", label="theory (per D)", **THEORY))
    fig.legend(handles=handles, title=LABELS["d_model"], loc="center right")
    fig.suptitle(f"{title}, S={S}: mean over seeds, 95 % CI")
    fig.tight_layout(rect=(0, 0, 1 - 1.3 / fig.get_figwidth(), 1))
    return fig


@figure("scaling_active_x")
def scaling_active_x(ds, cfg):
    """Post Fig 8: mse_x_active on the scaling grid against T(d/D)², per layer and z, with post eq 6.55."""
    return _scaling(ds, cfg, "mse_x_active", "Active circuits, rotated vector x")


@figure("scaling_inactive_x")
def scaling_inactive_x(ds, cfg):
    """Post Fig 9: mse_x_inactive on the scaling grid against T(d/D)², with post eq 6.57."""
    return _scaling(ds, cfg, "mse_x_inactive", "Inactive circuits, rotated vector x")


@figure("scaling_active_alpha")
def scaling_active_alpha(ds, cfg):
    """Post Fig 10: mse_alpha_active on the scaling grid against T(d/D)², with post eq 6.42."""
    return _scaling(ds, cfg, "mse_alpha_active", "Active circuits, on-indicator α")


@figure("scaling_inactive_alpha")
def scaling_inactive_alpha(ds, cfg):
    """Post Fig 11: mse_alpha_inactive on the scaling grid against T(d/D)², with post eq 6.43."""
    return _scaling(ds, cfg, "mse_alpha_inactive", "Inactive circuits, on-indicator α")


@figure("rates")
def rates(ds, cfg):
    """Not in the post: the RATES per layer at the main network (top) and against T(d/D)² on the
    scaling grid (bottom: rows rate, columns z, colour layer), with `report.false_on_threshold`."""
    main = main_table(ds, RATES, cfg)
    scal, _ = _scaling_table(ds, RATES, cfg)
    zs = sorted(scal["n_active"].unique())
    fig = plt.figure(figsize=(2.9 * len(zs) + 1.6, 3.4 + 2.4 * len(RATES)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.4, 2.4 * len(RATES)], hspace=0.04)
    zcolors = z_palette(sorted(main["n_active"].unique()))
    axes = top.subplots(1, len(RATES), sharey=True)
    for ax, var in zip(axes, RATES):
        sns.lineplot(data=main, x="layer", y=var, hue="n_active", palette=zcolors, marker="o", ax=ax, legend=var == RATES[-1], **STATS)
        symlog(ax, RATE_FLOOR)
        ax.set(title=LABELS[var], ylabel="rate" if var == RATES[0] else "", xlabel=LABELS["layer"])
        integer_ticks(ax, main["layer"])
    sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.02, 1), title=LABELS["n_active"])
    p = main.iloc[0]
    top.suptitle(f"Main network (D={p['d_model']}, T={p['n_circuits']}, S={p['redundancy']}) per layer: mean over seeds, 95 % CI")
    lcolors = layer_palette(scal["layer"].unique())
    grid = bottom.subplots(len(RATES), len(zs), sharex=True, sharey=True, squeeze=False)
    for (i, var), (j, z) in ((a, b) for a in enumerate(RATES) for b in enumerate(zs)):
        ax = grid[i, j]
        sns.lineplot(data=scal[scal["n_active"] == z], x="superposition_load", y=var, hue="layer", palette=lcolors, marker="o",
                     linestyle="", err_style="bars", err_kws={"elinewidth": 0.8}, ax=ax, legend=(i, j) == (0, len(zs) - 1), **STATS)
        if var == "false_on_rate":
            reference(ax, cfg["false_on_threshold"])
        symlog(ax, RATE_FLOOR)
        ax.set(title=f"{var}, z={z}", ylabel=var if j == 0 else "", xlabel=LABELS["superposition_load"] if i == len(RATES) - 1 else "")
        ax.tick_params(axis="x", labelrotation=30)
    sns.move_legend(grid[0, -1], "upper left", bbox_to_anchor=(1.02, 1), title=LABELS["layer"])
    bottom.suptitle("Scaling grid against superposition_load: mean over seeds, 95 % CI; dotted: report.false_on_threshold")
    return fig


ALONE_STYLE = {"threshold_mse": ("o", "-"), "threshold_fo": ("s", "--"), "threshold_expected_wrong": ("D", "-."),
               "threshold_seizure": ("v", ":"), "threshold_neurons": ("x", (0, (5, 1)))}  # each criterion alone: marker, line


def threshold_vs_d(seeds, bands, theory_curve, mse_threshold: float) -> bytes:
    """The scaling page's figure as PNG bytes: the working threshold on superposition_load
    T(d/D)² against D, per L (columns) and z (colour). Top: the applied criteria (`report.criteria`) (dots: seeds, ▲ lower
    bounds; line and shade: the fit ln threshold = α + β·log₂ D with its 95 % bootstrap band; dotted: the
    small-noise theory, post eq 6.55, at mse_x_active = `mse_threshold` at layer L). Bottom: each
    criterion alone (mean over seeds; one marker and line style per criterion).

    `seeds`, `bands`, `theory_curve`: `analysis.trends.Trends.seeds`, `.bands`, `.theory`."""
    with plt.rc_context(style.RC):
        layers = sorted(seeds["n_layers"].unique())
        zs = sorted(seeds["n_active"].unique())
        colors = z_palette(zs)
        alone = [c for c in ALONE_STYLE if c in seeds.columns]
        per_criterion = len(alone) >= 2
        n_rows = 2 if per_criterion else 1
        fig, axes = plt.subplots(n_rows, len(layers), figsize=(5.2 * len(layers), 4.0 * n_rows), sharey=True, sharex=True,
                                 squeeze=False)
        for ax, L in zip(axes[0], layers):
            for z in zs:
                g = seeds[(seeds["n_layers"] == L) & (seeds["n_active"] == z)]
                ok = g[g["status"] == "ok"]
                lb = g[g["status"] == "lower_bound"]
                jitter = 1 + 0.03 * (z - np.mean(zs))  # z side by side at each D
                ax.scatter(ok["d_model"] * jitter, ok["threshold"], s=14, color=colors[z], alpha=0.8)
                ax.scatter(lb["d_model"] * jitter, lb["threshold"], s=22, color=colors[z], marker="^")
                b = bands[(bands["n_layers"] == L) & (bands["n_active"] == z)] if len(bands) else bands
                if len(b):
                    ax.plot(b["d_model"], b["fit"], color=colors[z])
                    ax.fill_between(b["d_model"], b["lo"], b["hi"], color=colors[z], alpha=0.2, linewidth=0)
                th = theory_curve[(theory_curve["n_layers"] == L) & (theory_curve["n_active"] == z)]
                ax.plot(th["d_model"], th["threshold"], color=colors[z], linestyle=":", linewidth=1)
            ax.set_title(f"L = {L}: the applied criteria (fit ± 95 % bootstrap band)")
        if per_criterion:
            for ax, L in zip(axes[1], layers):
                for z in zs:
                    g = seeds[(seeds["n_layers"] == L) & (seeds["n_active"] == z)].groupby("d_model")
                    for c in alone:
                        marker, line = ALONE_STYLE[c]
                        ax.plot(g[c].mean().index, g[c].mean(), color=colors[z], marker=marker, ms=3, linestyle=line)
                ax.set_title(f"L = {L}: each criterion alone")
            axes[1][-1].legend(handles=[plt.Line2D([], [], color="0.3", marker=ALONE_STYLE[c][0], linestyle=ALONE_STYLE[c][1],
                                                   label=c.removeprefix("threshold_")) for c in alone], fontsize=7, loc="lower left")
        for ax in axes.ravel():
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.grid(alpha=0.3, which="both")
        for ax in axes[-1]:
            ax.set_xlabel(LABELS["d_model"])
        for row in axes:
            row[0].set_ylabel(f"working threshold on {LABELS['superposition_load']}")
        handles = [plt.Line2D([], [], color=c, marker="o", label=f"z = {z}") for z, c in colors.items()]  # every z, fitted or not
        axes[0][-1].legend(handles=handles, fontsize=8, loc="upper right", title=LABELS["n_active"])
        fig.text(0.5, -0.01, f"dots: seeds (▲ lower bound: the largest tested T still works); dotted: small-noise theory "
                 f"(post eq 6.55, mse_x_active = {mse_threshold} at layer L)", ha="center", fontsize=8)
        fig.tight_layout()
        return style.png(fig)


def gain_vs_d(gains) -> bytes:
    """The scaling page's comparison with no superposition as PNG bytes, per L (columns) and z
    (colour): top, the capacity T* against D (mean over seeds, 95 % t interval; line and shade:
    the trend fit and its bootstrap band in T* units) with T₀ = D/d dashed; bottom, the gain
    T*/T₀ likewise, with the reference line at gain 1. `gains`: `analysis.trends.Trends.gains`."""
    with plt.rc_context(style.RC):
        layers = sorted(gains["n_layers"].unique())
        zs = sorted(gains["n_active"].unique())
        colors = z_palette(zs)
        fig, axes = plt.subplots(2, len(layers), figsize=(5.2 * len(layers), 7.6), sharex=True, squeeze=False)
        for col, L in enumerate(layers):
            for row, unit in enumerate(("capacity", "gain")):
                ax = axes[row][col]
                for z in zs:
                    g = gains[(gains["n_layers"] == L) & (gains["n_active"] == z)].sort_values("d_model")
                    err = style.errorbars(g[unit], g[f"{unit}_lo"], g[f"{unit}_hi"])
                    ax.errorbar(g["d_model"], g[unit], yerr=err, color=colors[z], marker="o", ms=4, capsize=2, lw=0, elinewidth=1)
                    if g[f"band_{unit}"].notna().any():
                        ax.plot(g["d_model"], g[f"band_{unit}"], color=colors[z])
                        ax.fill_between(g["d_model"], g[f"band_{unit}_lo"], g[f"band_{unit}_hi"], color=colors[z], alpha=0.2, linewidth=0)
                if unit == "capacity":
                    t0 = gains[gains["n_layers"] == L].drop_duplicates("d_model").sort_values("d_model")
                    ax.plot(t0["d_model"], t0["t0"], color="0.3", linestyle="--", linewidth=1, label="T₀ = D/d (no superposition)")
                    ax.set_title(f"L = {L}: capacity T* (fit ± 95 % bootstrap band)")
                    ax.legend(fontsize=7, loc="upper left")
                else:
                    ax.axhline(1.0, color="0.3", linestyle="--", linewidth=1)
                    ax.set_title(f"L = {L}: gain T*/T₀ (dashed: 1, no superposition)")
                ax.set_xscale("log", base=2)
                ax.set_yscale("log")
                ax.grid(alpha=0.3, which="both")
        for ax in axes[-1]:
            ax.set_xlabel(LABELS["d_model"])
        axes[0][0].set_ylabel("capacity T* (largest working T)")
        axes[1][0].set_ylabel("gain T*/T₀, T₀ = D/d")
        handles = [plt.Line2D([], [], color=c, marker="o", label=f"z = {z}") for z, c in colors.items()]
        axes[0][-1].legend(handles=handles, fontsize=8, loc="lower right", title=LABELS["n_active"])
        fig.tight_layout()
        return style.png(fig)
