{{ config(materialized='table', tags=['ledger']) }}
-- Every change of a currency balance the ledger implies (signed, + in), typed.
with cash as (
    {% if ledger_export_exists('cash') %}
    select * from {{ source('ledger', 'cash') }}
    {% else %}
    select null::bigint as ts_ms, null::varchar as currency, null::double as amount, null::varchar as kind,
           null::varchar as reference
    where false
    {% endif %}
)

select
    epoch_ms(ts_ms) as ts,
    epoch_ms(ts_ms)::date as trade_date,
    currency,
    amount::double as amount,
    kind,
    reference
from cash
