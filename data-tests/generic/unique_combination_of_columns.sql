{#
  Generic test: the combination of `combination_of_columns` is unique in the model.
  (Same contract as dbt_utils.unique_combination_of_columns; the project installs no
  packages.) Usage:
    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [SOURCE_FILE, SOURCE_ROW]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as N_ROWS
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
