{{ config(tags=['ledger']) }}
-- The paper desk's PnL per UTC day, from its first ledger day to the latest daily close of its
-- series: one row per (exchange, symbol, day) with level 'symbol', and one 'total' row per day.
-- Realised PnL and fees are the position's after the day's last fill (include/execution/pnl.py,
-- cumulative); unrealised PnL marks the position at the day's close (int_daily_returns; the
-- last close before when the day has none, close_date says which). The total row adds the
-- symbols and the cash balance: equity = cash + sum of quantity x close. One quote currency is
-- assumed (every cash row counts). A held position without any close has unrealised PnL, and
-- the day's equity, NULL.
with events as (
    -- the position at the end of each day with fills
    select *
    from {{ ref('stg_ledger_position_events') }}
    qualify row_number() over (partition by exchange, symbol, trade_date order by seq desc) = 1
),

cash as (
    select trade_date, sum(amount) as cash_change
    from {{ ref('stg_ledger_cash') }}
    group by trade_date
),

series as (
    select exchange, symbol, min(trade_date) as first_day
    from events
    group by exchange, symbol
),

closes as (
    select d.exchange, d.symbol, d.trade_date, d.close
    from {{ ref('int_daily_returns') }} as d
    join series as s using (exchange, symbol)
),

days as (
    select unnest(generate_series(first_day, last_day, interval 1 day))::date as trade_date
    from (
        select least((select min(trade_date) from events), (select min(trade_date) from cash)) as first_day,
               greatest((select max(trade_date) from events), (select max(trade_date) from cash),
                        (select max(trade_date) from closes)) as last_day
    )
    where first_day is not null
),

positions as (
    select s.exchange, s.symbol, d.trade_date, e.quantity, e.average_cost, e.realised_gross, e.fees, e.realised_pnl
    from series as s
    join days as d on d.trade_date >= s.first_day
    asof join events as e
        on e.exchange = s.exchange and e.symbol = s.symbol and e.trade_date <= d.trade_date
),

symbols as (
    select
        p.*,
        c.close,
        c.trade_date as close_date,
        case when p.quantity = 0 then 0 else p.quantity * c.close end as market_value,
        case when p.quantity = 0 then 0 else p.quantity * (c.close - p.average_cost) end as unrealised_pnl
    from positions as p
    asof left join closes as c
        on c.exchange = p.exchange and c.symbol = p.symbol and c.trade_date <= p.trade_date
),

totals as (
    select
        d.trade_date,
        sum(coalesce(c.cash_change, 0)) over (order by d.trade_date) as cash,
        t.market_value,
        t.realised_gross,
        t.fees,
        t.realised_pnl,
        t.unrealised_pnl
    from days as d
    left join cash as c using (trade_date)
    left join (
        select
            trade_date,
            -- NULL when a held position has no close: no partial sum passes for the whole
            case when count(*) filter (where market_value is null) = 0 then sum(market_value) end as market_value,
            sum(realised_gross) as realised_gross,
            sum(fees) as fees,
            sum(realised_pnl) as realised_pnl,
            case when count(*) filter (where unrealised_pnl is null) = 0 then sum(unrealised_pnl) end as unrealised_pnl
        from symbols
        group by trade_date
    ) as t using (trade_date)
),

total_rows as (
    select
        *,
        cash + coalesce(market_value, case when realised_pnl is null then 0 end) as equity
    from totals
),

unioned as (
    select
        'symbol' as level, exchange, symbol, trade_date, quantity, average_cost, close, close_date, market_value,
        realised_gross, fees, realised_pnl, unrealised_pnl, null::double as cash, null::double as equity
    from symbols
    union all
    select
        'total' as level, null as exchange, null as symbol, trade_date, null as quantity, null as average_cost,
        null as close, null as close_date, market_value, coalesce(realised_gross, 0), coalesce(fees, 0),
        coalesce(realised_pnl, 0), case when realised_pnl is null then 0 else unrealised_pnl end, cash, equity
    from total_rows
)

select
    *,
    realised_pnl + unrealised_pnl as total_pnl,
    -- the day's change of total PnL (the first day: all of it)
    realised_pnl + unrealised_pnl - coalesce(lag(realised_pnl + unrealised_pnl) over w, 0) as pnl,
    equity / lag(equity) over w - 1 as daily_return,
    equity / max(equity) over (partition by level, exchange, symbol order by trade_date) - 1 as drawdown
from unioned
window w as (partition by level, exchange, symbol order by trade_date)
