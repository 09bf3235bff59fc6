{#
  edc_current(form, cutoff_date=none)
  -----------------------------------
  The current state of the records of one form (DESIGN.md "int_<form>__current"):
    1. only rows of the site's LATEST transfer for this form
       (int_edc__site_latest_transfer; a site absent from later transfers keeps its
       earlier latest transfer - transfers are cumulative);
    2. per record (site folder, RECID) the row with the highest RECVER in that transfer;
    3. records whose current version is RECSTAT = 'DELETED' are dropped;
    4. data cutoff (dbt var data_cutoff): rows whose `cutoff_date` expression (the form's
       main date, a DATE) is after the cutoff are dropped. Rows with an unknown date are kept
       (validation reports them); baseline forms pass cutoff_date=none.
  Every staging column is kept, lineage included (it points at the row of the latest
  transfer that holds the current version).
#}
{% macro edc_current(form, cutoff_date=none) -%}
with latest_transfer as (
    select SITEID as SITE_FOLDER, LATEST_TRANSFER_ID
    from {{ ref('int_edc__site_latest_transfer') }}
    where FORM = '{{ form }}'
),

in_latest_transfer as (
    select rows_.*
    from {{ ref('stg_edc__' ~ form) }} as rows_
    inner join latest_transfer
        on rows_.SITE_FOLDER = latest_transfer.SITE_FOLDER
        and rows_.TRANSFER_ID = latest_transfer.LATEST_TRANSFER_ID
),

versions_ranked as (
    select
        *,
        row_number() over (
            partition by SITE_FOLDER, RECID
            order by RECVER desc nulls last, SOURCE_ROW desc
        ) as _VERSION_RANK
    from in_latest_transfer
)

select * exclude (_VERSION_RANK)
from versions_ranked
where _VERSION_RANK = 1
    and coalesce(RECSTAT, '') <> 'DELETED'
    {%- if cutoff_date is not none %}
    and ({{ cutoff_date }} is null or {{ cutoff_date }} <= {{ data_cutoff() }})
    {%- endif %}
{%- endmacro %}

{# data_cutoff(): the data cutoff (dbt var data_cutoff, 'YYYY-MM-DD') as a DATE literal. #}
{% macro data_cutoff() -%}
    date '{{ var("data_cutoff") }}'
{%- endmacro %}
