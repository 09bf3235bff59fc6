-- Incremental with full_refresh=false: a ledger kept across builds that --full-refresh must not wipe.
{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
-- validation.quarantine_log: when each quarantined site transfer was first quarantined, kept
-- across builds (incremental; --full-refresh leaves it alone). A quarantine first seen in
-- the current build is a new bad delivery: validation.delivery_report marks it OPEN (the
-- build fails) even when the site has a later accepted transfer - e.g. a transfer that
-- arrives with an id earlier than the site's accepted ones supersedes nothing.
-- Inputs: validation.quarantine, validation.build_info.
select
    quarantined.SITEID,
    quarantined.TRANSFER_ID,
    build.BUILD_ID as FIRST_BUILD_ID,
    build.RUN_STARTED_AT as FIRST_QUARANTINED_AT
from {{ ref('quarantine') }} as quarantined
cross join {{ ref('build_info') }} as build
{% if is_incremental() %}
    where not exists (
            select 1 from {{ this }} as logged
            where logged.SITEID = quarantined.SITEID
                and logged.TRANSFER_ID = quarantined.TRANSFER_ID
        )
{% endif %}
order by quarantined.SITEID, quarantined.TRANSFER_ID
