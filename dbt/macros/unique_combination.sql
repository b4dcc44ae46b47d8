{% test unique_combination(model, columns) %}
-- Rows whose compound key appears more than once (a generic test without extra packages).
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
