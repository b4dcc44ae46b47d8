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

{#- accepted_range for several columns of a model in one scan: `ranges` maps a column to its
    min_value / max_value / tolerance; one row per column with values outside, with how many. -#}
{% test accepted_ranges(model, ranges) %}
with outside as (
    select
    {%- for column, bounds in ranges.items() %}
        count(*) filter (where false
        {%- if bounds.min_value is defined %} or {{ column }} < {{ bounds.min_value }} - {{ bounds.tolerance or 0 }}{% endif %}
        {%- if bounds.max_value is defined %} or {{ column }} > {{ bounds.max_value }} + {{ bounds.tolerance or 0 }}{% endif %}) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for column in ranges %}
select '{{ column }}' as column_name, {{ column }} as outside_rows from outside where {{ column }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
