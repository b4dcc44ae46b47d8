{{ config(tags=['ledger']) }}
-- The latest position per symbol (after its last fill, include/execution/pnl.py's figures),
-- marked at the latest daily close of the execution venue's series in the warehouse
-- (int_daily_returns). A symbol traded to flat stays, with its realised PnL.
with latest as (
    select *
    from {{ ref('stg_ledger_position_events') }}
    qualify row_number() over (partition by exchange, symbol order by seq desc) = 1
),

marks as (
    select d.exchange, d.symbol, d.trade_date as mark_date, d.close as mark
    from {{ ref('int_daily_returns') }} as d
    join latest as l using (exchange, symbol)
    qualify row_number() over (partition by d.exchange, d.symbol order by d.trade_date desc) = 1
),

valued as (
    select
        l.exchange,
        l.symbol,
        l.quantity,
        l.average_cost,
        m.mark,
        m.mark_date,
        case when l.quantity = 0 then 0 else l.quantity * m.mark end as market_value,
        l.realised_gross,
        l.fees,
        l.realised_pnl,
        case when l.quantity = 0 then 0 else l.quantity * (m.mark - l.average_cost) end as unrealised_pnl,
        l.ts as last_fill_at
    from latest as l
    left join marks as m using (exchange, symbol)
)

select *, realised_pnl + unrealised_pnl as total_pnl
from valued
