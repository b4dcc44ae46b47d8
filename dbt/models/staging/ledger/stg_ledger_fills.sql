{{ config(materialized='table', tags=['ledger']) }}
-- The ledger's fills, typed, with the fee in the quote currency (a base-currency fee at the
-- fill's price, as include/execution/pnl.py counts it); nothing else.
with fills as (
    {% if ledger_export_exists('fills') %}
    select * from {{ source('ledger', 'fills') }}
    {% else %}
    select null::varchar as venue, null::varchar as price_exchange, null::varchar as trade_id, null::varchar as client_order_id,
           null::varchar as venue_order_id, null::varchar as symbol, null::varchar as side, null::double as amount,
           null::double as price, null::double as fee_cost, null::varchar as fee_currency, null::bigint as ts_ms
    where false
    {% endif %}
)

select
    price_exchange as exchange,  -- whose closes price it (the paper desk: the exchange it mirrors)
    venue,
    trade_id,
    client_order_id,
    venue_order_id,
    symbol,
    side,
    amount::double as amount,
    price::double as price,
    fee_cost::double as fee_cost,
    fee_currency,
    case when fee_currency is null or fee_currency = {{ ledger_quote('symbol') }}
         then fee_cost::double else fee_cost::double * price::double end as fee_quote,
    epoch_ms(ts_ms) as ts,
    epoch_ms(ts_ms)::date as trade_date
from fills
