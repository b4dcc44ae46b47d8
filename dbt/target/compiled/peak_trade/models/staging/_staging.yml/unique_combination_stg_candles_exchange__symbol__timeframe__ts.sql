
-- Rows whose compound key appears more than once (a generic test without extra packages).
select exchange, symbol, timeframe, ts, count(*) as n
from "peak_trade"."main"."stg_candles"
group by exchange, symbol, timeframe, ts
having count(*) > 1
