-- Latest transfer of every site and form: the transfer whose file of that form is current.
-- Transfers are cumulative, so a site's latest transfer that lists the form holds every
-- record of the site; a site absent from later transfers keeps its earlier latest one.
-- Presence is taken from the manifests (a file a manifest does not list is not trusted).
-- Quarantine (validation.quarantine, docs/VALIDATION.md): a site transfer that failed a
-- delivery check is skipped as a whole, so the site stays on its latest NON-quarantined
-- transfer (no earlier good data is lost) and the other sites are not affected.
-- TRANSFER_ID (YYYYMMDDTHHMM) sorts chronologically as text.
with accepted as (
    select distinct
        manifest.SITEID,
        manifest.FORM,
        manifest.TRANSFER_ID
    from {{ ref('stg_edc__manifest') }} as manifest
    where manifest.SITEID is not null and manifest.FORM is not null
        and not exists (
            select 1
            from {{ ref('quarantine') }} as quarantined
            where quarantined.SITEID = manifest.SITEID
                and quarantined.TRANSFER_ID = manifest.TRANSFER_ID
        )
),

ranked as (
    select
        *,
        row_number() over (partition by SITEID, FORM order by TRANSFER_ID desc) as TRANSFER_RANK
    from accepted
)

-- PREVIOUS_TRANSFER_ID: the accepted transfer before the latest one (NULL for a site's first):
-- what "new since the last transfer" compares against (docs/derivations.md#new-since-the-last-transfer)
select
    SITEID,
    FORM,
    max(TRANSFER_ID) filter (where TRANSFER_RANK = 1) as LATEST_TRANSFER_ID,
    max(TRANSFER_ID) filter (where TRANSFER_RANK = 2) as PREVIOUS_TRANSFER_ID,
    count(*) as N_TRANSFERS
from ranked
group by SITEID, FORM
