{{ config(tags=['ledger']) }}
-- Each fill with its order's arrival price and the slippage against it, signed so that a cost
-- is positive (a buy above or a sell below the arrival price): docs/definitions.md.
select
    f.exchange,
    f.symbol,
    f.trade_id,
    f.client_order_id,
    f.side,
    f.amount,
    f.price,
    f.amount * f.price as notional,
    f.fee_cost,
    f.fee_currency,
    f.fee_quote,
    o.arrival_price,
    {{ ledger_side_sign('f.side') }} * (f.price / o.arrival_price - 1) * 10000 as slippage_bps,
    {{ ledger_side_sign('f.side') }} * (f.price - o.arrival_price) * f.amount as slippage_quote,
    f.ts,
    f.trade_date
from {{ ref('stg_ledger_fills') }} as f
left join {{ ref('stg_ledger_orders') }} as o
    on o.client_order_id = f.client_order_id and o.arrival_price > 0
