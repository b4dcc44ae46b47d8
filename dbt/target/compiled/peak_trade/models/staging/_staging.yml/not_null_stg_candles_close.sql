
    
    



select close
from "peak_trade"."main"."stg_candles"
where close is null


