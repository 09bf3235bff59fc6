-- Baseline values: the last non-missing value on or before REFDT (the first dose; enrolment
-- for subjects never dosed) of height, weight (vs), creatinine, beta-2 microglobulin,
-- albumin (central lb) and ECOG; ties on the same date: the highest RECID (macro
-- last_on_or_before, docs/derivations.md#baseline-value-last-non-missing-value-on-or-before-trtsdt).
-- Inputs: int_adsl__refdt, int_vs__current, int_lb__current, int_ecog__current.
-- One row per subject in dm.
with subjects as (
    select
        USUBJID,
        REFDT
    from {{ ref('int_adsl__refdt') }}
),

measurements as (
    select
        USUBJID,
        VSTESTCD as PARAMCD,
        VSDT as ADT,
        VSSTRESN as AVAL,
        RECID
    from {{ ref('int_vs__current') }}
    where VSTESTCD in ('HEIGHT', 'WEIGHT')

    union all

    select
        USUBJID,
        LBTESTCD as PARAMCD,
        LBDT as ADT,
        LBSTRESN as AVAL,
        RECID
    from {{ ref('int_lb__current') }}
    where LBTESTCD in ('CREAT', 'B2M', 'ALB')

    union all

    select
        USUBJID,
        'ECOG' as PARAMCD,
        QSDT as ADT,
        cast(ECOG as double) as AVAL,
        RECID
    from {{ ref('int_ecog__current') }}
),

baseline as (
    {{ last_on_or_before('measurements', 'subjects', 'REFDT', partition_by='PARAMCD',
                         date_column='ADT', value_column='AVAL') }}
)

select
    subjects.USUBJID,
    max(case when PARAMCD = 'HEIGHT' then AVAL end) as HEIGHTBL,
    max(case when PARAMCD = 'WEIGHT' then AVAL end) as WEIGHTBL,
    max(case when PARAMCD = 'CREAT' then AVAL end) as CREATBL,
    max(case when PARAMCD = 'B2M' then AVAL end) as B2MBL,
    max(case when PARAMCD = 'ALB' then AVAL end) as ALBBL,
    cast(max(case when PARAMCD = 'ECOG' then AVAL end) as integer) as ECOGBL
from subjects
left join baseline
    on subjects.USUBJID = baseline.USUBJID
group by subjects.USUBJID
