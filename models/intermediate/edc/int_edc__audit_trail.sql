-- Audit trail: every version of every record of every form, across all transfers.
-- One row per (FORM, SITE_FOLDER, RECID, RECVER, RECORD_HASH): which transfer first and last
-- showed that version, in how many transfers, where (lineage of the first and last
-- appearance), and whether it is the record's current version (highest RECVER in the site's
-- current transfer of the form, int_edc__site_latest_transfer: its latest NON-quarantined
-- one, as for int_<form>__current; RECSTAT tells whether that current version is a
-- deletion). FIRST/LAST_TRANSFER_ID and N_TRANSFERS count every transfer that showed the
-- version, quarantined ones included: a version that is current may have been sent again
-- in a later, quarantined transfer.
-- RECORD_HASH (DuckDB hash() of the row's raw text values, lineage excluded) separates two
-- different contents sent under the same RECVER (a bad delivery). Inputs: base_edc__<form>
-- (raw text: no casts needed to group versions), int_edc__site_latest_transfer.
-- Performance (issue 7): a VIEW, evaluated when queried. As a table it was a second copy of
-- every raw row (68 M at 100k subjects: one version per row in a single cumulative transfer)
-- and its aggregation cost more than the whole build's floor and ran out of memory at 10k
-- subjects. Queries filtered on SITE_FOLDER / FORM / RECID push the filter into the base
-- tables. The values are hashed (raw text, not JSON + md5); the version's values themselves
-- are in base_edc__<form> at FIRST/LAST_SOURCE_FILE + _ROW. The page's per-site counts come
-- from the small table int_edc__site_summary.
{{ config(materialized='view') }}
{% set forms = ['dm', 'vs', 'mh', 'ecog', 'pt', 'fish', 'ex', 'lb', 'rs', 'ae', 'ds', 'dd', 'fu', 'cm'] %}

with all_rows as (
    {% for form in forms %}
        select
            '{{ form }}' as FORM,
            rows_.SITE_FOLDER,
            rows_.SITEID,
            rows_.STUDYID || '-' || rows_.SUBJID as USUBJID,
            rows_.RECID,
            try_cast(rows_.RECVER as integer) as RECVER,
            rows_.RECSTAT,
            rows_.MODDTC,
            rows_.TRANSFER_ID,
            rows_.SOURCE_FILE,
            rows_.SOURCE_ROW,
            hash(*columns(* exclude (TRANSFER_ID, SITE_FOLDER, SOURCE_FILE, SOURCE_ROW))) as RECORD_HASH
        from {{ ref('base_edc__' ~ form) }} as rows_
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

latest as (
    select
        FORM as LATEST_FORM,
        SITEID as LATEST_SITE_FOLDER,
        LATEST_TRANSFER_ID
    from {{ ref('int_edc__site_latest_transfer') }}
),

versions as (
    select
        FORM,
        SITE_FOLDER,
        RECID,
        RECVER,
        RECORD_HASH,
        -- shown in the site's current (accepted) transfer of the form
        coalesce(bool_or(TRANSFER_ID = LATEST_TRANSFER_ID), false)
            as IN_CURRENT_TRANSFER,
        any_value(SITEID) as SITEID,
        any_value(USUBJID) as USUBJID,
        any_value(RECSTAT) as RECSTAT,
        any_value(MODDTC) as MODDTC,
        min(TRANSFER_ID) as FIRST_TRANSFER_ID,
        max(TRANSFER_ID) as LAST_TRANSFER_ID,
        count(distinct TRANSFER_ID) as N_TRANSFERS,
        min(TRANSFER_ID) || '/site_' || SITE_FOLDER || '/' || FORM || '.csv' as FIRST_SOURCE_FILE,
        arg_min(SOURCE_ROW, (TRANSFER_ID, SOURCE_ROW)) as FIRST_SOURCE_ROW,
        max(TRANSFER_ID) || '/site_' || SITE_FOLDER || '/' || FORM || '.csv' as LAST_SOURCE_FILE,
        arg_max(SOURCE_ROW, (TRANSFER_ID, SOURCE_ROW)) as LAST_SOURCE_ROW
    from all_rows
    left join latest
        on latest.LATEST_FORM = all_rows.FORM
            and latest.LATEST_SITE_FOLDER = all_rows.SITE_FOLDER
    group by FORM, SITE_FOLDER, RECID, RECVER, RECORD_HASH
),

current_versions as (
    -- the version each record has in its site's current transfer of the form
    select
        FORM,
        SITE_FOLDER,
        RECID,
        max(RECVER) as CURRENT_RECVER
    from versions
    where IN_CURRENT_TRANSFER
    group by FORM, SITE_FOLDER, RECID
)

select
    versions.FORM,
    versions.SITE_FOLDER,
    versions.SITEID,
    versions.USUBJID,
    versions.RECID,
    versions.RECVER,
    versions.RECSTAT,
    versions.MODDTC,
    versions.FIRST_TRANSFER_ID,
    versions.LAST_TRANSFER_ID,
    versions.N_TRANSFERS,
    case when versions.IN_CURRENT_TRANSFER
            and versions.RECVER = current_versions.CURRENT_RECVER then 'Y'
        else 'N'
    end as CURRENT_FL,
    versions.FIRST_SOURCE_FILE,
    versions.FIRST_SOURCE_ROW,
    versions.LAST_SOURCE_FILE,
    versions.LAST_SOURCE_ROW,
    versions.RECORD_HASH
from versions
left join current_versions
    on versions.FORM = current_versions.FORM
        and versions.SITE_FOLDER = current_versions.SITE_FOLDER
        and versions.RECID = current_versions.RECID
