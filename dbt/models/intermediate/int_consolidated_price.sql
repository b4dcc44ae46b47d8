-- One consolidated price per (symbol, timeframe, ts) across every venue quoting the symbol:
-- the volume-weighted mean of the venues' closes, or their plain mean when no venue traded
-- (total volume 0). Uses each venue's landed candles and, for timeframes it was not landed
-- at, its resampled ones; a venue with a gap at ts simply does not take part.
with candles as (
    {{ resample_candles_every_timeframe() }}
)

select
    symbol,
    timeframe,
    ts,
    case
        when sum(coalesce(volume, 0)) > 0
            then sum(close * coalesce(volume, 0)) / sum(coalesce(volume, 0))
        else avg(close)
    end as consolidated_close,
    sum(coalesce(volume, 0)) as total_volume,
    count(distinct exchange) as n_venues,
    list(exchange order by exchange) as venues
from candles
group by symbol, timeframe, ts
