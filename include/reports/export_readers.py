"""What a report reads, each as a tidy frame: the warehouse's Parquet exports and the validation
files (a file that does not exist yet is an empty frame).

Exports: data/warehouse/exports/<table>.parquet (include/warehouse/exports.py).
Validation: data/validation/results/run=*.parquet (one row per partition checked),
data/gaps/.../date=D/gaps.parquet (missing candles). Sweeps: the fct_sweep_best and
fct_sweep_walk_forward exports and the heatmap PNGs beside each run's chunk files.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from include.landing.store import symbol_from_key
from include.paths import DataPaths, run_key
from include.reports.model import ReportPeriod

QUALITY_COLUMNS = ["exchange", "symbol", "timeframe", "date", "status", "detail"]
STRESS_COLUMNS = ["scenario", "scenario_type", "window_start", "window_end", "portfolio_return"]
BEST_COLUMNS = ["sweep", "strategy", "timeframe", "exchange", "symbol", "objective", "objective_value", "params",
                "sharpe_ratio", "total_return", "max_drawdown", "dsr", "pbo", "verdict", "loaded_at"]


def read_export(data_dir: Path, table: str, columns: list[str] | None = None, where=None) -> pd.DataFrame | None:
    """The export of `table` (only `columns`, rows matching the pyarrow expression `where`); None if absent."""
    path = DataPaths(Path(data_dir)).export(table)
    if not path.is_file():
        return None
    return ds.dataset(path, format="parquet").to_table(columns=columns, filter=where).to_pandas()


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
    return frame


def portfolio_daily(data_dir: Path) -> pd.DataFrame:
    columns = ["trade_date", "daily_return", "equity", "pnl", "drawdown", "breaker_level"]
    frame = read_export(data_dir, "fct_portfolio_daily", columns)
    if frame is None:
        return pd.DataFrame(columns=columns)
    return _dates(frame, "trade_date").sort_values("trade_date").reset_index(drop=True)


def portfolio_rolling(data_dir: Path) -> pd.DataFrame:
    frame = read_export(data_dir, "fct_portfolio_risk_rolling")
    if frame is None:
        return pd.DataFrame(columns=["as_of_date", "window_days"])
    return _dates(frame, "as_of_date")


def rolling_volatility(frame: pd.DataFrame, end: date) -> pd.DataFrame:
    """The 30-day rolling annualised volatility of `portfolio_rolling`'s frame, days up to `end`."""
    if "annual_volatility" not in frame:
        return pd.DataFrame(columns=["as_of_date", "annual_volatility"])
    frame = frame[(frame.window_days == 30) & (frame.as_of_date <= end)].dropna(subset=["annual_volatility"])
    return frame[["as_of_date", "annual_volatility"]].sort_values("as_of_date").reset_index(drop=True)


def daily_closes(data_dir: Path) -> pd.DataFrame:
    """Each series' last close of each UTC day in its timeframe with the most days."""
    columns = ["exchange", "symbol", "timeframe", "ts", "trade_date", "close"]
    frame = read_export(data_dir, "fct_features", columns)
    if frame is None or frame.empty:
        return pd.DataFrame(columns=columns)
    days = frame.groupby(["exchange", "symbol", "timeframe"]).trade_date.nunique().rename("days").reset_index()
    longest = days.sort_values("days", ascending=False).drop_duplicates(["exchange", "symbol"])
    frame = frame.merge(longest[["exchange", "symbol", "timeframe"]], on=["exchange", "symbol", "timeframe"])
    last = frame.sort_values("ts").groupby(["exchange", "symbol", "trade_date"], as_index=False).last()
    return _dates(last, "trade_date").sort_values(["exchange", "symbol", "trade_date"]).reset_index(drop=True)


def correlation_matrix(data_dir: Path, end: date) -> pd.DataFrame:
    """Series x series: each pair's latest 30-day rolling correlation ending on or before `end`."""
    frame = read_export(data_dir, "fct_correlation", where=ds.field("window_type") == "rolling")
    if frame is None or frame.empty:
        return pd.DataFrame()
    frame = _dates(frame, "window_end")
    frame = frame[frame.window_end <= end].sort_values("window_end")
    if frame.empty:
        return pd.DataFrame()
    latest = frame.groupby(["exchange_a", "symbol_a", "exchange_b", "symbol_b"], as_index=False).last()
    a = latest.exchange_a + " " + latest.symbol_a
    b = latest.exchange_b + " " + latest.symbol_b
    labels = sorted(set(a) | set(b))
    matrix = pd.DataFrame(float("nan"), index=labels, columns=labels)
    for x, y, value in zip(a, b, latest.correlation):
        matrix.loc[x, y] = matrix.loc[y, x] = value
    for label in labels:
        matrix.loc[label, label] = 1.0
    return matrix


