{#
  edc_current(form, cutoff_date=none)
  -----------------------------------
  The current state of the records of one form (DESIGN.md "int_<form>__current"):
    1. only rows of the site's LATEST transfer for this form
       (int_edc__site_latest_transfer; a site absent from later transfers keeps its
       earlier latest transfer - transfers are cumulative);
    2. per record (site folder, RECID) the row with the highest RECVER in that transfer
       (ties: the later row); only records with several rows are ranked;
    3. records whose current version is RECSTAT = 'DELETED' are dropped;
    4. data cutoff (dbt var data_cutoff): rows whose `cutoff_date` expression (the form's
       main date, a DATE) is after the cutoff are dropped. Rows with an unknown date are kept
       (validation reports them); baseline forms pass cutoff_date=none.
  Every staging column is kept, lineage included (it points at the row of the latest
  transfer that holds the current version), and two more say what the latest transfer changed
  (docs/derivations.md#new-since-the-last-transfer):
    PREVIOUS_TRANSFER_ID  the site's accepted transfer of the form before the latest one;
    CHGTYPE               'NEW'     the record (site, RECID) was not in that transfer (or there
                                    is none: everything of a site's first transfer is new),
                          'CHANGED' it was, with another RECVER (its highest there),
                          NULL      it was, with the same RECVER.
#}
{% macro edc_current(form, cutoff_date=none) -%}
with latest_transfer as (
    select SITEID as SITE_FOLDER, LATEST_TRANSFER_ID, PREVIOUS_TRANSFER_ID
    from {{ ref('int_edc__site_latest_transfer') }}
    where FORM = '{{ form }}'
),

previous_versions as (
    -- each record's highest RECVER in the site's previous accepted transfer: one pass over that
    -- transfer's key columns only (no rows at all when every site is on its first transfer)
    select
        rows_.SITE_FOLDER as _PREV_SITE_FOLDER,
        rows_.RECID as _PREV_RECID,
        max(rows_.RECVER) as _PREV_RECVER
    from {{ ref('stg_edc__' ~ form) }} as rows_
    inner join latest_transfer
        on rows_.SITE_FOLDER = latest_transfer.SITE_FOLDER
        and rows_.TRANSFER_ID = latest_transfer.PREVIOUS_TRANSFER_ID
    group by 1, 2
),

repeated_records as (
    -- records with more than one row in the latest transfer (corrections): the only ones that
    -- need ranking. A pass over the key columns alone, grouped on a 64-bit hash of the key:
    -- a hash collision only sends a record through the ranking below as well (same result),
    -- while the hash table stays small (issue 7: 45 M ex rows at 100k subjects).
    select hash(raw_.SITE_FOLDER, raw_.RECID) as _RECORD_KEY
    from {{ ref('stg_edc__' ~ form) }} as raw_
    inner join latest_transfer
        on raw_.SITE_FOLDER = latest_transfer.SITE_FOLDER
        and raw_.TRANSFER_ID = latest_transfer.LATEST_TRANSFER_ID
    group by 1
    having count(*) > 1
),

in_latest_transfer as not materialized (
    -- read twice (single-version and ranked paths) rather than materialised: a copy of all
    -- columns of every row cost more than a second filtered scan (issue 7)
    select rows_.*
    from {{ ref('stg_edc__' ~ form) }} as rows_
    inner join latest_transfer
        on rows_.SITE_FOLDER = latest_transfer.SITE_FOLDER
        and rows_.TRANSFER_ID = latest_transfer.LATEST_TRANSFER_ID
),

single_version as (
    select in_latest_transfer.*
    from in_latest_transfer
    anti join repeated_records
        on hash(in_latest_transfer.SITE_FOLDER, in_latest_transfer.RECID) = repeated_records._RECORD_KEY
),

versions_ranked as (
    select
        in_latest_transfer.*,
        row_number() over (
            partition by in_latest_transfer.SITE_FOLDER, in_latest_transfer.RECID
            order by in_latest_transfer.RECVER desc nulls last, in_latest_transfer.SOURCE_ROW desc
        ) as _VERSION_RANK
    from in_latest_transfer
    semi join repeated_records
        on hash(in_latest_transfer.SITE_FOLDER, in_latest_transfer.RECID) = repeated_records._RECORD_KEY
),

current_version as (
    select * from single_version
    union all
    select * exclude (_VERSION_RANK) from versions_ranked where _VERSION_RANK = 1
)

select
    current_version.*,
    latest_transfer.PREVIOUS_TRANSFER_ID,
    case
        when previous_versions._PREV_RECID is null then 'NEW'
        when current_version.RECVER is distinct from previous_versions._PREV_RECVER then 'CHANGED'
    end as CHGTYPE
from current_version
inner join latest_transfer
    on current_version.SITE_FOLDER = latest_transfer.SITE_FOLDER
left join previous_versions
    on current_version.SITE_FOLDER = previous_versions._PREV_SITE_FOLDER
        and current_version.RECID = previous_versions._PREV_RECID
where coalesce(current_version.RECSTAT, '') <> 'DELETED'
    {%- if cutoff_date is not none %}
    and ({{ cutoff_date }} is null or {{ cutoff_date }} <= {{ data_cutoff() }})
    {%- endif %}
{%- endmacro %}

{# data_cutoff(): the data cutoff (dbt var data_cutoff, 'YYYY-MM-DD') as a DATE literal. #}
{% macro data_cutoff() -%}
    date '{{ var("data_cutoff") }}'
{%- endmacro %}
