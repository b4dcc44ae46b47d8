"""The Desk page's figures as JSON (the plugin's data.json): the same numbers the page prints."""
from __future__ import annotations

import math

import pandas as pd

from include.desk_view.figures import DeskFigures, Portfolio
from include.desk_view.page import AirflowFacts


def payload(fig: DeskFigures, facts: AirflowFacts) -> dict:
    b, q = fig.breaker, fig.quality
    return {
        "generated_at": fig.generated_at.isoformat(), "currency": fig.currency,
        "paper": _portfolio(fig.paper), "benchmark": _portfolio(fig.benchmark),
        "positions": _records(fig.positions), "target_run": fig.target_run,
        "desk_day": None if fig.desk_day is None else str(fig.desk_day),
        "orders": _records(fig.orders), "fills": _records(fig.fills),
        "breaker": {"level": b.level, "action": b.action, "drawdown": b.drawdown, "equity": b.equity, "peak": b.peak,
                    "at": None if b.at is None else b.at.isoformat(), "source": b.source,
                    "thresholds": list(b.thresholds)},
        "kill_switch": {"variable": facts.kill_switch_variable, "value": facts.kill_switch_value,
                        "engaged": facts.kill_switch_engaged},
        "quality": {"run": q.run, "validated_at": None if q.validated_at is None else q.validated_at.isoformat(),
                    "passed": q.passed, "flagged": q.flagged, "quarantined": q.quarantined,
                    "problems": _records(q.problems), "report": q.report is not None},
        "sweeps": _records(fig.sweeps),
        "reports": {kind: {ext: path.relative_to(fig.reports_dir).as_posix() for ext, path in files.items()}
                    for kind, files in fig.reports.items()},
        "dag_runs": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
                     for r in facts.dag_runs],
    }


def _portfolio(p: Portfolio) -> dict:
    return {"as_of": None if p.as_of is None else str(p.as_of), "equity": p.equity, "day_pnl": p.day_pnl,
            "total_pnl": p.total_pnl, "day_return": p.day_return, "drawdown": p.drawdown, "missing": p.missing}


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")] if len(frame) else []


def _plain(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, (pd.Timestamp,)) or hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
        return None if isinstance(v, float) and not math.isfinite(v) else v
    if isinstance(v, (int, float, str, bool)):
        return v
    return str(v)  # Decimal, anything else: exact text
