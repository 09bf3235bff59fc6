-- validation.publication_gate: one row saying whether this build may publish new analysis
-- results: only when no ADaM check failed - no content rule (validation.adam_checks) and no
-- blocking conformance check against the specification (validation.adam_conformance, BLOCKING).
-- Its test (publication_gate_adam_checks_pass, severity error) fails the build otherwise; dbt
-- then SKIPS every model downstream of this one - the results models and validation.publish
-- ref it - so nothing of this build is published: the last good build stays on show, whole
-- (marked stale with this REASON; docs/VALIDATION.md "Publication").
-- Study-rule queries do not block (they are listed per site in validation.study_rule_checks).
with failures as (
    select
        'adam_checks' as SOURCE,
        CHECK_ID,
        MESSAGE
    from {{ ref('adam_checks') }}
    union all
    select
        'adam_conformance' as SOURCE,
        CHECK_ID,
        MESSAGE
    from {{ ref('adam_conformance') }}
    where BLOCKING
)

select
    build.BUILD_ID,
    build.DATA_CUTOFF,
    count(failures.CHECK_ID) = 0 as ADAM_CHECKS_PASSED,
    count(failures.CHECK_ID) as N_FAILED_CHECKS,
    count(failures.CHECK_ID) filter (where failures.SOURCE = 'adam_conformance') as N_FAILED_CONFORMANCE,
    case when count(failures.CHECK_ID) > 0 then
            'new results not published: ' || count(failures.CHECK_ID) || ' failed ADaM check(s); first: '
            || min(failures.MESSAGE)
    end as REASON
from {{ ref('build_info') }} as build
left join failures on true
group by build.BUILD_ID, build.DATA_CUTOFF
