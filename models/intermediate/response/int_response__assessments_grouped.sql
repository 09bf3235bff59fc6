-- int_response__assessments_grouped
-- The post-baseline response assessments, one row each
-- (docs/derivations.md#grouping-lab-results-into-assessments):
--   * central M-protein / FLC results (SPEP, UPEP, SIFE, UIFE, KAPPA, LAMBDA) grouped by
--     VISIT; UNSCHEDULED ones by 3-day window (int_response__unscheduled_windowed: a window
--     starts at the earliest UNSCHEDULED LBDAT not yet grouped and takes every UNSCHEDULED
--     result dated at most 3 days after it). The assessment date ADT is the earliest LBDAT
--     of the group (for a window: its start); post-baseline = ADT after TRTSDT. Within a
--     group each test takes its earliest result (ties: highest RECID).
--   * an investigator PD for a non-laboratory reason (int_response__investigator_pd) joins
--     the lab assessment of the same visit; an UNSCHEDULED one joins the post-baseline
--     UNSCHEDULED lab assessment whose window holds its RSDAT (window start <= RSDAT <=
--     start + 3 days, the days the window's own results may fall on; windows never overlap,
--     so there is at most one). Without one it is an assessment of its own, dated at RSDAT.
-- FLC: the involved chain is mh.LCTYPE; DFLC = involved - uninvolved.
-- ASMSEQ numbers a subject's assessments in date order. Traceability: the record that dates
-- the assessment (SRCDOM LB/RS, SRCRECID = its RECID, SRCSEQ = its LBSEQ/RSSEQ, lineage).
-- Inputs: int_lb__current, int_response__unscheduled_windowed, int_mh__current,
--         int_adsl__trtsdt_trtedt, int_response__investigator_pd. Feeds adsl (RSEVFL) - never ref adsl.
with treated as (
    select
        USUBJID,
        TRTSDT
    from {{ ref('int_adsl__trtsdt_trtedt') }}
),

light_chain as (
    select
        USUBJID,
        max(LCTYPE) as LCTYPE
    from {{ ref('int_mh__current') }}
    group by USUBJID
),

-- LBSEQ: the record's number among the subject's current lb records in RECID order
-- (an SDTM-like --SEQ for SRCSEQ; RECID itself is kept as the stable EDC id)
lb_sequenced as (
    select
        *,
        row_number() over (partition by USUBJID order by RECID) as LBSEQ
    from {{ ref('int_lb__current') }}
),

response_labs as (
    select
        lb.USUBJID,
        lb.VISIT,
        -- the group within the visit: the 3-day window of an UNSCHEDULED result
        win.WINDOW_START as _WINDOW_START,
        win.WINDOW_END as _WINDOW_END,
        lb.LBTESTCD,
        lb.LBDT,
        lb.LBSTRESC,
        cast(lb.LBSTRESN as decimal(38, 6)) as LBSTRESN,
        lb.RECID,
        lb.LBSEQ,
        lb.SOURCE_FILE,
        lb.SOURCE_ROW
    from lb_sequenced as lb
    left join {{ ref('int_response__unscheduled_windowed') }} as win
        on lb.VISIT = 'UNSCHEDULED'
            and win.USUBJID = lb.USUBJID
            and win.LBDT = lb.LBDT
    where {{ response_lab_result('lb') }}
),

results_ranked as (
    select
        *,
        -- the test's result within the group: earliest date
        row_number() over (
            partition by USUBJID, VISIT, _WINDOW_START, LBTESTCD
            order by LBDT asc, RECID desc
        ) as _TEST_RANK,
        -- the record that dates the group: earliest date of any of the six tests
        row_number() over (
            partition by USUBJID, VISIT, _WINDOW_START
            order by LBDT asc, LBTESTCD asc, RECID desc
        ) as _GROUP_RANK
    from response_labs
),

lab_groups as (
    select
        USUBJID,
        VISIT,
        _WINDOW_START,
        _WINDOW_END,
        min(LBDT) as ADT,
        max(case when LBTESTCD = 'SPEP' and _TEST_RANK = 1 then LBSTRESN end) as SPEP,
        max(case when LBTESTCD = 'UPEP' and _TEST_RANK = 1 then LBSTRESN end) as UPEP,
        max(case when LBTESTCD = 'SIFE' and _TEST_RANK = 1 then LBSTRESC end) as SIFE,
        max(case when LBTESTCD = 'UIFE' and _TEST_RANK = 1 then LBSTRESC end) as UIFE,
        max(case when LBTESTCD = 'KAPPA' and _TEST_RANK = 1 then LBSTRESN end) as FLCKAPPA,
        max(case when LBTESTCD = 'LAMBDA' and _TEST_RANK = 1 then LBSTRESN end) as FLCLAMBDA,
        max(case when _GROUP_RANK = 1 then RECID end) as SRCRECID,
        max(case when _GROUP_RANK = 1 then LBSEQ end) as SRCSEQ,
        max(case when _GROUP_RANK = 1 then SOURCE_FILE end) as SOURCE_FILE,
        max(case when _GROUP_RANK = 1 then SOURCE_ROW end) as SOURCE_ROW
    from results_ranked
    group by USUBJID, VISIT, _WINDOW_START, _WINDOW_END
),

post_baseline_lab_groups as (
    select lab_groups.*
    from lab_groups
    inner join treated on lab_groups.USUBJID = treated.USUBJID
    where lab_groups.ADT > treated.TRTSDT
),

-- an UNSCHEDULED investigator PD takes the window of the lab assessment it joins, or - with
-- none - its own RSDAT as its group (never another window's start: that would hold RSDAT)
investigator_pd_keyed as (
    select
        inv.USUBJID,
        inv.VISIT,
        case when inv.VISIT = 'UNSCHEDULED' then coalesce(lab._WINDOW_START, inv.RSDT) end as _WINDOW_START,
        inv.RSDT,
        inv.RSPDRSN,
        inv.RECID,
        inv.RSSEQ,
        inv.SOURCE_FILE,
        inv.SOURCE_ROW
    from {{ ref('int_response__investigator_pd') }} as inv
    left join post_baseline_lab_groups as lab
        on inv.VISIT = 'UNSCHEDULED'
            and lab.VISIT = 'UNSCHEDULED'
            and lab.USUBJID = inv.USUBJID
            and inv.RSDT between lab._WINDOW_START and lab._WINDOW_END
),

investigator_pd as (
    select
        *,
        row_number() over (
            partition by USUBJID, VISIT, _WINDOW_START
            order by RSDT asc, RECID desc
        ) as _RANK
    from investigator_pd_keyed
),

merged as (
    select
        coalesce(lab.USUBJID, inv.USUBJID) as USUBJID,
        coalesce(lab.VISIT, inv.VISIT) as VISIT,
        coalesce(lab.ADT, inv.RSDT) as ADT,
        case when lab.USUBJID is not null then 'Y' end as LABFL,
        lab.SPEP,
        lab.UPEP,
        lab.SIFE,
        lab.UIFE,
        lab.FLCKAPPA,
        lab.FLCLAMBDA,
        case when inv.USUBJID is not null then 'Y' end as INVPDFL,
        inv.RSDT as INVPDDT,
        inv.RSPDRSN,
        case when lab.USUBJID is not null then 'LB' else 'RS' end as SRCDOM,
        case when lab.USUBJID is not null then 'LBDAT' else 'RSDAT' end as SRCVAR,
        coalesce(lab.SRCRECID, inv.RECID) as SRCRECID,
        coalesce(lab.SRCSEQ, inv.RSSEQ) as SRCSEQ,
        coalesce(lab.SOURCE_FILE, inv.SOURCE_FILE) as SOURCE_FILE,
        coalesce(lab.SOURCE_ROW, inv.SOURCE_ROW) as SOURCE_ROW
    from post_baseline_lab_groups as lab
    full outer join (
        select * from investigator_pd
        where _RANK = 1
    ) as inv
        on lab.USUBJID = inv.USUBJID
            and lab.VISIT = inv.VISIT
            and lab._WINDOW_START is not distinct from inv._WINDOW_START
)

select
    merged.USUBJID,
    row_number() over (
        partition by merged.USUBJID order by merged.ADT, merged.VISIT
    ) as ASMSEQ,
    merged.VISIT,
    merged.ADT,
    cast(merged.ADT - treated.TRTSDT + 1 as integer) as ADY,
    treated.TRTSDT,
    merged.LABFL,
    merged.SPEP,
    merged.UPEP,
    merged.SIFE,
    merged.UIFE,
    merged.FLCKAPPA,
    merged.FLCLAMBDA,
    light_chain.LCTYPE,
    case light_chain.LCTYPE when 'KAPPA' then merged.FLCKAPPA when 'LAMBDA' then merged.FLCLAMBDA end
    - case light_chain.LCTYPE when 'KAPPA' then merged.FLCLAMBDA when 'LAMBDA' then merged.FLCKAPPA end
        as DFLC,
    merged.INVPDFL,
    merged.INVPDDT,
    merged.RSPDRSN,
    merged.SRCDOM,
    merged.SRCVAR,
    merged.SRCRECID,
    merged.SRCSEQ,
    merged.SOURCE_FILE,
    merged.SOURCE_ROW
from merged
inner join treated on merged.USUBJID = treated.USUBJID
left join light_chain on merged.USUBJID = light_chain.USUBJID
