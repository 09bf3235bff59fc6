-- Incremental: one row added per build (the history), upserted on BUILD_ID.
{{ config(materialized='incremental', unique_key='BUILD_ID') }}
-- validation.run_log: one row per build (the validation history; incremental): what the
-- delivery checks, the ADaM checks and the study rules found, and whether the build may
-- publish results. Details: validation.delivery_report, adam_checks, study_rule_checks and
-- the GX Data Docs: DATA_DOCS = <CTWH_GX_DIR>/uncommitted/data_docs/local_site/index.html, the GX
-- folder of this build (default build/gx; relative to the dbt project folder unless absolute;
-- expectations/gx_location.py resolves the same variable for the GX models).
select
    build.BUILD_ID,
    build.RUN_STARTED_AT,
    build.EXTRACT_ROOT,
    build.DATA_CUTOFF,
    (select count(*) from {{ ref('delivery_checks') }}) as N_FAILED_DELIVERY_CHECKS,
    (select count(*) from {{ ref('quarantine') }}) as N_QUARANTINED_SITE_TRANSFERS,
    (
        select count(distinct SITEID || '/' || TRANSFER_ID) from {{ ref('delivery_report') }}
        where STATUS = 'OPEN'
    ) as N_OPEN_QUARANTINES,
    (
        select count(*) from {{ ref('delivery_report') }}
        where STATUS = 'INTERNAL'
    ) as N_VALIDATION_ERRORS,
    (select count(*) from {{ ref('adam_checks') }}) as N_FAILED_ADAM_CHECKS,
    (select count(*) from {{ ref('study_rule_checks') }}) as N_STUDY_RULE_QUERIES,
    -- the gate's own rule, not a ref to it: a failing gate test would skip this log
    (select count(*) = 0 from {{ ref('adam_checks') }}) as ADAM_CHECKS_PASSED,
    '{{ env_var("CTWH_GX_DIR", "build/gx") | replace("'", "''") }}/uncommitted/data_docs/local_site/index.html'
        as DATA_DOCS
from {{ ref('build_info') }} as build
