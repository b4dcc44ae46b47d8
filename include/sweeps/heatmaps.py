"""PNG charts of a sweep's objective over its numeric params: a heatmap per pair, a line for one.

For every pair of int / float params that take more than one value in the results,
the objective (the first goal for nsga2) averaged over the other params, param_x
across and param_y up, in `<out_dir>/<sweep>-<param_x>-<param_y>.png`; cells no
valid trial covers (e.g. fast >= slow) or where every trial is NaN stay blank.
With one such param, a line chart `<sweep>-<param>.png`. A param with more than
MAX_LEVELS values (a continuous TPE range) is cut into MAX_LEVELS equal bins shown
by their midpoints. Walk-forward results (one row per fold) give no charts.

Drawn on matplotlib's Agg canvas without pyplot (no display, no global figure state)
and written atomically (include/atomic.py).
"""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from include.atomic import atomic_path
from include.sweeps.spec import SweepSpec

MAX_LEVELS = 20  # distinct values per axis before binning
ANNOTATE_CELLS = 100  # write each cell's value on grids up to this size


def render_heatmaps(spec: SweepSpec, results: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """The charts written, heatmaps in the strategy's param order (first param across)."""
    metric = spec.goals()[0].metric
    if results.empty or metric not in results:
        return []
    names = varying_numeric(spec, results)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(names) == 1:
        return [save(line_chart(spec, results, names[0]), out_dir / f"{spec.name}-{names[0]}.png")]
    return [save(heatmap(spec, objective_grid(results, x, y, metric), x, y), out_dir / f"{spec.name}-{x}-{y}.png")
            for x, y in itertools.combinations(names, 2)]


def varying_numeric(spec: SweepSpec, results: pd.DataFrame) -> list[str]:
    return [d.name for d in spec.space()
            if d.kind in ("int", "float") and results[f"param_{d.name}"].nunique() > 1]


def levels(values: pd.Series) -> pd.Series:
    """The values, or the midpoints of MAX_LEVELS equal bins when there are more distinct ones."""
    if values.nunique() <= MAX_LEVELS:
        return values
    codes, edges = pd.cut(values, MAX_LEVELS, labels=False, retbins=True)
    mids = (edges[:-1] + edges[1:]) / 2
    return pd.Series(mids[codes.to_numpy(dtype=int)], index=values.index, name=values.name)


def objective_grid(results: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """Mean of metric per (y, x) cell over the other params, NaN trials skipped; y ascending as rows."""
    cells = pd.DataFrame({"x": levels(results[f"param_{x}"]), "y": levels(results[f"param_{y}"]),
                          "value": results[metric].astype(float)})
    return cells.groupby(["y", "x"])["value"].mean().unstack("x")


def title(spec: SweepSpec) -> str:
    goal = spec.goals()[0]
    return f"{spec.name}: {spec.strategy}, {goal.metric} ({goal.direction}), {spec.timeframe}"


def heatmap(spec: SweepSpec, grid: pd.DataFrame, x: str, y: str) -> Figure:
    goal = spec.goals()[0]
    figure = Figure(figsize=(8, 6), dpi=100)
    axes = figure.add_subplot()
    values = np.ma.masked_invalid(grid.to_numpy(dtype=float))  # masked cells are not drawn: blank
    cmap = "viridis" if goal.direction == "maximize" else "viridis_r"  # brighter is better either way
    image = axes.imshow(values, origin="lower", aspect="auto", cmap=cmap)
    axes.set_xticks(range(grid.shape[1]), labels=[f"{v:.4g}" for v in grid.columns])
    axes.set_yticks(range(grid.shape[0]), labels=[f"{v:.4g}" for v in grid.index])
    axes.set(xlabel=x, ylabel=y, title=title(spec))
    figure.colorbar(image, ax=axes, label=f"{goal.metric}, mean over other params")
    if grid.size <= ANNOTATE_CELLS:
        for (row, col), value in np.ndenumerate(values.filled(np.nan)):
            if np.isfinite(value):
                color = "black" if image.norm(value) > 0.5 else "white"
                axes.text(col, row, f"{value:.3g}", ha="center", va="center", fontsize=8, color=color)
    return figure


def line_chart(spec: SweepSpec, results: pd.DataFrame, x: str) -> Figure:
    metric = spec.goals()[0].metric
    means = results[metric].astype(float).groupby(levels(results[f"param_{x}"])).mean()
    figure = Figure(figsize=(8, 5), dpi=100)
    axes = figure.add_subplot()
    axes.plot(means.index.to_numpy(dtype=float), means.to_numpy(), marker="o")  # NaN means leave a gap
    axes.set(xlabel=x, ylabel=f"{metric}, mean over other params", title=title(spec))
    axes.grid(alpha=0.3)
    return figure


def save(figure: Figure, path: Path) -> Path:
    """figure as PNG at path, all or nothing."""
    FigureCanvasAgg(figure)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    return path
