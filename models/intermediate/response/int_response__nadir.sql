-- int_response__nadir
-- The nadir each assessment's progression is measured from
-- (docs/derivations.md#nadir):
-- per parameter (serum M-protein, urine M-protein, dFLC), the lowest value at baseline or
-- at any EARLIER post-baseline assessment (lower ASMSEQ) - never the assessment itself.
-- Missing values are skipped. One row per assessment.
-- Inputs: int_response__assessments_grouped, int_response__baseline_disease.
with assessments as (
    select
        USUBJID,
        ASMSEQ,
        SPEP,
        UPEP,
        DFLC
    from {{ ref('int_response__assessments_grouped') }}
),

earlier_lowest as (
    select
        USUBJID,
        ASMSEQ,
        min(SPEP) over earlier as _SPEP_EARLIER,
        min(UPEP) over earlier as _UPEP_EARLIER,
        min(DFLC) over earlier as _DFLC_EARLIER
    from assessments
    window earlier as (
        partition by USUBJID order by ASMSEQ
        rows between unbounded preceding and 1 preceding
    )
)

select
    earlier_lowest.USUBJID,
    earlier_lowest.ASMSEQ,
    -- least() skips NULLs (NULL only when both are missing)
    least(baseline.SPEPBL, earlier_lowest._SPEP_EARLIER) as SPEPNADIR,
    least(baseline.UPEPBL, earlier_lowest._UPEP_EARLIER) as UPEPNADIR,
    least(baseline.DFLCBL, earlier_lowest._DFLC_EARLIER) as DFLCNADIR
from earlier_lowest
left join {{ ref('int_response__baseline_disease') }} as baseline
    on earlier_lowest.USUBJID = baseline.USUBJID
