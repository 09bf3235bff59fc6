-- Incremental with full_refresh=false: a ledger kept across builds that --full-refresh must not wipe.
{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
-- validation.accepted_transfers: the ledger of accepted site transfers, kept across builds
-- (incremental, never rebuilt by --full-refresh): one row per data file of every site
-- transfer a build accepted (not in validation.quarantine), with its SHA-256. The next
-- builds' delivery checks read it (expectations.reconciliation) to refuse an accepted
-- transfer that reappears with other bytes and a new transfer whose id is not later than
-- the site's last accepted one. A site transfer is written once, when first accepted.
-- Inputs: validation.delivery_inventory, validation.quarantine, validation.build_info.
with data_files as (
    select
        SITE_FOLDER as SITEID,
        TRANSFER_ID,
        SOURCE_FILE,
        ACTUAL_SHA256 as SHA256
    from {{ ref('delivery_inventory') }}
    where KNOWN_FILE and ON_DISK and SITE_FOLDER is not null
)

select
    data_files.SITEID,
    data_files.TRANSFER_ID,
    data_files.SOURCE_FILE,
    data_files.SHA256,
    build.BUILD_ID,
    build.RUN_STARTED_AT as ACCEPTED_AT
from data_files
cross join {{ ref('build_info') }} as build
where not exists (
        select 1 from {{ ref('quarantine') }} as quarantined
        where quarantined.SITEID = data_files.SITEID
            and quarantined.TRANSFER_ID = data_files.TRANSFER_ID
    )
    {% if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as ledger
            where ledger.SITEID = data_files.SITEID
                and ledger.TRANSFER_ID = data_files.TRANSFER_ID
        )
    {% endif %}
order by data_files.SITEID, data_files.TRANSFER_ID, data_files.SOURCE_FILE
