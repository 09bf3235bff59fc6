-- validation.delivery_report: every failed delivery check with its consequence. Published
-- (validation.publish refs it) and read by run_log: the exit-status test is on the leaf
-- validation.delivery_status, so that a quarantine skips nothing downstream.
--   STATUS  OPEN          the site transfer is quarantined and either the site has no later
--                         accepted transfer (its newest delivery is not loaded) or it was
--                         first quarantined by this build (a new bad delivery; a transfer
--                         named earlier than the accepted ones supersedes nothing) - fails
--                         the build
--           SUPERSEDED    quarantined by an earlier build, and a later transfer of the site
--                         was accepted (transfers are cumulative: nothing of it is missing)
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
    select
        SITEID,
        max(LATEST_TRANSFER_ID) as LATEST_ACCEPTED_TRANSFER_ID
    from {{ ref('int_edc__site_latest_transfer') }}
    group by SITEID
),

first_quarantined as (
    select
        logged.SITEID,
        logged.TRANSFER_ID,
        logged.FIRST_BUILD_ID = build.BUILD_ID as IS_NEW
    from {{ ref('quarantine_log') }} as logged
    cross join {{ ref('build_info') }} as build
),

acknowledged as (
    select distinct
        cast(SITEID as varchar) as SITEID,
        cast(TRANSFER_ID as varchar) as TRANSFER_ID
    from {{ ref('quarantine_acknowledgements') }}
)

select
    checks.SITEID,
    checks.TRANSFER_ID,
    case
        when checks.CHECK_ID = 'validation_error' then 'INTERNAL'
        when acknowledged.SITEID is not null then 'ACKNOWLEDGED'
        when latest.LATEST_ACCEPTED_TRANSFER_ID > checks.TRANSFER_ID
            and not coalesce(first_quarantined.IS_NEW, true) then 'SUPERSEDED'
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
left join first_quarantined
    on first_quarantined.SITEID = checks.SITEID
        and first_quarantined.TRANSFER_ID = checks.TRANSFER_ID
