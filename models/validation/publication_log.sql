{{ config(materialized='incremental', unique_key='BUILD_ID') }}
-- validation.publication_log: one row per build that published analysis results. Built after
-- the results models (it refs them), so a build whose results models were skipped (failed ADaM
-- checks -> failed publication_gate test) or failed adds no row: the latest row names the
-- build whose results the results schema holds. Incremental (history kept).
select
    gate.BUILD_ID,
    build.RUN_STARTED_AT as PUBLISHED_AT,
    gate.DATA_CUTOFF,
    (select count(*) from {{ ref('analysis_results') }}) as N_ANALYSIS_RESULTS,
    (select count(*) from {{ ref('km_curves') }}) as N_KM_CURVE_ROWS,
    (select count(*) from {{ ref('km_at_risk') }}) as N_KM_AT_RISK_ROWS,
    (select count(*) from {{ ref('published_comparison') }}) as N_PUBLISHED_COMPARISON_ROWS
from {{ ref('publication_gate') }} as gate
inner join {{ ref('build_info') }} as build on build.BUILD_ID = gate.BUILD_ID
where gate.ADAM_CHECKS_PASSED
