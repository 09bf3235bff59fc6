-- Baseline values: the last non-missing value on or before the first dose (TRTSDT) of
-- height, weight (vs), creatinine, beta-2 microglobulin, albumin (central lb) and ECOG.
-- Subjects never dosed use their enrolment date as the reference (screening values).
-- Ties on the same date: the record with the highest RECID.
-- Inputs: int_dm__current, int_adsl__trtsdt_trtedt, int_vs__current, int_lb__current,
-- int_ecog__current. One row per subject in dm.
with subjects as (
    select
        dm.USUBJID,
        coalesce(trt.TRTSDT, dm.ENRLDT) as REFDT
    from {{ ref('int_dm__current') }} as dm
    left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
        on dm.USUBJID = trt.USUBJID
),

measurements as (
    select USUBJID, VSTESTCD as PARAMCD, VSDT as ADT, VSSTRESN as AVAL, RECID
    from {{ ref('int_vs__current') }}
    where VSTESTCD in ('HEIGHT', 'WEIGHT')

    union all

    select USUBJID, LBTESTCD as PARAMCD, LBDT as ADT, LBSTRESN as AVAL, RECID
    from {{ ref('int_lb__current') }}
    where LBTESTCD in ('CREAT', 'B2M', 'ALB')

    union all

    select USUBJID, 'ECOG' as PARAMCD, QSDT as ADT, cast(ECOG as double) as AVAL, RECID
    from {{ ref('int_ecog__current') }}
),

baseline_candidates as (
    select
        measurements.*,
        row_number() over (
            partition by measurements.USUBJID, measurements.PARAMCD
            order by measurements.ADT desc, measurements.RECID desc
        ) as _RANK
    from measurements
    inner join subjects
        on measurements.USUBJID = subjects.USUBJID
    where measurements.AVAL is not null
        and measurements.ADT <= subjects.REFDT
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
left join baseline_candidates
    on subjects.USUBJID = baseline_candidates.USUBJID
    and baseline_candidates._RANK = 1
group by subjects.USUBJID
