-- Per site: what the warehouse holds now (the Data quality page reads this small table; the
-- full version history is the view int_edc__audit_trail).
-- Inputs: int_edc__site_latest_transfer (manifest-based, quarantine-aware), stg_edc__manifest,
-- stg_edc__<form> (rows of the site's latest transfer of each form), int_<form>__current.
--   LATEST_TRANSFER_ID   the site's latest accepted transfer (latest over its forms)
--   FIRST_TRANSFER_ID    the first transfer whose manifest lists the site
--   N_TRANSFERS          transfers whose manifest lists the site
--   N_FORMS              forms with a current transfer
--   N_SUBJECTS           subjects in the current state of dm
--   CURRENT_RECORDS      records in the current state (int_<form>__current: latest RECVER,
--                        not deleted, within the data cutoff), all forms
--   DELETED_RECORDS      rows of the latest transfer that delete their record (RECSTAT DELETED)
--   CORRECTIONS          rows of the latest transfer with RECVER > 1 (versions after a
--                        record's first; the earlier versions need not have been sent)
-- One streaming pass over the latest transfer's rows grouped by site (about 100 groups), no
-- per-record hashing: cheap at any delivery size (issue 7).
{% set forms = ['dm', 'vs', 'mh', 'ecog', 'pt', 'fish', 'ex', 'lb', 'rs', 'ae', 'ds', 'dd', 'fu', 'cm'] %}

with latest as (
    select
        SITEID as SITE_FOLDER,
        FORM,
        LATEST_TRANSFER_ID
    from {{ ref('int_edc__site_latest_transfer') }}
),

latest_rows as (
    {% for form in forms %}
        select
            rows_.SITE_FOLDER,
            count(*) filter (where rows_.RECSTAT = 'DELETED') as DELETED_RECORDS,
            count(*) filter (where rows_.RECVER > 1) as CORRECTIONS
        from {{ ref('stg_edc__' ~ form) }} as rows_
        inner join latest
            on latest.FORM = '{{ form }}'
                and latest.SITE_FOLDER = rows_.SITE_FOLDER
                and latest.LATEST_TRANSFER_ID = rows_.TRANSFER_ID
        group by rows_.SITE_FOLDER
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

current_records as (
    {% for form in forms %}
        select
            SITE_FOLDER,
            count(*) as N_RECORDS
        from {{ ref('int_' ~ form ~ '__current') }}
        group by SITE_FOLDER
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

subjects as (
    select
        SITE_FOLDER,
        count(distinct USUBJID) as N_SUBJECTS
    from {{ ref('int_dm__current') }}
    group by SITE_FOLDER
),

transfers as (
    select
        SITEID as SITE_FOLDER,
        min(TRANSFER_ID) as FIRST_TRANSFER_ID,
        count(distinct TRANSFER_ID) as N_TRANSFERS
    from {{ ref('stg_edc__manifest') }}
    where SITEID is not null
    group by SITEID
),

per_site_latest as (
    select
        SITE_FOLDER,
        max(LATEST_TRANSFER_ID) as LATEST_TRANSFER_ID,
        count(distinct FORM) as N_FORMS
    from latest
    group by SITE_FOLDER
),

per_site_rows as (
    select
        SITE_FOLDER,
        sum(DELETED_RECORDS) as DELETED_RECORDS,
        sum(CORRECTIONS) as CORRECTIONS
    from latest_rows
    group by SITE_FOLDER
),

per_site_records as (
    select
        SITE_FOLDER,
        sum(N_RECORDS) as CURRENT_RECORDS
    from current_records
    group by SITE_FOLDER
),

sites as (
    select SITE_FOLDER from transfers
    union
    select SITE_FOLDER from latest
)

select
    sites.SITE_FOLDER as SITEID,
    per_site_latest.LATEST_TRANSFER_ID,
    transfers.FIRST_TRANSFER_ID,
    transfers.N_TRANSFERS,
    coalesce(per_site_latest.N_FORMS, 0) as N_FORMS,
    coalesce(subjects.N_SUBJECTS, 0) as N_SUBJECTS,
    cast(coalesce(per_site_records.CURRENT_RECORDS, 0) as bigint) as CURRENT_RECORDS,
    cast(coalesce(per_site_rows.DELETED_RECORDS, 0) as bigint) as DELETED_RECORDS,
    cast(coalesce(per_site_rows.CORRECTIONS, 0) as bigint) as CORRECTIONS
from sites
left join transfers on transfers.SITE_FOLDER = sites.SITE_FOLDER
left join subjects on subjects.SITE_FOLDER = sites.SITE_FOLDER
left join per_site_latest on per_site_latest.SITE_FOLDER = sites.SITE_FOLDER
left join per_site_rows on per_site_rows.SITE_FOLDER = sites.SITE_FOLDER
left join per_site_records on per_site_records.SITE_FOLDER = sites.SITE_FOLDER
order by SITEID
