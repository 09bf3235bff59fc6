{#
  Column helpers for the staging models (models/staging/edc). Each returns a list of
  SELECT expressions over the raw text columns. Nothing here can fail on an odd value:
  parsing uses TRY_CAST / regular expressions and yields NULL instead (validation reports).
#}

{# edc_common_columns(): the columns every form shares (spec section 3), typed, + USUBJID. #}
{% macro edc_common_columns() -%}
    STUDYID,
    SITEID,
    SUBJID,
    STUDYID || '-' || SUBJID as USUBJID,
    RECID,
    try_cast(RECVER as integer) as RECVER,
    RECSTAT,
    MODDTC,
    try_strptime(MODDTC, '%Y-%m-%dT%H:%M:%S') as MODDTM
{%- endmacro %}

{# edc_lineage_columns(): lineage carried from the raw layer (see macro edc_with_lineage). #}
{% macro edc_lineage_columns() -%}
    TRANSFER_ID,
    try_strptime(TRANSFER_ID, '%Y%m%dT%H%M') as TRANSFER_DTM,
    SITE_FOLDER,
    SOURCE_FILE,
    SOURCE_ROW
{%- endmacro %}

{# iso_date(col): DATE from a complete ISO 8601 date 'YYYY-MM-DD', else NULL (also for
   impossible dates such as 2019-02-30). #}
{% macro iso_date(col) -%}
    case when regexp_full_match({{ col }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}') then try_cast({{ col }} as date) end
{%- endmacro %}

{# edc_date(col, stem): a complete-date field -> <stem>DTC (text as received), <stem>DT (DATE). #}
{% macro edc_date(col, stem) -%}
    {{ col }} as {{ stem }}DTC,
    {{ iso_date(col) }} as {{ stem }}DT
{%- endmacro %}

{# edc_partial_date(col, stem): a *partial* date field ('YYYY-MM-DD', 'YYYY-MM' or 'YYYY') ->
     <stem>DTC      text as received
     <stem>DT       DATE when complete, else NULL
     <stem>DT_Y / _M / _D   parsed year / month / day (NULL when not given)
     <stem>DT_PREC  precision: 'DAY', 'MONTH', 'YEAR'; NULL when empty or unparseable
   Imputation is not done here (intermediate models impute, with flags). #}
{% macro edc_partial_date(col, stem) -%}
    {{ col }} as {{ stem }}DTC,
    {{ iso_date(col) }} as {{ stem }}DT,
    case
        when {{ iso_date(col) }} is not null
            or (regexp_full_match({{ col }}, '[0-9]{4}-[0-9]{2}') and try_cast({{ col }} || '-01' as date) is not null)
            or regexp_full_match({{ col }}, '[0-9]{4}')
        then try_cast(substr({{ col }}, 1, 4) as integer)
    end as {{ stem }}DT_Y,
    case
        when {{ iso_date(col) }} is not null
            or (regexp_full_match({{ col }}, '[0-9]{4}-[0-9]{2}') and try_cast({{ col }} || '-01' as date) is not null)
        then try_cast(substr({{ col }}, 6, 2) as integer)
    end as {{ stem }}DT_M,
    case when {{ iso_date(col) }} is not null then try_cast(substr({{ col }}, 9, 2) as integer) end as {{ stem }}DT_D,
    case
        when {{ iso_date(col) }} is not null then 'DAY'
        when regexp_full_match({{ col }}, '[0-9]{4}-[0-9]{2}') and try_cast({{ col }} || '-01' as date) is not null then 'MONTH'
        when regexp_full_match({{ col }}, '[0-9]{4}') then 'YEAR'
    end as {{ stem }}DT_PREC
{%- endmacro %}
