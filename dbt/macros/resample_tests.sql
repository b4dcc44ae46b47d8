{% test expression_holds(model, expression) %}
-- Rows for which `expression` is not true (a null result counts as a failure).
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