def portfolio_stress(data_dir: Path) -> pd.DataFrame:
    """fct_stress' portfolio rows; the correlation scenario states its volatilities in the scenario name."""
    frame = read_export(data_dir, "fct_stress", where=ds.field("level") == "portfolio")
    if frame is None or frame.empty:
        return pd.DataFrame(columns=STRESS_COLUMNS)
    frame = _dates(frame, "window_start", "window_end")
    is_corr = frame.scenario_type == "hypothetical_correlation"
    frame.loc[is_corr, "scenario"] = [
        f"{s} (daily volatility {v:.2%} -> {w:.2%})" if pd.notna(v) and pd.notna(w) else s
        for s, v, w in zip(frame.scenario[is_corr], frame.daily_volatility[is_corr],
                           frame.daily_volatility_stressed[is_corr])]
    frame = frame.rename(columns={"scenario_return": "portfolio_return"})
    order = {"historical_worst": 0, "historical_declared": 1, "hypothetical_shock": 2, "hypothetical_correlation": 3}
    frame = frame.assign(order=frame.scenario_type.map(order)).sort_values(["order", "scenario"])
    return frame[STRESS_COLUMNS].reset_index(drop=True)


def data_quality(data_dir: Path, period: ReportPeriod) -> pd.DataFrame:
    """Every partition dated in the period: its latest validation outcome, plus its recorded gaps."""
    paths = DataPaths(Path(data_dir))
    results = sorted(paths.validation_results.glob("run=*.parquet")) if paths.validation_results.is_dir() else []
    wanted = (ds.field("date") >= period.start.isoformat()) & (ds.field("date") <= period.end.isoformat())
    rows = [ds.dataset(results, format="parquet").to_table(filter=wanted).to_pandas()] if results else []
    checked = pd.concat(rows) if rows else pd.DataFrame()
    parts = [_validation_rows(checked)] if len(checked) else []
    parts.append(_gap_rows(paths, period))
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    if frame is None:
        return pd.DataFrame(columns=QUALITY_COLUMNS)
    return frame[QUALITY_COLUMNS].sort_values(["date", "exchange", "symbol", "timeframe", "status"]).reset_index(
        drop=True)


def _validation_rows(checked: pd.DataFrame) -> pd.DataFrame:
    latest = checked.sort_values("validated_at").drop_duplicates(["exchange", "symbol", "timeframe", "date"], keep="last")
    status = ["quarantined" if not ok else "flagged" if flag else "passed"
              for ok, flag in zip(latest.passed, latest.flagged)]
    detail = [fail if not ok else flag for ok, fail, flag in zip(latest.passed, latest.failed, latest.flagged)]
    return _dates(latest.assign(status=status, detail=detail), "date")


def _gap_rows(paths: DataPaths, period: ReportPeriod) -> pd.DataFrame:
    rows = []
    for path in paths.gaps.glob("exchange=*/symbol=*/timeframe=*/date=*/gaps.parquet"):
        parts = dict(p.split("=", 1) for p in path.parent.relative_to(paths.gaps).parts)
        day = date.fromisoformat(parts["date"])
        if not period.contains(day):
            continue
        detail = gap_summary(pd.read_parquet(path))
        rows.append({"exchange": parts["exchange"], "symbol": symbol_from_key(parts["symbol"]),
                     "timeframe": parts["timeframe"], "date": day, "status": "gap", "detail": detail})
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS)


