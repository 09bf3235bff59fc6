-- What each site's latest accepted transfer changed, per form: how many current records are
-- new, how many changed, how many were deleted, against the site's previous accepted transfer
-- (docs/derivations.md#new-since-the-last-transfer; the Data quality page reads this table).
--   N_CURRENT   records in the current state (int_<form>__current)
--   N_NEW       of those, CHGTYPE 'NEW': not in the previous transfer (all, for a first transfer)
--   N_CHANGED   of those, CHGTYPE 'CHANGED': there with another RECVER
--   N_DELETED   records whose version in the latest transfer deletes them (RECSTAT DELETED,
--               no higher RECVER) while their version in the previous transfer did not
-- Inputs: int_edc__site_latest_transfer, int_<form>__current, stg_edc__<form> (only the
-- DELETED rows of the latest transfer and the rows of those records).
{% set forms = ['dm', 'vs', 'mh', 'ecog', 'pt', 'fish', 'ex', 'lb', 'rs', 'ae', 'ds', 'dd', 'fu', 'cm'] %}

with transfers as (
    select
        SITEID as SITE_FOLDER,
        FORM,
        LATEST_TRANSFER_ID,
        PREVIOUS_TRANSFER_ID
    from {{ ref('int_edc__site_latest_transfer') }}
),

current_counts as (
    {% for form in forms %}
        select
            '{{ form }}' as FORM,
            SITE_FOLDER,
            count(*) as N_CURRENT,
            count(*) filter (where CHGTYPE = 'NEW') as N_NEW,
            count(*) filter (where CHGTYPE = 'CHANGED') as N_CHANGED
        from {{ ref('int_' ~ form ~ '__current') }}
        group by SITE_FOLDER
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

deleted_counts as (
    {% for form in forms %}
        select
            '{{ form }}' as FORM,
            deletions.SITE_FOLDER,
            count(*) as N_DELETED
        from {{ ref('stg_edc__' ~ form) }} as deletions
        inner join transfers
            on transfers.FORM = '{{ form }}'
                and deletions.SITE_FOLDER = transfers.SITE_FOLDER
                and deletions.TRANSFER_ID = transfers.LATEST_TRANSFER_ID
        where deletions.RECSTAT = 'DELETED'
            -- the deletion is the record's highest version in the latest transfer
            and not exists (
                select 1
                from {{ ref('stg_edc__' ~ form) }} as later
                where later.SITE_FOLDER = deletions.SITE_FOLDER
                    and later.TRANSFER_ID = deletions.TRANSFER_ID
                    and later.RECID = deletions.RECID
                    and later.RECVER > deletions.RECVER
            )
            -- and the record was on show after the previous transfer (its highest version
            -- there is not a deletion)
            and (
                select arg_max(coalesce(earlier.RECSTAT, ''), earlier.RECVER)
                from {{ ref('stg_edc__' ~ form) }} as earlier
                where earlier.SITE_FOLDER = deletions.SITE_FOLDER
                    and earlier.TRANSFER_ID = transfers.PREVIOUS_TRANSFER_ID
                    and earlier.RECID = deletions.RECID
            ) <> 'DELETED'
        group by deletions.SITE_FOLDER
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    transfers.SITE_FOLDER as SITEID,
    transfers.FORM,
    transfers.LATEST_TRANSFER_ID,
    transfers.PREVIOUS_TRANSFER_ID,
    coalesce(current_counts.N_CURRENT, 0) as N_CURRENT,
    coalesce(current_counts.N_NEW, 0) as N_NEW,
    coalesce(current_counts.N_CHANGED, 0) as N_CHANGED,
    coalesce(deleted_counts.N_DELETED, 0) as N_DELETED
from transfers
left join current_counts
    on transfers.FORM = current_counts.FORM
        and transfers.SITE_FOLDER = current_counts.SITE_FOLDER
left join deleted_counts
    on transfers.FORM = deleted_counts.FORM
        and transfers.SITE_FOLDER = deleted_counts.SITE_FOLDER
order by SITEID, transfers.FORM
