{{ config(materialized='table', tags=['ledger']) }}
-- The position after each fill, as include/execution/pnl.py replayed it (the one definition
-- of average cost, realised PnL and fees: docs/definitions.md "Positions and PnL"); typed.
with events as (
    {% if ledger_export_exists('position_events') %}
    select * from {{ source('ledger', 'position_events') }}
    {% else %}
    select null::bigint as seq, null::bigint as ts_ms, null::varchar as venue, null::varchar as price_exchange, null::varchar as trade_id,
           null::varchar as symbol, null::double as quantity, null::double as average_cost,
           null::double as realised_gross, null::double as fees, null::double as realised_pnl
    where false
    {% endif %}
)

select
    seq,
    price_exchange as exchange,  -- whose closes price it (the paper desk: the exchange it mirrors)
    venue,
    symbol,
    trade_id,
    quantity::double as quantity,
    average_cost::double as average_cost,
    realised_gross::double as realised_gross,
    fees::double as fees,
    realised_pnl::double as realised_pnl,
    epoch_ms(ts_ms) as ts,
    epoch_ms(ts_ms)::date as trade_date
from events
