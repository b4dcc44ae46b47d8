
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select ts
from "peak_trade"."main"."stg_candles"
where ts is null



  
  
      
    ) dbt_internal_test