
    
    



select symbol
from "peak_trade"."main"."stg_candles"
where symbol is null


