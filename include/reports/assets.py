"""One coin on several venues, read as one asset: the report's performers, allocation and correlation
grouped by asset (the symbol's base: BTC of sim_alpha BTC/USDT and of kraken BTC/USDC), with the
venue detail where it matters - how far the venues' closes are apart (basis) and how closely their
returns move together.

An asset traded on one venue keeps its series label ("sim_alpha BTC/USDT"), so a universe with one
venue per coin reads as before.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ASSET_COLUMNS = ["asset", "venues", "period_return", "lowest", "highest", "series"]
VENUE_COLUMNS = ["asset", "venues", "basis_bps", "cheapest", "dearest", "min_correlation"]


def asset_of(symbol: str) -> str:
    """BTC/USDT -> BTC (the base currency)."""
    return str(symbol).split("/")[0]


def _label(asset: str, series: list[str]) -> str:
    return series[0] if len(series) == 1 else asset


def repeats(performers: pd.DataFrame) -> bool:
    """Whether some coin is on more than one venue (else grouping by asset changes nothing)."""
    if performers.empty:
        return False
    return bool(performers.assign(asset=performers.symbol.map(asset_of)).groupby("asset").series.nunique().max() > 1)


def by_asset(performers: pd.DataFrame) -> pd.DataFrame:
    """Each asset's period return: the mean over its venues (the equal-weight portfolio's view of it),
    with the lowest and highest venue's, best first; `asset` is the coin or, alone on a venue, the series."""
    if performers.empty:
        return pd.DataFrame(columns=ASSET_COLUMNS)
    frame = performers.dropna(subset=["period_return"]).assign(asset=performers.symbol.map(asset_of))
    rows = []
    for asset, group in frame.groupby("asset"):
        series = sorted(group.series)
        rows.append({"asset": _label(asset, series), "venues": len(series),
                     "period_return": float(group.period_return.mean()), "lowest": float(group.period_return.min()),
                     "highest": float(group.period_return.max()), "series": ", ".join(series)})
    out = pd.DataFrame(rows, columns=ASSET_COLUMNS)
    return out.sort_values(["period_return", "asset"], ascending=[False, True]).reset_index(drop=True)


def allocation(weights: pd.DataFrame, performers: pd.DataFrame) -> pd.DataFrame:
    """Series weights summed per asset (series, weight: the allocation frame's columns, labelled by asset)."""
    if weights.empty:
        return weights
    symbols = dict(zip(performers.series, performers.symbol))
    groups: dict[str, list[str]] = {}
    for label in weights.series:
        groups.setdefault(asset_of(symbols.get(label, label.split(" ")[-1])), []).append(label)
    rows = [{"series": _label(asset, sorted(members)) + (f" ({len(members)} venues)" if len(members) > 1 else ""),
             "weight": float(weights[weights.series.isin(members)].weight.sum())} for asset, members in groups.items()]
    return pd.DataFrame(rows, columns=["series", "weight"]).sort_values("series").reset_index(drop=True)


def correlation(matrix: pd.DataFrame, performers: pd.DataFrame) -> pd.DataFrame:
    """Asset x asset: the mean correlation between the two assets' venues (pairs with a value);
    the diagonal is 1. Series not among the performers are grouped by their label's symbol."""
    if matrix.empty:
        return matrix
    groups = _groups(list(matrix.index), performers)
    labels = sorted(groups)
    out = pd.DataFrame(np.nan, index=labels, columns=labels)
    for a in labels:
        for b in labels:
            if a == b:
                out.loc[a, b] = 1.0
                continue
            block = matrix.loc[groups[a], groups[b]].to_numpy(float)
            out.loc[a, b] = float(np.nanmean(block)) if np.isfinite(block).any() else np.nan
    return out


def _groups(labels: list[str], performers: pd.DataFrame) -> dict[str, list[str]]:
    symbols = dict(zip(performers.series, performers.symbol)) if len(performers) else {}
    by_coin: dict[str, list[str]] = {}
    for label in labels:
        by_coin.setdefault(asset_of(symbols.get(label, label.split(" ")[-1])), []).append(label)
    return {_label(coin, sorted(members)): sorted(members) for coin, members in by_coin.items()}


def venues(performers: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    """Per coin on several venues: the basis (highest over lowest close at the period's end, in basis
    points), the cheapest and dearest venue, and the lowest correlation between two of its venues."""
    if performers.empty:
        return pd.DataFrame(columns=VENUE_COLUMNS)
    frame = performers.dropna(subset=["close"]).assign(asset=performers.symbol.map(asset_of))
    rows = []
    for asset, group in frame.groupby("asset"):
        if group.series.nunique() < 2:
            continue
        low, high = group.loc[group.close.idxmin()], group.loc[group.close.idxmax()]
        members = [s for s in group.series if s in matrix.index] if len(matrix) else []
        block = matrix.loc[members, members].to_numpy(float) if len(members) > 1 else np.array([[np.nan]])
        off = block[~np.eye(len(block), dtype=bool)] if len(members) > 1 else np.array([np.nan])
        rows.append({"asset": asset, "venues": int(group.series.nunique()),
                     "basis_bps": float((high.close / low.close - 1) * 10_000),
                     "cheapest": f"{low.exchange} {low.symbol}", "dearest": f"{high.exchange} {high.symbol}",
                     "min_correlation": float(np.nanmin(off)) if np.isfinite(off).any() else np.nan})
    return pd.DataFrame(rows, columns=VENUE_COLUMNS)
