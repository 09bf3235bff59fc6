{#
  Partial-date imputation (docs/derivations.md#partial-dates-history-dates): a missing day becomes the 1st of the
  month, a missing month becomes January. Arguments are the parsed parts of a staging partial
  date (<stem>DT_Y, <stem>DT_M, <stem>DT_D). No year -> NULL (not imputed).
    impute_partial_date(y, m, d)       -> DATE
    impute_partial_date_flag(y, m, d)  -> CDISC date imputation flag: 'M' (month and day
                                          imputed), 'D' (day imputed), NULL (complete / none)
#}
{% macro impute_partial_date(y, m, d) -%}
    case when {{ y }} is not null then make_date({{ y }}, coalesce({{ m }}, 1), coalesce({{ d }}, 1)) end
{%- endmacro %}

{% macro impute_partial_date_flag(y, m, d) -%}
    case
        when {{ y }} is null then null
        when {{ m }} is null then 'M'
        when {{ d }} is null then 'D'
    end
{%- endmacro %}
