{#
  last_on_or_before(records, reference, reference_date, partition_by, date_column, value_column,
                    undated_counts=false)
  ----------------------------------------------------------------------------------------
  docs/derivations.md#baseline-value-last-non-missing-value-on-or-before-trtsdt as one
  select: per subject (USUBJID) and `partition_by`, the row of `records` with a non-missing
  `value_column` dated on or before the subject's `reference_date` (a column of `reference`,
  joined on USUBJID; a record ON that date counts), the latest date first, ties on the same
  date to the highest RECID. Subjects without a reference row get nothing.
  undated_counts: an undated record also counts, after every dated one (FISH: a result
  without a date is kept, as before this macro).
  Used by int_adsl__baseline_values, int_adsl__cytorisk and int_response__baseline_disease.
#}
{% macro last_on_or_before(records, reference, reference_date, partition_by, date_column,
                           value_column, undated_counts=false) -%}
    select records.*
    from {{ records }} as records
    inner join {{ reference }} as reference
        on records.USUBJID = reference.USUBJID
    where records.{{ value_column }} is not null
        and (records.{{ date_column }} <= reference.{{ reference_date }}
             {%- if undated_counts %} or records.{{ date_column }} is null{% endif %})
    qualify row_number() over (
        partition by records.USUBJID, records.{{ partition_by }}
        order by records.{{ date_column }} desc nulls last, records.RECID desc
    ) = 1
{%- endmacro %}
