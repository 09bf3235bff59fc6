{#
  response_lab_result(lb)
  -----------------------
  The predicate that makes a central-lab row (alias `lb` of int_lb__current) a response
  result: one of the six M-protein/FLC tests (SPEP, UPEP, SIFE, UIFE, KAPPA, LAMBDA), dated,
  with a usable result (a number, or POSITIVE/NEGATIVE for an immunofixation). The same rows
  are windowed (int_response__unscheduled_windowed) and grouped into assessments
  (int_response__assessments_grouped), so both use this one definition.
#}
{% macro response_lab_result(lb) -%}
    {{ lb }}.LBTESTCD in ('SPEP', 'UPEP', 'SIFE', 'UIFE', 'KAPPA', 'LAMBDA')
    and {{ lb }}.LBDT is not null
    and ({{ lb }}.LBSTRESN is not null
         or ({{ lb }}.LBTESTCD in ('SIFE', 'UIFE') and {{ lb }}.LBSTRESC in ('POSITIVE', 'NEGATIVE')))
{%- endmacro %}
