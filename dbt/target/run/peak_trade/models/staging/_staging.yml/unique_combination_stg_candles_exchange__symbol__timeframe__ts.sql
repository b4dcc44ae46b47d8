
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
-- Rows whose compound key appears more than once (a generic test without extra packages).
select exchange, symbol, timeframe, ts, count(*) as n
from "peak_trade"."main"."stg_candles"
group by exchange, symbol, timeframe, ts
having count(*) > 1

  
  
      
    ) dbt_internal_test