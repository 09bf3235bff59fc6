-- Audit trail: every version of every record of every form, across all transfers.
-- One row per (FORM, SITE_FOLDER, RECID, RECVER, RECORD_HASH): which transfer first and last
-- showed that version, in how many transfers, where (lineage of the first and last
-- appearance), and whether it is the record's current version (highest RECVER in the site's
-- latest transfer of the form; RECSTAT tells whether that current version is a deletion).
-- RECORD_JSON holds the version's values (staging columns without lineage); RECORD_HASH
-- (md5 of it) separates two different contents sent under the same RECVER (a bad delivery).
{% set forms = ['dm', 'vs', 'mh', 'ecog', 'pt', 'fish', 'ex', 'lb', 'rs', 'ae', 'ds', 'dd', 'fu', 'cm'] %}

with all_rows as (
    {% for form in forms %}
    select
        '{{ form }}' as FORM,
        rows_.SITE_FOLDER,
        rows_.SITEID,
        rows_.USUBJID,
        rows_.RECID,
        rows_.RECVER,
        rows_.RECSTAT,
        rows_.MODDTC,
        rows_.TRANSFER_ID,
        rows_.SOURCE_FILE,
        rows_.SOURCE_ROW,
        -- the row as JSON, lineage keys removed (RFC 7396 merge patch: null deletes a key)
        json_merge_patch(
            to_json(rows_),
            '{"TRANSFER_ID": null, "TRANSFER_DTM": null, "SITE_FOLDER": null, "SOURCE_FILE": null, "SOURCE_ROW": null}'
        ) as RECORD_JSON
    from {{ ref('stg_edc__' ~ form) }} as rows_
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

versions as (
    select
        FORM,
        SITE_FOLDER,
        RECID,
        RECVER,
        md5(RECORD_JSON) as RECORD_HASH,
        any_value(SITEID) as SITEID,
        any_value(USUBJID) as USUBJID,
        any_value(RECSTAT) as RECSTAT,
        any_value(MODDTC) as MODDTC,
        any_value(RECORD_JSON) as RECORD_JSON,
        min(TRANSFER_ID) as FIRST_TRANSFER_ID,
        max(TRANSFER_ID) as LAST_TRANSFER_ID,
        count(distinct TRANSFER_ID) as N_TRANSFERS,
        arg_min(SOURCE_FILE, TRANSFER_ID) as FIRST_SOURCE_FILE,
        arg_min(SOURCE_ROW, TRANSFER_ID) as FIRST_SOURCE_ROW,
        arg_max(SOURCE_FILE, TRANSFER_ID) as LAST_SOURCE_FILE,
        arg_max(SOURCE_ROW, TRANSFER_ID) as LAST_SOURCE_ROW
    from all_rows
    group by FORM, SITE_FOLDER, RECID, RECVER, md5(RECORD_JSON)
),

current_versions as (
    -- the version each record has in its site's latest transfer of the form
    select
        versions.FORM,
        versions.SITE_FOLDER,
        versions.RECID,
        max(versions.RECVER) as CURRENT_RECVER
    from versions
    inner join {{ ref('int_edc__site_latest_transfer') }} as latest
        on versions.FORM = latest.FORM
        and versions.SITE_FOLDER = latest.SITEID
        and versions.LAST_TRANSFER_ID = latest.LATEST_TRANSFER_ID
    group by versions.FORM, versions.SITE_FOLDER, versions.RECID
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
    case when versions.RECVER = current_versions.CURRENT_RECVER
        and versions.LAST_TRANSFER_ID = latest.LATEST_TRANSFER_ID then 'Y' else 'N' end as CURRENT_FL,
    versions.FIRST_SOURCE_FILE,
    versions.FIRST_SOURCE_ROW,
    versions.LAST_SOURCE_FILE,
    versions.LAST_SOURCE_ROW,
    versions.RECORD_HASH,
    versions.RECORD_JSON
from versions
left join current_versions
    on versions.FORM = current_versions.FORM
    and versions.SITE_FOLDER = current_versions.SITE_FOLDER
    and versions.RECID = current_versions.RECID
left join {{ ref('int_edc__site_latest_transfer') }} as latest
    on versions.FORM = latest.FORM
    and versions.SITE_FOLDER = latest.SITEID
