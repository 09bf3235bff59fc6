-- review_response_change
-- Percent change from baseline of each treated subject's response parameter, one row per
-- post-baseline assessment with a value, docs/derivations.md#review-plot-parameter:
--   parameter  the IMWG hierarchy (seed plot_parameters): serum M-protein when measurable at
--              baseline, else urine M-protein, else dFLC (int_response__baseline_disease
--              SERMEASFL / URNMEASFL / FLCMEASFL); subjects with nothing measurable have no rows
--   AVAL       the assessment's value of that parameter (int_response__assessments SPEP/UPEP/DFLC)
--   BASE       its baseline (SPEPBL/UPEPBL/DFLCBL)
--   PCHG       (AVAL - BASE) / BASE x 100; null when BASE is 0
--   ADY        study day of the assessment (#study-day); OVRLRESP its IMWG category before
--              confirmation (int_response__assessments AVALC, adrs OVRLRESP)
-- Inputs: int_response__baseline_disease, int_response__assessments, plot_parameters.
with measurable as (
    unpivot (
        select
            USUBJID,
            SERMEASFL,
            URNMEASFL,
            FLCMEASFL
        from {{ ref('int_response__baseline_disease') }}
    )
    on SERMEASFL, URNMEASFL, FLCMEASFL
    into name MEASFL_COLUMN value MEASFL
),

baselines as (
    unpivot (
        select
            USUBJID,
            cast(SPEPBL as double) as SPEP,
            cast(UPEPBL as double) as UPEP,
            cast(DFLCBL as double) as DFLC
        from {{ ref('int_response__baseline_disease') }}
    )
    on SPEP, UPEP, DFLC
    into name PARAMCD value BASE
),

chosen as (
    select
        m.USUBJID,
        p.PARAMCD,
        p.PARAMN,
        p.PARAM,
        p.UNIT,
        row_number() over (partition by m.USUBJID order by p.PARAMN) as _RANK
    from measurable as m
    inner join {{ ref('plot_parameters') }} as p
        on m.MEASFL_COLUMN = p.MEASFL_COLUMN
    where m.MEASFL = 'Y'
),

assessment_values as (
    unpivot (
        select
            USUBJID,
            ASMSEQ,
            ADT,
            ADY,
            AVALC,
            cast(SPEP as double) as SPEP,
            cast(UPEP as double) as UPEP,
            cast(DFLC as double) as DFLC
        from {{ ref('int_response__assessments') }}
    )
    on SPEP, UPEP, DFLC
    into name PARAMCD value AVAL
)

select
    c.USUBJID,
    v.ASMSEQ,
    c.PARAMCD,
    c.PARAM,
    c.UNIT,
    v.ADT,
    v.ADY,
    v.AVAL,
    b.BASE,
    (v.AVAL - b.BASE) / nullif(b.BASE, 0) * 100 as PCHG,
    v.AVALC as OVRLRESP
from chosen as c
inner join baselines as b
    on c.USUBJID = b.USUBJID and c.PARAMCD = b.PARAMCD
inner join assessment_values as v
    on c.USUBJID = v.USUBJID and c.PARAMCD = v.PARAMCD
where c._RANK = 1
order by c.USUBJID, v.ASMSEQ
