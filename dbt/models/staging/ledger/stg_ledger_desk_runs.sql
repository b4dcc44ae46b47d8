{{ config(materialized='table', tags=['ledger']) }}
-- The summary of each rebalance, flatten and liquidation (dry runs too), typed; the JSON columns
-- (weights before and after, rejections, the preview) as json. One row per (run_id, kind).
with runs as (
    {% if ledger_export_exists('desk_runs') %}
    select * from {{ source('ledger', 'desk_runs') }}
    {% else %}
    select null::varchar as run_id, null::varchar as kind, null::bigint as ts_ms, null::boolean as dry_run,
           null::bigint as orders, null::bigint as fills, null::bigint as rejected, null::bigint as proposed,
           null::double as notional, null::double as fees, null::double as slippage_cost,
           null::double as slippage_bps, null::double as equity_before, null::double as equity_after,
           null::varchar as weights_before, null::varchar as weights_after, null::varchar as rejections,
           null::varchar as preview
    where false
    {% endif %}
)

select
    run_id,
    kind,
    dry_run,
    orders::bigint as n_orders,
    fills::bigint as n_fills,
    rejected::bigint as n_rejected,
    proposed::bigint as n_proposed,
    notional::double as notional,
    fees::double as fees,
    slippage_cost::double as slippage_cost,
    slippage_bps::double as slippage_bps,
    equity_before::double as equity_before,
    equity_after::double as equity_after,
    weights_before::json as weights_before,
    weights_after::json as weights_after,
    rejections::json as rejections,
    preview::json as preview,
    epoch_ms(ts_ms) as ts
from runs
