-- validation.publication_gate: one row saying whether this build may publish new analysis
-- results: only when no ADaM conformance check failed (validation.adam_checks). Its test
-- (publication_gate_adam_checks_pass, severity error) fails the build otherwise; dbt then
-- SKIPS every model downstream of this one - the results models and validation.publish ref
-- it - so nothing of this build is published: the last good build stays on show, whole
-- (marked stale with this REASON; docs/VALIDATION.md "Publication").
-- Study-rule queries do not block (they are listed per site in validation.study_rule_checks).
select
    build.BUILD_ID,
    build.DATA_CUTOFF,
    count(checks.CHECK_ID) = 0 as ADAM_CHECKS_PASSED,
    count(checks.CHECK_ID) as N_FAILED_CHECKS,
    case when count(checks.CHECK_ID) > 0 then
            'new results not published: ' || count(checks.CHECK_ID) || ' failed ADaM check(s); first: '
            || min(checks.MESSAGE)
    end as REASON
from {{ ref('build_info') }} as build
left join {{ ref('adam_checks') }} as checks on true
group by build.BUILD_ID, build.DATA_CUTOFF
