-- validation.quarantine: every site transfer with at least one failed delivery check
-- (validation.delivery_checks). int_edc__site_latest_transfer ignores these, so the site's
-- current data stays its latest NON-quarantined transfer; other sites are not affected.
-- One row per (SITEID, TRANSFER_ID): the checks that failed and the first message as REASON.
select
    SITEID,
    TRANSFER_ID,
    count(*) as N_FAILED_CHECKS,
    string_agg(distinct CHECK_ID, ', ' order by CHECK_ID) as CHECK_IDS,
    'transfer quarantined: ' || count(*) || ' failed delivery check(s) ('
    || string_agg(distinct CHECK_ID, ', ' order by CHECK_ID) || '); first: '
    || arg_min(MESSAGE, coalesce(FILE, '') || lpad(cast(coalesce(ROW, 0) as varchar), 9, '0'))
        as REASON
from {{ ref('delivery_checks') }}
where SITEID is not null and TRANSFER_ID is not null
group by SITEID, TRANSFER_ID
