-- validation.delivery_report: every failed delivery check with its consequence (leaf model:
-- the build's exit status comes from its tests, so nothing downstream is ever skipped).
--   STATUS  OPEN          the site transfer is quarantined and the site has no later accepted
--                         transfer: its newest delivery is not loaded (fails the build)
--           SUPERSEDED    quarantined, but a later transfer of the site was accepted
--                         (transfers are cumulative: nothing of it is missing any more)
--           ACKNOWLEDGED  quarantined and listed in seed quarantine_acknowledgements
--           INTERNAL      validation could not run (CHECK_ID validation_error; fails the build)
-- The messages are also printed in the build log.
{%- if execute %}
{%- set failed = run_query("select MESSAGE from " ~ ref('delivery_checks') ~ " order by SITEID, TRANSFER_ID, FILE, ROW limit 200") %}
{%- for row in failed.rows %}
{{- log("DELIVERY CHECK FAILED: " ~ row[0], info=True) }}
{%- endfor %}
{%- endif %}
with site_latest_accepted as (
    select SITEID, max(LATEST_TRANSFER_ID) as LATEST_ACCEPTED_TRANSFER_ID
    from {{ ref('int_edc__site_latest_transfer') }}
    group by SITEID
),

acknowledged as (
    select distinct cast(SITEID as varchar) as SITEID, cast(TRANSFER_ID as varchar) as TRANSFER_ID
    from {{ ref('quarantine_acknowledgements') }}
)

select
    checks.SITEID,
    checks.TRANSFER_ID,
    case
        when checks.CHECK_ID = 'validation_error' then 'INTERNAL'
        when acknowledged.SITEID is not null then 'ACKNOWLEDGED'
        when latest.LATEST_ACCEPTED_TRANSFER_ID > checks.TRANSFER_ID then 'SUPERSEDED'
        else 'OPEN'
    end as STATUS,
    latest.LATEST_ACCEPTED_TRANSFER_ID,
    checks.SUITE,
    checks.CHECK_ID,
    checks.FILE,
    checks.ROW,
    checks.COLUMN_NAME,
    checks.MESSAGE,
    checks.UNEXPECTED_COUNT,
    checks.EXAMPLES,
    checks.BUILD_ID
from {{ ref('delivery_checks') }} as checks
left join site_latest_accepted as latest on latest.SITEID = checks.SITEID
left join acknowledged
    on acknowledged.SITEID = checks.SITEID and acknowledged.TRANSFER_ID = checks.TRANSFER_ID
