-- PRLINES / PRRELREF: number of prior lines and relapsed/refractory status
-- (docs/derivations.md#prior-lines-and-relapsedrefractory-status-prlines-prrelref):
--   RELAPSED   relapsed after >= 1 line and refractory to none
--   REFRACTORY refractory to >= 1 line and relapsed after none
--   RELAPSED AND REFRACTORY  both;  NEITHER  neither (no line relapsed or refractory)
-- Per line the pt OUTCOME code decides. Subjects without prior lines: 0, NEITHER.
-- Inputs: int_dm__current, int_pt__current. One row per subject.
with per_subject as (
    select
        USUBJID,
        count(*) as N_LINES,
        count(*) filter (where OUTCOME = 'RELAPSED') as N_RELAPSED,
        count(*) filter (where OUTCOME = 'REFRACTORY') as N_REFRACTORY
    from {{ ref('int_pt__current') }}
    group by USUBJID
)

select
    dm.USUBJID,
    coalesce(per_subject.N_LINES, 0) as PRLINES,
    case
        when per_subject.N_RELAPSED > 0 and per_subject.N_REFRACTORY > 0 then 'RELAPSED AND REFRACTORY'
        when per_subject.N_RELAPSED > 0 then 'RELAPSED'
        when per_subject.N_REFRACTORY > 0 then 'REFRACTORY'
        else 'NEITHER'
    end as PRRELREF
from {{ ref('int_dm__current') }} as dm
left join per_subject
    on dm.USUBJID = per_subject.USUBJID
