"""A ReportData with made-up but plausible numbers, for the renderers' tests (the gather step has
its own tests on a real warehouse). `sample_report(empty=True)` is a period before any data.
`at_breaker_level(n)` is one with its breaker at level n; `report_files` writes a small real PDF
and workbook; `notify_config` is the config with the given report recipients and notification
channels, sending through the test SMTP connection."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from include.config.loader import load_config
from include.config.schema import Notifications, Reports
from include.metrics import risk
from include.reports.delivery import report_paths
from include.reports.formatting import money
from include.reports.gather import sweep_cutoff, sweep_rule, with_amounts
from include.reports.model import NOT_YET, Headline, ReportData, ReportPeriod
from tests.reports.smtp_support import CONN_ID

SERIES = [("sim_alpha", "BTC/USDT"), ("sim_alpha", "ETH/USDT"), ("sim_beta", "SOL/USDT"), ("sim_beta", "XRP/USDT")]


def _history(end: date, days: int = 200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=pd.Timestamp(end), periods=days, freq="D").date
    r = rng.normal(0.0005, 0.025, days)
    equity = 100_000 * np.cumprod(1 + r)
    peak = np.maximum.accumulate(np.maximum(equity, 100_000))
    drawdown = equity / peak - 1
    level = np.select([drawdown <= -0.15, drawdown <= -0.10, drawdown <= -0.05], [3, 2, 1], 0)
    pnl = np.diff(np.concatenate([[100_000], equity]))
    return pd.DataFrame({"trade_date": dates, "daily_return": r, "equity": equity, "pnl": pnl,
                         "drawdown": drawdown, "breaker_level": level})


def _headline(period: ReportPeriod, equity: pd.DataFrame) -> Headline:
    inside = equity[[period.contains(d) for d in equity["trade_date"]]]
    before = equity[equity["trade_date"] < period.start]
    window = equity.tail(90)["daily_return"].to_numpy()
    last = equity.iloc[-1]
    start_equity = before["equity"].iloc[-1] if len(before) else 100_000.0
    return Headline(
        as_of=last["trade_date"], equity=float(last["equity"]), pnl=float(inside["pnl"].sum()),
        period_return=float(last["equity"] / start_equity - 1),
        annual_return=risk.annual_return(window, 365), annual_volatility=risk.annual_volatility(window, 365),
        sharpe_ratio=risk.sharpe_ratio(window, 365), sortino_ratio=risk.sortino_ratio(window, 365),
        calmar_ratio=risk.calmar_ratio(window, 365), max_drawdown=risk.max_drawdown(window),
        var_95=0.041, cvar_95=0.052, var_99=0.063, cvar_99=0.071,
        drawdown=float(last["drawdown"]), breaker_level=int(last["breaker_level"]),
        peak_date=equity[equity["drawdown"] >= 0]["trade_date"].iloc[-1] if (equity["drawdown"] >= 0).any() else None,
    )


def sample_report(kind: str = "daily", day: date = date(2024, 6, 1), empty: bool = False) -> ReportData:
    period = ReportPeriod.covering(kind, day)
    generated = datetime(2024, 6, 3, 6, 30, tzinfo=timezone.utc)
    if empty:
        return _empty(period, generated)
    equity = _history(period.end)
    labels = [f"{e} {s}" for e, s in SERIES]
    rng = np.random.default_rng(5)
    corr = np.clip(0.5 + 0.4 * rng.random((4, 4)), -1, 1)
    corr = (corr + corr.T) / 2
    np.fill_diagonal(corr, 1.0)
    returns = equity.tail(90)[["trade_date", "daily_return"]].reset_index(drop=True)
    rolling = pd.DataFrame({"as_of_date": equity["trade_date"],
                            "annual_volatility": equity["daily_return"].rolling(30).std() * np.sqrt(365)}).dropna()
    vol = rolling["annual_volatility"]
    regime = np.where(vol < vol.quantile(0.2), "low", np.where(vol > vol.quantile(0.8), "high", "normal"))
    performers = pd.DataFrame({
        "series": labels, "exchange": [e for e, _ in SERIES], "symbol": [s for _, s in SERIES],
        "period_return": [0.034, 0.012, -0.008, -0.051], "close": [67_123.45, 3_512.2, 151.37, 0.5123],
    })
    stress = pd.DataFrame({
        "scenario": ["worst_1d", "worst_7d", "usdc_depeg", "shock_-20pct", "correlation_one"],
        "scenario_type": ["historical_worst", "historical_worst", "historical_declared", "hypothetical_shock",
                          "hypothetical_correlation"],
        "window_start": [date(2024, 3, 5), date(2024, 3, 1), date(2023, 3, 10), None, None],
        "window_end": [date(2024, 3, 5), date(2024, 3, 7), date(2023, 3, 13), None, None],
        "portfolio_return": [-0.081, -0.153, -0.042, -0.2, -0.061],
    })
    days = pd.date_range(period.start, period.end, freq="D").date
    quality = pd.DataFrame([
        {"exchange": e, "symbol": s, "timeframe": "1h", "date": d, "status": "passed", "detail": ""}
        for e, s in SERIES for d in days])
    quality.loc[1, ["status", "detail"]] = ["flagged", "close moved 6.2 sigma against the median of other venues"]
    quality.loc[2, ["status", "detail"]] = ["quarantined", "high below low in 3 rows"]
    gap = {"exchange": "sim_beta", "symbol": "XRP/USDT", "timeframe": "1h", "date": days[0], "status": "gap",
           "detail": "no candles 03:00 to 05:00 UTC (3 bars)"}
    quality = pd.concat([quality, pd.DataFrame([gap])], ignore_index=True)
    sweeps = pd.DataFrame([
        {"sweep": "sma_crossover_1h", "strategy": "sma_crossover", "timeframe": "1h", "exchange": e, "symbol": s,
         "objective": "sharpe_ratio", "objective_value": v, "params": json.dumps({"fast": 20, "slow": 100}),
         "sharpe_ratio": v, "total_return": v / 10, "max_drawdown": -0.12, "dsr": dsr, "pbo": pbo,
         "verdict": verdict, "loaded_at": pd.Timestamp("2024-06-01 02:05", tz="UTC")}
        for (e, s), v, (dsr, pbo, verdict) in zip(SERIES[:2], (1.21, 0.84),
                                                   ((0.97, 0.21, "survives deflation"), (0.62, 0.58, "likely luck")))])
    walk_forward = pd.DataFrame([{  # out of sample first, as export_readers.walk_forward_before gives it
        "sweep": "sma_walk_forward_1h", "strategy": "sma_crossover", "timeframe": "1h", "scheme": "rolling",
        "folds": 9, "oos_sharpe_ratio": 0.42, "oos_total_return": 0.013, "oos_max_drawdown": -0.08,
        "is_sharpe_ratio": 1.37, "is_total_return": 0.061, "is_max_drawdown": -0.05,
        "degradation_sharpe_ratio": -0.95, "loaded_at": pd.Timestamp("2024-06-01 02:07", tz="UTC")}])
    headline = _headline(period, equity)
    data = ReportData(
        period=period, generated_at=generated, currency="USDT", headline=headline,
        attention=["sim_alpha ETH/USDT 1h: 1 partition quarantined (high below low in 3 rows)",
                   f"circuit breaker at level {headline.breaker_level} ({headline.breaker_state})"],
        equity=equity, returns=returns, rolling=rolling,
        regimes=pd.DataFrame({"trade_date": rolling["as_of_date"], "volatility_regime": regime}),
        correlation=pd.DataFrame(corr, index=labels, columns=labels),
        allocation=pd.DataFrame({"series": labels, "weight": [0.25] * 4}),
        performers=performers, stress=stress, quality=quality, sweeps_best=sweeps, sweep_heatmaps=[],
        sweeps_walk_forward=walk_forward,
    )
    data.missing.update({name: NOT_YET.format(what=name) for name in ("positions", "trades", "orders", "fills")})
    data.stress = with_amounts(stress, headline.equity, "USDT", equity)
    data.sweep_rule = sweep_rule(period, sweep_cutoff(period, generated))
    return data


VENUES = ("sim_alpha", "sim_beta", "sim_gamma")
COINS = {"BTC/USDT": 67_000.0, "ETH/USDT": 3_500.0, "SOL/USDT": 150.0, "XRP/USDT": 0.51, "DOGE/USDT": 0.16}


def multi_venue_report(kind: str = "daily") -> ReportData:
    """sample_report() over the demo's universe: five coins each on three venues, grouped by asset as
    gather does (include/reports/assets.py)."""
    from include.reports import assets

    data = sample_report(kind)
    rng = np.random.default_rng(11)
    rows = []
    for c, (symbol, close) in enumerate(COINS.items()):
        base = 0.04 - 0.02 * c
        for v, venue in enumerate(VENUES):
            rows.append({"series": f"{venue} {symbol}", "exchange": venue, "symbol": symbol,
                         "period_return": base + 0.0004 * v, "close": close * (1 + 0.0007 * v)})
    performers = pd.DataFrame(rows).sort_values("period_return", ascending=False).reset_index(drop=True)
    labels = sorted(performers.series)
    coin = {label: label.split(" ")[1] for label in labels}
    corr = np.array([[1.0 if a == b else (0.97 if coin[a] == coin[b] else 0.55 + 0.1 * rng.random())
                      for b in labels] for a in labels])
    corr = (corr + corr.T) / 2
    correlation = pd.DataFrame(corr, index=labels, columns=labels)
    data.performers, data.correlation = performers, correlation
    weights = pd.DataFrame({"series": labels, "weight": [1 / len(labels)] * len(labels)})
    data.assets = assets.by_asset(performers)
    data.allocation = assets.allocation(weights, performers)
    data.asset_correlation = assets.correlation(correlation, performers)
    data.venues = assets.venues(performers, correlation)
    return data


def _empty(period: ReportPeriod, generated: datetime) -> ReportData:
    none = {name: None for name in ("as_of", "equity", "pnl", "period_return", "annual_return", "annual_volatility",
                                    "sharpe_ratio", "sortino_ratio", "calmar_ratio", "max_drawdown", "var_95",
                                    "cvar_95", "var_99", "cvar_99", "drawdown", "breaker_level")}
    frame = pd.DataFrame
    data = ReportData(
        period=period, generated_at=generated, currency="USDT", headline=Headline(**none), attention=[],
        equity=frame(columns=["trade_date", "daily_return", "equity", "pnl", "drawdown", "breaker_level"]),
        returns=frame(columns=["trade_date", "daily_return"]), rolling=frame(columns=["as_of_date", "annual_volatility"]),
        regimes=frame(columns=["trade_date", "volatility_regime"]), correlation=frame(),
        allocation=frame(columns=["series", "weight"]),
        performers=frame(columns=["series", "exchange", "symbol", "period_return", "close"]),
        stress=frame(columns=["scenario", "scenario_type", "window_start", "window_end", "portfolio_return"]),
        quality=frame(columns=["exchange", "symbol", "timeframe", "date", "status", "detail"]),
        sweeps_best=frame(columns=["sweep", "strategy", "timeframe", "exchange", "symbol", "objective",
                                   "objective_value", "params", "sharpe_ratio", "total_return", "max_drawdown",
                                   "dsr", "pbo", "verdict", "loaded_at"]),
    )
    reason = f"no portfolio data on or before {period.end.isoformat()}: the warehouse has nothing for this period"
    data.missing.update({name: reason for name in ("headline", "equity", "returns", "rolling", "correlation",
                                                   "allocation", "performers", "stress", "sweeps",
                                                   "walk_forward")})
    data.missing["quality"] = f"no partitions were validated for {period.start.isoformat()} to {period.end.isoformat()}"
    data.missing.update({name: NOT_YET.format(what=name) for name in ("positions", "trades", "orders", "fills")})
    return data


def at_breaker_level(level: int) -> ReportData:
    """sample_report() with its circuit breaker at `level` (a 5.2 % drawdown when above 0)."""
    data = sample_report()
    data.headline = replace(data.headline, breaker_level=level, drawdown=-0.052 if level else -0.01)
    return data


SENDER = "peak-trade@example.com"


def notify_config(recipients=(), **notifications):
    config = load_config()
    return config.model_copy(update={
        "reports": Reports(recipients=list(recipients), sender=SENDER, smtp_conn_id=CONN_ID),
        "notifications": Notifications(**notifications),
    })


@pytest.fixture
def report_files(tmp_path):
    """A small real PDF (reportlab) and workbook (openpyxl) under the period's stable names."""
    from openpyxl import Workbook
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    data = sample_report()
    paths = report_paths(data.period, tmp_path / "reports")
    paths["pdf"].parent.mkdir(parents=True)
    pdf = canvas.Canvas(str(paths["pdf"]), pagesize=A4)
    pdf.drawString(72, 770, data.period.title)
    pdf.drawString(72, 750, f"Equity {money(data.headline.equity, data.currency)}")
    pdf.save()
    book = Workbook()
    book.active.append(["equity", data.headline.equity])
    book.active.append(["sharpe_ratio", data.headline.sharpe_ratio])
    book.save(paths["xlsx"])
    return data, paths
