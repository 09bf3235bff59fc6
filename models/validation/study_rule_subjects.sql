-- validation.study_rule_subjects: one row per subject with what the subject-level study rules
-- (seed study_rules, FRAME subjects) compare. Inputs: adam.adsl, int_pt__current,
-- int_ex__current.
--   LEN_REFRACTORY / PI_REFRACTORY  Y when a prior line containing lenalidomide / a
--        proteasome inhibitor (bortezomib, carfilzomib, ixazomib) ended REFRACTORY (an
--        exclusion criterion,
--        docs/derivations.md#study-rule-queries-warnings-never-blocking); *_LINES lists those lines.
--   LEN_START_DOSE  planned dose (EXPDOSE) of the subject's first lenalidomide administration;
--        LENSTDOS (adsl) is the protocol's dose for the baseline creatinine clearance.
with refractory_lines as (
    select
        USUBJID,
        LINENO,
        DRUGS,
        list_has_any(string_split(DRUGS, ';'), ['LENALIDOMIDE']) as HAS_LEN,
        list_has_any(string_split(DRUGS, ';'), ['BORTEZOMIB', 'CARFILZOMIB', 'IXAZOMIB']) as HAS_PI
    from {{ ref('int_pt__current') }}
    where OUTCOME = 'REFRACTORY'
),

refractory as (
    select
        USUBJID,
        string_agg('line ' || LINENO || ' (' || DRUGS || ')', '; ' order by LINENO)
        filter (where HAS_LEN) as LEN_REFRACTORY_LINES,
        string_agg('line ' || LINENO || ' (' || DRUGS || ')', '; ' order by LINENO)
        filter (where HAS_PI) as PI_REFRACTORY_LINES
    from refractory_lines
    group by USUBJID
),

first_lenalidomide as (
    select
        USUBJID,
        arg_min(EXPDOSE, (EXSTDT, EXPDOSE)) as LEN_START_DOSE,
        min(EXSTDT) as LEN_START_DT
    from {{ ref('int_ex__current') }}
    where EXTRT = 'LENALIDOMIDE' and EXSTDT is not null
    group by USUBJID
)

select
    adsl.USUBJID,
    adsl.SITEID,
    adsl.SUBJID,
    adsl.AGE,
    adsl.ECOGBL,
    adsl.PRLINES,
    adsl.CRCLBL,
    adsl.LENSTDOS,
    first_lenalidomide.LEN_START_DOSE,
    first_lenalidomide.LEN_START_DT,
    case when refractory.LEN_REFRACTORY_LINES is null then 'N' else 'Y' end as LEN_REFRACTORY,
    refractory.LEN_REFRACTORY_LINES,
    case when refractory.PI_REFRACTORY_LINES is null then 'N' else 'Y' end as PI_REFRACTORY,
    refractory.PI_REFRACTORY_LINES
from {{ ref('adsl') }} as adsl
left join refractory on refractory.USUBJID = adsl.USUBJID
left join first_lenalidomide on first_lenalidomide.USUBJID = adsl.USUBJID
