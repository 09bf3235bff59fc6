-- Incremental: one row added per build (the history), upserted on BUILD_ID.
{{ config(materialized='incremental', unique_key='BUILD_ID') }}
-- validation.publication_log: one row per build that was published (work file; incremental,
-- the history). Built after validation.publish, from its row: a build whose publication was
-- skipped (failed ADaM checks, a failed model) or failed adds no row.
select
    BUILD_ID,
    PUBLISHED_AT,
    DATA_CUTOFF,
    RUN_STARTED_AT,
    EXTRACT_ROOT,
    PUBLISHED_DB,
    N_TABLES,
    SECONDS
from {{ ref('publish') }}
