-- Cytogenetic risk and FISH positivity flags (docs/derivations.md#cytogenetic-risk-and-fish-flags), cutoffs from seed fish_cutoffs:
--   a test is positive when FISHSTAT = 'DONE' and PCTPOS >= CUTOFF_PCT (FAILED = not done);
--   CYTORISK = 'HIGH' if any high-risk test (HIGH_RISK_FL = 'Y': del17p, t(4;14), t(14;16))
--   is positive; 'STANDARD' if every high-risk test was done and none is positive;
--   otherwise 'NOT AVAILABLE'.
-- Per test the latest DONE result on or before REFDT (the first dose; enrolment date for
-- subjects never dosed) is used, an undated one after every dated one (macro
-- last_on_or_before). Flags are 'Y'/'N' (N also when not done).
-- Inputs: int_adsl__refdt, int_fish__current, fish_cutoffs.
{% set flags = ['DEL17PFL', 'T414FL', 'T1416FL', 'T1114FL', 'DEL13FL'] %}
with subjects as (
    select
        USUBJID,
        REFDT
    from {{ ref('int_adsl__refdt') }}
),

fish_done as (
    select
        USUBJID,
        FISHTEST,
        FISHDT,
        PCTPOS,
        RECID
    from {{ ref('int_fish__current') }}
    where FISHSTAT = 'DONE'
),

results_done as (
    {{ last_on_or_before('fish_done', 'subjects', 'REFDT', partition_by='FISHTEST',
                         date_column='FISHDT', value_column='PCTPOS', undated_counts=true) }}
),

tests as (
    select
        results_done.USUBJID,
        cutoffs.FISHTEST,
        cutoffs.HIGH_RISK_FL,
        cutoffs.ADSL_FLAG,
        results_done.PCTPOS >= cutoffs.CUTOFF_PCT as IS_POSITIVE
    from results_done
    inner join {{ ref('fish_cutoffs') }} as cutoffs
        on results_done.FISHTEST = cutoffs.FISHTEST
),

per_subject as (
    select
        USUBJID,
        count(distinct FISHTEST) filter (where HIGH_RISK_FL = 'Y') as N_HIGH_RISK_DONE,
        count(*) filter (where HIGH_RISK_FL = 'Y' and IS_POSITIVE) as N_HIGH_RISK_POSITIVE,
    {% for flag in flags -%}
        bool_or(ADSL_FLAG = '{{ flag }}' and IS_POSITIVE) as _{{ flag }}{{ "," if not loop.last }}
    {% endfor %}
    from tests
    group by USUBJID
),

n_high_risk_tests as (
    select count(*) as N_HIGH_RISK_TESTS
    from {{ ref('fish_cutoffs') }}
    where HIGH_RISK_FL = 'Y'
)

select
    subjects.USUBJID,
    case
        when per_subject.N_HIGH_RISK_POSITIVE > 0 then 'HIGH'
        when per_subject.N_HIGH_RISK_DONE = n_high_risk_tests.N_HIGH_RISK_TESTS then 'STANDARD'
        else 'NOT AVAILABLE'
    end as CYTORISK,
{% for flag in flags -%}
    case when per_subject._{{ flag }} then 'Y' else 'N' end as {{ flag }}{{ "," if not loop.last }}
{% endfor %}
from subjects
cross join n_high_risk_tests
left join per_subject
    on subjects.USUBJID = per_subject.USUBJID
