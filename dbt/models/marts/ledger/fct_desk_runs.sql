{{ config(tags=['ledger']) }}
-- Each desk run's summary as the desk wrote it (include/execution/desk.py summarise): orders,
-- fills, slippage against the arrival price, weights before and after, rejections; dry runs
-- (previews) included. Adds the run's turnover and equity change.
select
    run_id,
    kind,
    dry_run,
    ts,
    ts::date as run_date,
    n_proposed,
    n_orders,
    n_fills,
    n_rejected,
    notional,
    notional / nullif(equity_before, 0) as turnover,
    fees,
    slippage_cost,
    slippage_bps,
    equity_before,
    equity_after,
    equity_after - equity_before as equity_change,
    weights_before,
    weights_after,
    rejections,
    preview
from {{ ref('stg_ledger_desk_runs') }}
