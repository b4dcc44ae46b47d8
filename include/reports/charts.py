"""The report's charts as PNG bytes, drawn with matplotlib's Agg canvas in memory.

No pyplot: each figure is a `matplotlib.figure.Figure` with its own Agg canvas, so
nothing global (backend, open-figure registry) changes; font sizes are set inside
an `rc_context` that is restored on return. Charts are drawn at the width they are
printed (WIDTH inches) so their text matches the page's sizes, and they read in
black and white: series differ by line style, hatching and markers, values are
written on the chart, heatmaps use the 'Greys' colormap. Each function returns
None when its frame has nothing to draw; the PDF then prints the section's reason.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from include.reports.formatting import money, pct

WIDTH = 6.8  # inches, the PDF frame's width
DPI = 150
RC = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7.5, "ytick.labelsize": 7.5,
      "legend.fontsize": 7.5, "axes.edgecolor": "0.3", "axes.linewidth": 0.6, "hatch.linewidth": 0.6,
      "grid.color": "0.85", "grid.linewidth": 0.5}
REGIME_STYLE = {  # volatility regime -> shading (grey level and hatch, both readable in black and white)
    "low": {"facecolor": "0.94", "hatch": "....", "label": "low volatility regime"},
    "normal": {"facecolor": "white", "hatch": "", "label": "normal regime"},
    "high": {"facecolor": "0.78", "hatch": "////", "label": "high volatility regime"},
}
PERCENT = FuncFormatter(lambda v, _: f"{v:.4g} %")  # tick values are already in percent


def _figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.Series(values).reset_index(drop=True))


def shade_period(ax, shade: tuple[date, date] | None, label: bool = True) -> None:
    """The report's own days (a weekly report's week) as a light band with its label, behind the lines."""
    if shade is None:
        return
    first, last = pd.Timestamp(shade[0]), pd.Timestamp(shade[1]) + timedelta(days=1)
    ax.axvspan(first, last, facecolor="0.88", edgecolor="0.5", linewidth=0.6, zorder=0)
    if label:
        ax.annotate("this week", (first, 1), xycoords=("data", "axes fraction"), xytext=(-2, -3),
                    textcoords="offset points", ha="right", va="top", fontsize=7, color="0.25")


def equity_chart(equity: pd.DataFrame, currency: str, paper: pd.DataFrame | None = None,
                 shade: tuple[date, date] | None = None, height: float = 3.9,
                 span: str = "whole history shown") -> bytes | None:
    """Equity (solid line, last value written) over an underwater panel of the drawdown (hatched).

    With a paper portfolio (`paper`: fct_pnl's total rows), the solid line and the drawdown are
    the paper portfolio's, and the equal-weight universe portfolio is the benchmark: a dashed
    line over the same days, scaled to the paper equity on the paper portfolio's first day.
    """
    frame = equity.dropna(subset=["equity"]) if len(equity) else equity
    own = paper.dropna(subset=["equity"]) if paper is not None and len(paper) else None
    if own is not None and len(own):
        return _paper_chart(own, frame, currency, shade, height, span)
    if frame.empty:
        return None
    with matplotlib.rc_context(RC):
        figure = _figure(height)
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
        _equity_panel(top, _dates(frame["trade_date"]), frame["equity"].to_numpy(float), currency)
        top.set_title(f"Benchmark: equal-weight universe equity ({currency}): "
                      f"{money(frame['equity'].iloc[-1], currency)} on {_dates(frame['trade_date']).iloc[-1]:%Y-%m-%d}",
                      loc="left")
        _underwater_panel(bottom, _dates(frame["trade_date"]), frame["drawdown"].to_numpy(float), span)
        shade_period(top, shade)
        shade_period(bottom, shade, label=False)
        return _png(figure)


def _paper_chart(paper: pd.DataFrame, benchmark: pd.DataFrame, currency: str,
                 shade: tuple[date, date] | None = None, height: float = 3.9,
                 span: str = "whole history shown") -> bytes:
    dates = _dates(paper["trade_date"])
    with matplotlib.rc_context(RC):
        figure = _figure(height)
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
        _equity_panel(top, dates, paper["equity"].to_numpy(float), currency)
        top.set_title(f"Paper portfolio equity ({currency}): {money(paper['equity'].iloc[-1], currency)} "
                      f"on {dates.iloc[-1]:%Y-%m-%d}", loc="left")
        first = paper["trade_date"].iloc[0]
        bench = benchmark[benchmark["trade_date"] >= first] if len(benchmark) else benchmark
        if len(bench):
            scale = float(paper["equity"].iloc[0]) / float(bench["equity"].iloc[0])
            top.plot(_dates(bench["trade_date"]), bench["equity"].to_numpy(float) * scale, color="0.35",
                     linestyle="--", linewidth=1.0, label="benchmark: equal-weight universe (scaled)")
        top.lines[0].set_label("paper portfolio")
        top.legend(loc="upper left", frameon=False)
        _underwater_panel(bottom, dates, paper["drawdown"].to_numpy(float))
        bottom.set_title(f"Underwater: the paper portfolio's drawdown from its running peak ({span})", loc="left")
        shade_period(top, shade)
        shade_period(bottom, shade, label=False)
        if dates.iloc[0] == dates.iloc[-1]:  # a ledger's first day: a week around it, not years of axis
            bottom.set_xlim(dates.iloc[0] - pd.Timedelta(days=3), dates.iloc[0] + pd.Timedelta(days=3))
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # a young ledger spans days: no crowded labels
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        return _png(figure)


def _equity_panel(ax, dates: pd.Series, equity: np.ndarray, currency: str) -> None:
    ax.plot(dates, equity, color="black", linewidth=1.2, label="equity")
    ax.plot(dates.iloc[-1], equity[-1], marker="o", color="black", markersize=4)
    ax.set_title(f"Equity ({currency}): {money(equity[-1], currency)} on {dates.iloc[-1]:%Y-%m-%d}", loc="left")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(True, axis="y")


def _underwater_panel(ax, dates: pd.Series, drawdown: np.ndarray, span: str = "whole history shown") -> None:
    values = np.nan_to_num(drawdown) * 100
    ax.fill_between(dates, values, 0, facecolor="0.8", hatch="////", edgecolor="0.35", linewidth=0)
    ax.plot(dates, values, color="black", linewidth=0.8)
    worst = int(np.argmin(values))
    ax.plot(dates.iloc[worst], values[worst], marker="v", color="black", markersize=5)
    ax.annotate(f"worst {pct(values[worst] / 100)}", (dates.iloc[worst], values[worst]), xytext=(6, 0),
                textcoords="offset points", va="center", fontsize=7.5)
    ax.set_title(f"Underwater: drawdown from the running peak of equity ({span})", loc="left")
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylim(min(values.min() * 1.2, -1), 0.5)
    ax.grid(True, axis="y")


def returns_histogram(returns: pd.DataFrame, var_95: float | None, var_99: float | None) -> bytes | None:
    """Histogram of daily returns with the headline's -VaR 95 (dashed) and -VaR 99 (dotted) marked and labelled."""
    values = returns["daily_return"].dropna().to_numpy(float) * 100 if len(returns) else np.array([])
    if values.size == 0:
        return None
    with matplotlib.rc_context(RC):
        figure = _figure(2.9)
        ax = figure.subplots()
        ax.hist(values, bins=int(np.clip(values.size // 3, 10, 40)), color="0.75", edgecolor="black", linewidth=0.5)
        for level, var, style in ((95, var_95, "--"), (99, var_99, ":")):
            if var is not None and np.isfinite(var):
                ax.axvline(-var * 100, color="black", linestyle=style, linewidth=1.3,
                           label=f"-VaR {level} %: {pct(-var)}")
                ax.annotate(f"VaR {level}", (-var * 100, 1), xycoords=("data", "axes fraction"), xytext=(-3, -4),
                            textcoords="offset points", ha="right", va="top", rotation=90, fontsize=7.5)
        ax.set_title(f"Daily returns, last {values.size} days", loc="left")
        ax.set_xlabel("daily return")
        ax.set_ylabel("days")
        ax.xaxis.set_major_formatter(PERCENT)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right", frameon=False)
        return _png(figure)


def volatility_chart(rolling: pd.DataFrame, regimes: pd.DataFrame,
                     shade: tuple[date, date] | None = None) -> bytes | None:
    """Rolling 30-day annualised volatility, the background shaded and hatched by volatility regime."""
    frame = rolling.dropna(subset=["annual_volatility"]) if len(rolling) else rolling
    if frame.empty:
        return None
    with matplotlib.rc_context(RC):
        figure = _figure(2.9)
        ax = figure.subplots()
        shown = _shade_regimes(ax, regimes)
        ax.plot(_dates(frame["as_of_date"]), frame["annual_volatility"].to_numpy(float) * 100, color="black",
                linewidth=1.2, label="30-day volatility (annualised)")
        handles = [Patch(facecolor=REGIME_STYLE[r]["facecolor"], hatch=REGIME_STYLE[r]["hatch"], edgecolor="0.45",
                         label=REGIME_STYLE[r]["label"]) for r in REGIME_STYLE if r in shown]
        ax.legend(handles=ax.get_legend_handles_labels()[0] + handles, loc="upper center", frameon=False,
                  bbox_to_anchor=(0.5, -0.1), ncol=len(handles) + 1)
        ax.set_title("Rolling 30-day volatility (annualised) and volatility regime", loc="left")
        if shade is not None:
            ax.axvline(pd.Timestamp(shade[0]), color="black", linewidth=0.8, linestyle="-.")
            ax.axvline(pd.Timestamp(shade[1]) + timedelta(days=1), color="black", linewidth=0.8, linestyle="-.")
            ax.annotate("this week", (pd.Timestamp(shade[0]), 1), xycoords=("data", "axes fraction"),
                        xytext=(-2, -3), textcoords="offset points", ha="right", va="top", fontsize=7)
        ax.yaxis.set_major_formatter(PERCENT)
        ax.set_ylim(bottom=0)
        ax.grid(True, axis="y")
        return _png(figure)


def _regime_runs(regimes: pd.DataFrame) -> list[tuple[date, date, str]]:
    """Consecutive days of one regime as (first day, last day, regime)."""
    frame = regimes.dropna().sort_values("trade_date") if len(regimes) else regimes
    runs: list[tuple[date, date, str]] = []
    for day, regime in zip(pd.to_datetime(frame["trade_date"]), frame["volatility_regime"]):
        if runs and runs[-1][2] == regime and day - runs[-1][1] <= timedelta(days=1):
            runs[-1] = (runs[-1][0], day, regime)
        else:
            runs.append((day, day, regime))
    return runs


def _shade_regimes(ax, regimes: pd.DataFrame) -> set[str]:
    shown = set()
    for first, last, regime in _regime_runs(regimes):
        style = REGIME_STYLE.get(regime)
        if style and style["hatch"]:
            ax.axvspan(first, last + timedelta(days=1), facecolor=style["facecolor"], hatch=style["hatch"],
                       edgecolor="0.45", linewidth=0, zorder=0)
        shown.add(regime)
    return shown


def correlation_heatmap(correlation: pd.DataFrame, by_asset: bool = False) -> bytes | None:
    """Correlation matrix in greys (black = +1, white = -1) with every value written in its cell;
    `by_asset`: the matrix is of assets, each the mean over its venues."""
    if correlation.empty:
        return None
    labels, values = list(correlation.columns), correlation.to_numpy(float)
    size = len(labels)
    with matplotlib.rc_context(RC):
        figure = _figure(float(np.clip(0.3 * size + 1.7, 2.6, 6.0)))
        ax = figure.subplots()
        image = ax.imshow(values, cmap="Greys", vmin=-1, vmax=1)
        font = float(np.clip(8.5 - 0.25 * max(size - 6, 0), 4.5, 8.5))
        for (row, col), value in np.ndenumerate(values):
            dark = np.isfinite(value) and value > 0.2
            ax.text(col, row, "n/a" if not np.isfinite(value) else f"{value:.2f}", ha="center", va="center",
                    fontsize=font, color="white" if dark else "black")
        ax.set_xticks(range(size), labels, rotation=35, ha="right", fontsize=font)
        ax.set_yticks(range(size), list(correlation.index), fontsize=font)
        figure.colorbar(image, ax=ax, shrink=0.8, label="correlation")
        ax.set_title("Correlation by asset (mean over venues, 30-day rolling)" if by_asset
                     else "Correlation of daily returns (30-day rolling)")
        return _png(figure)


def allocation_chart(allocation: pd.DataFrame) -> bytes | None:
    """Portfolio weights as horizontal bars, largest on top, each bar labelled with its weight."""
    frame = allocation.dropna(subset=["weight"]) if len(allocation) else allocation
    frame = frame.sort_values("weight", ascending=False) if len(frame) else frame
    if frame.empty:
        return None
    weights = frame["weight"].to_numpy(float)
    with matplotlib.rc_context(RC):
        figure = _figure(float(np.clip(0.32 * len(frame) + 1.0, 1.8, 7.5)))
        ax = figure.subplots()
        positions = np.arange(len(frame))
        ax.barh(positions, weights * 100, color="0.7", edgecolor="black", linewidth=0.6, hatch="//")
        for y, weight in zip(positions, weights):
            ax.annotate(pct(weight), (weight * 100, y), xytext=(4 if weight >= 0 else -4, 0),
                        textcoords="offset points", va="center", ha="left" if weight >= 0 else "right")
        ax.set_yticks(positions, list(frame["series"]))
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlim(min(0, weights.min() * 100 * 1.25), max(0, weights.max() * 100) * 1.2 + 1)
        ax.xaxis.set_major_formatter(PERCENT)
        ax.set_title("Allocation: portfolio weight per series", loc="left")
        ax.grid(True, axis="x")
        return _png(figure)
