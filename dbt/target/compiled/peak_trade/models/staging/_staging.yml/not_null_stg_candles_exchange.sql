
    
    



select exchange
from "peak_trade"."main"."stg_candles"
where exchange is null


