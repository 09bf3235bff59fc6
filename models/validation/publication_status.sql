-- results.publication_status (WORK file): the publication state as the builds recorded it
-- (validation.build_attempts, written by the on-run-start/-end hooks, macros/publication.sql),
-- a VIEW evaluated when queried. It reads nothing a failing build could skip, so it exists
-- after any complete build, published or not:
--   PUBLISHED_BUILD_ID / PUBLISHED_AT / DATA_CUTOFF  the latest build that was published
--   LATEST_BUILD_ID / LATEST_BUILD_AT / LATEST_FINISHED_AT   the latest dbt build or run
--   STALE   the published build is not the latest build
--   REASON  why the latest build was not published (failed ADaM checks with the first
--           message, the failed model or test, publication not selected, or: did not finish)
-- The published file says itself which build it holds (results.publication): the page
-- (app.data.publication_status) compares that with the latest build here - right even when
-- a build was killed between renaming the published file and its end hook.
with attempts as (
    select * from {{ source('work', 'build_attempts') }}
),

latest as (
    select * from attempts
    qualify row_number() over (order by STARTED_AT desc, BUILD_ID asc) = 1
),

published as (
    select * from attempts
    where PUBLISHED
    qualify row_number() over (order by STARTED_AT desc, BUILD_ID asc) = 1
)

select
    published.BUILD_ID as PUBLISHED_BUILD_ID,
    published.PUBLISHED_AT,
    published.DATA_CUTOFF,
    latest.BUILD_ID as LATEST_BUILD_ID,
    latest.STARTED_AT as LATEST_BUILD_AT,
    latest.FINISHED_AT as LATEST_FINISHED_AT,
    coalesce(published.BUILD_ID <> latest.BUILD_ID, true) as STALE,
    -- parenthesised: sqlfluff's duckdb grammar cannot parse a bare `is distinct from` in a case
    case when (published.BUILD_ID is distinct from latest.BUILD_ID) then latest.REASON end as REASON
from latest
left join published on true
