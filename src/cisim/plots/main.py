"""Figures 1–7 of the post: the main network (grid `report.main_point`), docs/method.md §5.2.

Each figure function is `(ds, report_cfg) -> Figure`; its caption is its entry in
workflow/report/plot.rst.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from .. import theory
from .style import CB, LABELS, REFERENCE, STATS, THEORY, TRUE_COLOR, figure, integer_ticks, reference, symlog, z_palette
from ..analysis.tables import d_circuit, main_table, network

TRAJECTORY_DIMS = ("point", "seed", "n_active", "trajectory", "layer", "component")
N_SAMPLES_SHOWN = 5
LIMIT = 1.3


def _trajectories(ds, cfg):
    """{z: [(true (L+1, 2), read-out (L+1, 2)), ...]} for the first seed, up to 5 samples per z."""
    df = main_table(ds, ["x_true", "x_est"], cfg, TRAJECTORY_DIMS)
    df = df[df["seed"] == df["seed"].min()]
    out = {}
    for z, dz in df.groupby("n_active"):
        samples = []
        for _, dt in dz.groupby("trajectory"):
            wide = dt.pivot(index="layer", columns="component", values=["x_true", "x_est"]).sort_index()
            if wide["x_true"].notna().all(axis=None):
                samples.append((wide["x_true"].to_numpy(), wide["x_est"].to_numpy()))
        out[int(z)] = samples[:N_SAMPLES_SHOWN]
    return out, network(df), int(df["seed"].iloc[0])


def _square(ax):
    ax.set(xlim=(-LIMIT, LIMIT), ylim=(-LIMIT, LIMIT), aspect="equal")
    ax.set_xticks([-1, 0, 1])
    ax.set_yticks([-1, 0, 1])


@figure("trajectories")
def trajectories(ds, cfg):
    """Post Figs 1 and 4: per z (rows) up to N_SAMPLES_SHOWN sampled forward passes (panels) of the
    first seed, the true x (L+1, 2) of the first active circuit and its read-out x̂ (L+1, 2)."""
    samples, net, seed = _trajectories(ds, cfg)
    zs = [z for z in sorted(samples) if samples[z]]
    ncol = max(len(samples[z]) for z in zs)
    colors = z_palette(zs)
    fig, axes = plt.subplots(len(zs), ncol, figsize=(2.1 * ncol, 2.2 * len(zs) + 0.6), squeeze=False, sharex=True, sharey=True)
    for i, z in enumerate(zs):
        for j, ax in enumerate(axes[i]):
            _square(ax)
            if j >= len(samples[z]):
                ax.set_visible(False)
                continue
            true, est = samples[z][j]
            for a, b in zip(true, est):  # error vector per layer
                ax.plot(*np.stack([a, b]).T, color="0.6", linewidth=0.6, linestyle="--", zorder=1)
            ax.plot(*true.T, "-o", color=TRUE_COLOR, markersize=4, linewidth=0.8, label="true x")
            ax.plot(*est.T, ":x", color=colors[z], markersize=6, markeredgewidth=1.5, linewidth=0.8, label="read-out x̂")
            ax.annotate("0", true[0], xytext=(3, 3), textcoords="offset points", fontsize="x-small", color="0.3")
            ax.set_title(f"n_active z={z}, sample {j}", fontsize="small")
        axes[i, 0].set_ylabel("x[1]")
    for ax in axes[-1]:
        ax.set_xlabel("x[0]")
    handles = [plt.Line2D([], [], color=TRUE_COLOR, marker="o", label="true x"),
               plt.Line2D([], [], color="0.6", linestyle="--", linewidth=0.6, label="error x̂ − x (same layer)")]
    handles += [plt.Line2D([], [], color=colors[z], marker="x", linestyle=":", label=f"read-out x̂, z={z}") for z in zs]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), bbox_to_anchor=(0.5, 0))
    fig.suptitle(f"First active circuit over layers 0–{net['n_layers']} (D={net['d_model']}, T={net['n_circuits']}, "
                 f"S={net['redundancy']}, seed {seed}); '0' marks layer 0")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


@figure("true_rotations")
def true_rotations(ds, cfg):
    """Post Fig 2: the true trajectories of `trajectories` at the smallest z, with an arrow from
    each layer to the next."""
    samples, net, seed = _trajectories(ds, cfg)
    z = min(z for z in samples if samples[z])
    fig, axes = plt.subplots(1, len(samples[z]), figsize=(2.2 * len(samples[z]), 2.9), squeeze=False, sharey=True)
    for j, (ax, (true, _)) in enumerate(zip(axes[0], samples[z])):
        _square(ax)
        ax.plot(*true.T, "o", color=TRUE_COLOR, markersize=4)
        for a, b in zip(true[:-1], true[1:]):
            ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle="->", color=TRUE_COLOR, shrinkA=3, shrinkB=3))
        for layer, p in enumerate(true):
            ax.annotate(str(layer), p, xytext=(4, 4), textcoords="offset points", fontsize="x-small", color="0.3")
        ax.set(title=f"sample {j}", xlabel="x[0]")
    axes[0, 0].set_ylabel("x[1]")
    fig.suptitle(f"True rotations of the first active circuit, layers 0–{net['n_layers']} (z={z}, seed {seed})")
    fig.tight_layout()
    return fig


@figure("step_function")
def step_function(ds, cfg):
    """Post Fig 3: the on-indicator's two-ReLU step ReLU(2α−0.5) − ReLU(2α−1.5), from the formula
    (post box "Why the step function?"; docs/method.md §2.4); `ds` and `cfg` are not read."""
    a = np.linspace(-0.1, 1.1, 481)
    lo, hi = np.maximum(2 * a - 0.5, 0), np.maximum(2 * a - 1.5, 0)
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    ax.plot(a, lo, color=CB[0], label="ReLU(2α − 0.5)  (a₀)")
    ax.plot(a, hi, color=CB[3], label="ReLU(2α − 1.5)  (a₁)")
    ax.plot(a, lo - hi, color=CB[2], linewidth=2, label="difference: next α")
    for x in (0.25, 0.75):
        ax.axvline(x, color="0.6", linestyle=":", linewidth=0.8)
    ax.set(xlim=(-0.1, 1.1), ylim=(-0.1, 1.6), xlabel="α (on-indicator at layer l)", ylabel="activation at layer l + 1",
           title="On-indicator step function: fixed points α = 0 and 1")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def _errors(ds, cfg, kind):
    panels = [f"mse_{kind}_inactive", f"mse_{kind}_active", f"max_{kind}_inactive", f"max_{kind}_active"]
    df = main_table(ds, panels, cfg)
    net, d = network(df), d_circuit(ds, cfg["main_point"])
    zs = sorted(df["n_active"].unique())
    colors = z_palette(zs)
    layers = np.arange(1, net["n_layers"] + 1)
    fig, axes = plt.subplots(2, 2, figsize=(9, 7), sharex=True)
    for i, (ax, var) in enumerate(zip(axes.flat, panels)):
        sns.lineplot(data=df, x="layer", y=var, hue="n_active", palette=colors, marker="o", ax=ax, legend=i == 1, **STATS)
        if var.startswith("mse"):
            for z in zs:
                args = (net["d_model"], net["n_circuits"], net["redundancy"], z)
                if var.endswith("inactive"):
                    y = np.full(layers.shape, theory.mse_inactive(*args, d_circuit=d))
                elif kind == "x":
                    y = theory.mse_x_active(*args, layers, d_circuit=d)
                else:
                    y = theory.mse_alpha_active(*args, layers, d_circuit=d)
                ax.plot(layers, y, color=colors[z], **THEORY)
            symlog(ax)
        if kind == "x":
            reference(ax, 1.0)
        elif var.startswith("max"):
            reference(ax, 0.25)
        ax.set(ylabel=LABELS[var], xlabel=LABELS["layer"], title=("inactive" if "inactive" in var else "active") + " circuits")
        integer_ticks(ax, df["layer"])
    handles, labels = axes[0, 1].get_legend_handles_labels()
    axes[0, 1].get_legend().remove()
    handles += [plt.Line2D([], [], color="0.3", **THEORY), plt.Line2D([], [], **REFERENCE)]
    labels = [f"n_active z={z}" for z in labels] + ["theory (post §6)"]
    labels.append("error 1: no better than guessing x = 0" if kind == "x" else "error 0.25: passes the step function")
    fig.legend(handles, labels, loc="lower center", ncol=len(labels))
    what = "rotated vector x" if kind == "x" else "on-indicator α"
    fig.suptitle(f"Errors of the {what} (D={net['d_model']}, T={net['n_circuits']}, S={net['redundancy']}): "
                 "mean over seeds, 95 % CI")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


@figure("errors_x")
def errors_x(ds, cfg):
    """Post Fig 5: mean and worst-case error of x per layer and z, against post eqs 6.55 and 6.57."""
    return _errors(ds, cfg, "x")


@figure("errors_alpha")
def errors_alpha(ds, cfg):
    """Post Fig 6: mean and worst-case error of α per layer and z, against post eqs 6.42 and 6.43."""
    return _errors(ds, cfg, "alpha")


@figure("active_fraction")
def active_fraction(ds, cfg):
    """Post Fig 7: active_fraction per block (panels), layer and z, against z·S·d/D
    (`theory.expected_active_fraction`)."""
    df = main_table(ds, ["active_fraction"], cfg, ("point", "seed", "n_active", "layer", "block"))
    net, d = network(df), d_circuit(ds, cfg["main_point"])
    zs = sorted(df["n_active"].unique())
    colors = z_palette(zs)
    blocks = sorted(df["block"].unique())
    fig, axes = plt.subplots(1, len(blocks), figsize=(3 * len(blocks), 3.4), sharey=True, squeeze=False)
    for ax, b in zip(axes[0], blocks):
        sns.lineplot(data=df[df["block"] == b], x="layer", y="active_fraction", hue="n_active", palette=colors, marker="o",
                     ax=ax, legend=b == blocks[-1], **STATS)
        for z in zs:
            ax.axhline(theory.expected_active_fraction(net["d_model"], net["redundancy"], z, d_circuit=d), color=colors[z], **THEORY)
        ax.set(title=f"block {b} (neuron a{b})", xlabel=LABELS["layer"], ylabel=LABELS["active_fraction"], ylim=(0, None))
        integer_ticks(ax, df["layer"])
    leg = axes[0, -1].get_legend()
    handles, labels = axes[0, -1].get_legend_handles_labels()
    leg.remove()
    handles.append(plt.Line2D([], [], color="0.3", **THEORY))
    fig.legend(handles, [f"n_active z={z}" for z in labels] + ["z·S·d/D (no noise)"], loc="lower center", ncol=len(labels) + 1)
    fig.suptitle(f"Fraction of active neurons (D={net['d_model']}, T={net['n_circuits']}, S={net['redundancy']}): "
                 "mean over seeds, 95 % CI")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
