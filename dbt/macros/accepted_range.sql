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

{#- accepted_range for several columns of a model in one test: `ranges` maps a column to its
    min_value / max_value / tolerance; one row per column with values outside. -#}
{% test accepted_ranges(model, ranges) %}
{%- set checks = [] %}
{%- for column, bounds in ranges.items() %}
  {%- set outside = [] %}
  {%- if bounds.min_value is defined %}{% do outside.append(column ~ " < " ~ bounds.min_value ~ " - " ~ (bounds.tolerance or 0)) %}{% endif %}
  {%- if bounds.max_value is defined %}{% do outside.append(column ~ " > " ~ bounds.max_value ~ " + " ~ (bounds.tolerance or 0)) %}{% endif %}
  {%- do checks.append([column, outside | join(" or ")]) %}
{%- endfor %}
{{ count_failures(model, checks) }}
{% endtest %}
