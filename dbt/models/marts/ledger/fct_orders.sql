{{ config(tags=['ledger']) }}
-- Each order with its status, what its fills add up to (filled amount, average fill price,
-- fees) and its slippage against the arrival price (positive = a cost; docs/definitions.md).
with filled as (
    select
        client_order_id,
        count(*) as n_fills,
        sum(amount) as filled_amount,
        sum(amount * price) / nullif(sum(amount), 0) as average_price,
        sum(fee_quote) as fees,
        sum(slippage_quote) as slippage_quote,
        min(ts) as first_fill_at,
        max(ts) as last_fill_at
    from {{ ref('fct_fills') }}
    where client_order_id is not null
    group by client_order_id
)

select
    o.client_order_id,
    o.exchange,
    o.symbol,
    o.side,
    o.order_type,
    o.amount,
    o.limit_price,
    o.arrival_price,
    o.status,
    coalesce(f.filled_amount, 0) as filled_amount,
    o.amount - coalesce(f.filled_amount, 0) as remaining_amount,
    coalesce(f.n_fills, 0) as n_fills,
    f.average_price,
    coalesce(f.fees, 0) as fees,
    case when o.arrival_price > 0
         then {{ ledger_side_sign('o.side') }} * (f.average_price / o.arrival_price - 1) * 10000 end as slippage_bps,
    f.slippage_quote,
    o.reason,
    o.leg,
    o.run_id,
    o.external,
    o.venue_order_id,
    o.created_at,
    o.created_at::date as trade_date,
    f.first_fill_at,
    f.last_fill_at
from {{ ref('stg_ledger_orders') }} as o
left join filled as f using (client_order_id)
