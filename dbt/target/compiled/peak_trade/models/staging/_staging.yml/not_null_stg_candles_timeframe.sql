
    
    



select timeframe
from "peak_trade"."main"."stg_candles"
where timeframe is null


