{{ config(materialized='table', tags=['ledger']) }}
-- The ledger's orders, typed; nothing else. A table, not a view: the export file may be
-- replaced or absent later, the warehouse keeps what the last build read.
with orders as (
    {% if ledger_export_exists('orders') %}
    select * from {{ source('ledger', 'orders') }}
    {% else %}
    -- no paper trade yet: an empty batch with the export's columns
    select null::varchar as client_order_id, null::varchar as venue, null::varchar as price_exchange, null::varchar as run_id,
           null::varchar as symbol, null::varchar as side, null::varchar as type, null::double as amount,
           null::double as limit_price, null::double as arrival_price, null::varchar as reason,
           null::varchar as leg, null::varchar as status, null::varchar as venue_order_id,
           null::double as filled, null::boolean as external, null::bigint as created_ms
    where false
    {% endif %}
)

select
    client_order_id,
    price_exchange as exchange,  -- whose closes price it (the paper desk: the exchange it mirrors)
    venue,
    run_id,
    symbol,
    side,
    type as order_type,
    amount::double as amount,
    limit_price::double as limit_price,
    arrival_price::double as arrival_price,
    reason,
    leg,
    status,
    venue_order_id,
    filled::double as filled_reported,
    external,
    epoch_ms(created_ms) as created_at
from orders
