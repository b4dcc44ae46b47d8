{#-
  Rows whose value lies outside [min_value, max_value] (either bound optional;
  NULLs pass). `tolerance` widens both bounds, for values that are an exact
  bound only up to floating-point rounding (TA-Lib's running sums leave a %K of
  -5e-13 where the exact value is 0).
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, tolerance=0) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (
    false
    {%- if min_value is not none %} or {{ column_name }} < {{ min_value }} - {{ tolerance }}{% endif %}
    {%- if max_value is not none %} or {{ column_name }} > {{ max_value }} + {{ tolerance }}{% endif %}
  )
{% endtest %}
