-- results.publication_status: the state of the analysis results, one row, as a VIEW so that it
-- is evaluated when queried and is right whatever the latest build skipped:
--   PUBLISHED_BUILD_ID / PUBLISHED_AT / DATA_CUTOFF  the build whose results the results
--        schema holds (latest row of validation.publication_log)
--   LATEST_BUILD_ID / LATEST_BUILD_AT                 the latest build (validation.build_info)
--   STALE   true when the published results are not from the latest build
--   REASON  why not (failed ADaM checks, ADaM checks not run, results not built)
-- Readers (the app) show the results with PUBLISHED_AT and, when STALE, the REASON.
with latest_build as (
    select * from {{ ref('build_info') }}
),

gate as (
    select * from {{ ref('publication_gate') }}
),

published as (
    select *
    from {{ ref('publication_log') }}
    qualify row_number() over (order by PUBLISHED_AT desc) = 1
)

select
    published.BUILD_ID as PUBLISHED_BUILD_ID,
    published.PUBLISHED_AT,
    published.DATA_CUTOFF,
    latest_build.BUILD_ID as LATEST_BUILD_ID,
    latest_build.RUN_STARTED_AT as LATEST_BUILD_AT,
    coalesce(published.BUILD_ID <> latest_build.BUILD_ID, true) as STALE,
    case
        when published.BUILD_ID = latest_build.BUILD_ID then null
        when gate.BUILD_ID = latest_build.BUILD_ID and not gate.ADAM_CHECKS_PASSED then gate.REASON
        when gate.BUILD_ID is distinct from latest_build.BUILD_ID
            then 'the latest build did not run the ADaM checks (a model upstream of them failed)'
        else 'the latest build did not build the analysis results (a results model failed)'
    end as REASON
from latest_build
left join gate on true
left join published on true
