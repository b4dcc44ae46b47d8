
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select symbol
from "peak_trade"."main"."stg_candles"
where symbol is null



  
  
      
    ) dbt_internal_test