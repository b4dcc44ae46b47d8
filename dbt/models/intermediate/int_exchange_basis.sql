-- Each venue's close against the consolidated price of its symbol, in basis points:
-- basis_bps = (close / consolidated_close - 1) * 10000. A basis needs a second venue, so
-- timestamps at which only one venue has a candle have no row.
with candles as (
    {{ resample_candles_every_timeframe() }}
)

select
    c.exchange,
    c.symbol,
    c.timeframe,
    c.ts,
    c.close,
    p.consolidated_close,
    p.n_venues,
    (c.close / p.consolidated_close - 1) * 10000 as basis_bps
from candles as c
inner join {{ ref('int_consolidated_price') }} as p
    on p.symbol = c.symbol and p.timeframe = c.timeframe and p.ts = c.ts
where p.n_venues >= 2
