
    
    



select ts
from "peak_trade"."main"."stg_candles"
where ts is null


