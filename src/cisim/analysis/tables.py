"""Tidy tables of one sweep grid or of the main network, shared by the figures and the pages.

Everything is a pandas DataFrame from `cisim.datasets.tidy`; no plotting here.
"""

from __future__ import annotations

import pandas as pd

from .. import datasets


def in_grid(df: pd.DataFrame, grid: str) -> pd.Series:
    """Rows of sweep grid `grid`. Point labels start with "<grid>-" (config.point_label), which
    also identifies the grid when a stored `grid` string was cut to a shorter width."""
    return (df["grid"] == grid) | df["point"].str.startswith(f"{grid}-")


def grid_table(ds, variables, grid: str, dims=("point", "seed", "n_active", "layer")) -> pd.DataFrame:
    """Tidy table of `variables` for one grid, without (n_active, layer) cells that were not run."""
    full = datasets.tidy(ds, variables, dims)
    df = full[in_grid(full, grid)].dropna(subset=list(variables), how="all")
    if df.empty:
        raise ValueError(f"grid {grid!r} has no data in the summary (grids present: {sorted(full['grid'].unique())})")
    return df.reset_index(drop=True)


def main_table(ds, variables, cfg, dims=("point", "seed", "n_active", "layer")) -> pd.DataFrame:
    """`grid_table` of the main network (the single point of grid `cfg["main_point"]`)."""
    df = grid_table(ds, variables, cfg["main_point"], dims)
    points = sorted(df["point"].unique())
    if len(points) != 1:
        raise ValueError(f"report.main_point={cfg['main_point']!r} selects {len(points)} points {points}; expected exactly one")
    return df


def network(df: pd.DataFrame) -> dict:
    """D, T, S, L of the (single) point in `df`."""
    row = df.iloc[0]
    return {k: int(row[k]) for k in ("d_model", "n_circuits", "redundancy", "n_layers")}


def d_circuit(ds, grid: str | None = None) -> int:
    """Neurons per small circuit d = number of neuron blocks: of the points of `grid` (the blocks
    where their `active_fraction` was measured: a study gathered from designs of several widths
    pads the narrower ones with NaN), or of the whole dataset when `grid` is None."""
    if grid is None or "active_fraction" not in ds.variables:
        return int(ds.sizes["block"])
    mine = in_grid(pd.DataFrame({"grid": ds["grid"].values, "point": ds["point"].values}), grid).to_numpy()
    frac = ds["active_fraction"].isel(point=mine)
    return int(frac.notnull().any([d for d in frac.dims if d != "block"]).sum())
