"""The closing listing of `make demo`: where the pipeline's outputs are and how much is there."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from include.config.loader import config_path, load_config, reports_dir
from include.ingest import data_quality_dir, paths_for


def _count(folder: Path, pattern: str) -> int:
    return sum(1 for _ in folder.rglob(pattern)) if folder.is_dir() else 0


def _paper_positions(export: Path) -> list[str]:
    """The paper desk's positions as the warehouse marks them (fct_positions): what the demo's rebalance bought.
    Today's trades reach the daily report of today the next morning: a report covers whole past days."""
    if not export.is_file():
        return []
    held = pd.read_parquet(export)
    held = held[held["quantity"] != 0]
    rows = [f"  {r.symbol:<10} {r.quantity:>16,.6f}  at {r.mark:>12,.4f}  = {r.market_value:>12,.2f}  "
            f"unrealised {r.unrealised_pnl:>+10,.2f}" for r in held.sort_values("symbol").itertuples()]
    return [f"paper positions:     {export}  ({len(held)} held, marked at the latest daily close)", *rows]


def describe() -> str:
    config = load_config()
    paths = paths_for(config)
    lines = [f"config:              {config_path()}", f"data directory:      {paths.root}"]
    lines.append(f"validated candles:   {paths.raw}  ({_count(paths.raw, 'candles.parquet')} files: a month per hourly series, a day per minute series)")
    lines.append(f"quarantine:          {paths.quarantine}  ({_count(paths.quarantine, '*.json')} days with a JSON reason)")
    lines.append(f"recorded gaps:       {paths.gaps}  ({_count(paths.gaps, 'gaps.parquet')} days with gaps)")
    results = sorted(paths.validation_results.glob("run=*.parquet")) if paths.validation_results.is_dir() else []
    if results:
        latest = pd.read_parquet(results[-1])
        lines.append(
            f"validation results:  {paths.validation_results}  (latest run: {int(latest['passed'].sum())} of "
            f"{len(latest)} days passed, {int((latest['flagged'] != '').sum())} flagged)"
        )
    lines.append(f"validation report:   {data_quality_dir(config) / 'index.html'}  (opens offline)")
    exports = sorted(p.stem for p in paths.exports.glob("*.parquet")) if paths.exports.is_dir() else []
    lines.append(f"warehouse:           {paths.duckdb}  (marts exported: {', '.join(exports) or 'none yet'})")
    lines.append(f"warehouse to open:   {paths.reader_duckdb}  (a copy replaced after each build: open this one)")
    sweeps = paths.sweeps
    lines.append(
        f"sweeps:              {sweeps}  ({_count(sweeps, '*.parquet')} chunk files, "
        f"{_count(sweeps, '*.png')} heatmaps; marts fct_sweep_trials, fct_sweep_best, fct_sweep_walk_forward "
        "in the warehouse)"
    )
    reports = sorted(reports_dir(config).rglob("peak_trade_*.*"), key=lambda p: p.stat().st_mtime)[-4:]
    lines.append(f"reports:             {reports_dir(config)}  ({', '.join(p.name for p in reports) or 'none yet'})")
    from include.execution.desk import paper_ledger_counts
    from include.execution.settings import execution_settings

    where, orders, fills = paper_ledger_counts(paths, execution_settings(config).ledger_url)
    lines.append(f"order ledger:        {where}  ({orders} orders, {fills} fills; Parquet in {paths.ledger_exports})")
    lines += _paper_positions(paths.export("fct_positions"))
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe())