def gap_summary(gaps: pd.DataFrame) -> str:
    """One line for a series' day of gaps, not one per missing minute: '37 candles missing in 12 gaps,
    the longest 8 candles from 03:00 to 03:07 UTC'."""
    if gaps.empty:
        return "no candles missing"
    total, longest = int(gaps.missing_candles.sum()), gaps.loc[gaps.missing_candles.idxmax()]
    where = f"{longest.gap_start:%H:%M} to {longest.gap_end:%H:%M} UTC"
    if len(gaps) == 1:
        return f"{total} candle{'s' if total != 1 else ''} missing, {where}"
    return (f"{total} candles missing in {len(gaps)} gaps, the longest {int(longest.missing_candles)} "
            f"candle{'s' if int(longest.missing_candles) != 1 else ''} from {where}")


def sweeps_before(data_dir: Path, cutoff: datetime) -> tuple[pd.DataFrame, list[Path]]:
    """Each sweep's best parameters from its latest run loaded before `cutoff`, and that run's heatmaps."""
    frame = read_export(data_dir, "fct_sweep_best")
    if frame is None or frame.empty:
        return pd.DataFrame(columns=BEST_COLUMNS), []
    frame = frame[frame.loaded_at <= pd.Timestamp(cutoff)]
    if frame.empty:
        return pd.DataFrame(columns=BEST_COLUMNS), []
    latest = frame.groupby("sweep").loaded_at.transform("max")
    frame = frame[frame.loaded_at == latest].copy()
    frame["objective_value"] = [row[obj] for obj, (_, row) in zip(frame.objective, frame.iterrows())]
    frame["params"] = [p if isinstance(p, str) else json.dumps(p) for p in frame.params]
    heatmaps = sorted(
        png for sweep, run in frame[["sweep", "run_id"]].drop_duplicates().itertuples(index=False)
        for png in DataPaths(Path(data_dir)).sweep_heatmaps(sweep, run_key(run)).glob("*.png"))
    best = frame.reindex(columns=BEST_COLUMNS).sort_values(["sweep", "exchange", "symbol"]).reset_index(drop=True)
    return best, heatmaps


# Out of sample first: what the chosen params earned on bars they were not chosen on; in sample after.
WALK_FORWARD_METRICS = ("sharpe_ratio", "total_return", "max_drawdown")
WALK_FORWARD_COLUMNS = ["sweep", "strategy", "timeframe", "scheme", "folds",
                        *(f"oos_{m}" for m in WALK_FORWARD_METRICS), *(f"is_{m}" for m in WALK_FORWARD_METRICS),
                        "degradation_sharpe_ratio", "loaded_at"]


def walk_forward_before(data_dir: Path, cutoff: datetime) -> pd.DataFrame:
    """Each walk-forward sweep's latest run loaded before `cutoff`: its folds and, per metric, the mean
    over them (NULL folds skipped), out-of-sample columns before in-sample ones."""
    frame = read_export(data_dir, "fct_sweep_walk_forward")
    if frame is None or frame.empty:
        return pd.DataFrame(columns=WALK_FORWARD_COLUMNS)
    frame = frame[frame.loaded_at <= pd.Timestamp(cutoff)]
    frame = frame[frame.loaded_at == frame.groupby("sweep").loaded_at.transform("max")]
    if frame.empty:
        return pd.DataFrame(columns=WALK_FORWARD_COLUMNS)
    means = [c for c in WALK_FORWARD_COLUMNS if c.startswith(("oos_", "is_", "degradation_"))]
    summary = frame.groupby(["sweep", "strategy", "timeframe", "scheme", "loaded_at"], as_index=False).agg(
        folds=("fold", "count"), **{c: (c, "mean") for c in means})
    return summary[WALK_FORWARD_COLUMNS].sort_values("sweep").reset_index(drop=True)


# --- the desk's ledger marts (include/execution/publish.py exports them) -------------------------

LEDGER_EXPORTS = ("fct_pnl", "fct_orders", "fct_fills")  # positions at a period end come from fct_pnl


def ledger_marts(data_dir: Path) -> dict[str, pd.DataFrame] | None:
    """The ledger marts' exports by name; None while the ledger has no order (no paper trade yet)."""
    frames = {name: read_export(data_dir, name) for name in LEDGER_EXPORTS}
    if any(frame is None for frame in frames.values()) or frames["fct_orders"].empty:
        return None
    frames["fct_pnl"] = _dates(frames["fct_pnl"], "trade_date", "close_date")
    for name in ("fct_orders", "fct_fills"):
        frames[name] = _dates(frames[name], "trade_date")
    return frames
