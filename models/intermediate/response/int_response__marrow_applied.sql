-- int_response__marrow_applied
-- The bone-marrow result that applies to each assessment
-- (docs/derivations.md#bone-marrow-result-that-applies):
-- the latest post-baseline one (LBDAT after TRTSDT) on or before the assessment date,
-- taken per test: BMPC (marrow plasma cells, %) and BMCLON (clonal plasma cells).
-- A marrow result keeps applying to later assessments (marrow needs no confirmation).
-- One row per assessment. Inputs: int_response__assessments_grouped, int_lb__current.
with assessments as (
    select
        USUBJID,
        ASMSEQ,
        ADT,
        TRTSDT
    from {{ ref('int_response__assessments_grouped') }}
),

marrow as (
    select
        USUBJID,
        LBTESTCD,
        LBDT,
        cast(LBSTRESN as decimal(38, 6)) as LBSTRESN,
        LBSTRESC,
        RECID
    from {{ ref('int_lb__current') }}
    where LBDT is not null
        and (
            (LBTESTCD = 'BMPC' and LBSTRESN is not null)
            or (LBTESTCD = 'BMCLON' and LBSTRESC in ('POSITIVE', 'NEGATIVE'))
        )
),

applicable as (
    select
        assessments.USUBJID,
        assessments.ASMSEQ,
        marrow.LBTESTCD,
        marrow.LBDT,
        marrow.LBSTRESN,
        marrow.LBSTRESC,
        row_number() over (
            partition by assessments.USUBJID, assessments.ASMSEQ, marrow.LBTESTCD
            order by marrow.LBDT desc, marrow.RECID desc
        ) as _RANK
    from assessments
    inner join marrow
        on assessments.USUBJID = marrow.USUBJID
            and marrow.LBDT > assessments.TRTSDT
            and marrow.LBDT <= assessments.ADT
)

select
    assessments.USUBJID,
    assessments.ASMSEQ,
    max(case when applicable.LBTESTCD = 'BMPC' then applicable.LBSTRESN end) as BMPC,
    max(case when applicable.LBTESTCD = 'BMPC' then applicable.LBDT end) as BMPCDT,
    max(case when applicable.LBTESTCD = 'BMCLON' then applicable.LBSTRESC end) as BMCLON,
    max(case when applicable.LBTESTCD = 'BMCLON' then applicable.LBDT end) as BMCLONDT
from assessments
left join applicable
    on assessments.USUBJID = applicable.USUBJID
        and assessments.ASMSEQ = applicable.ASMSEQ
        and applicable._RANK = 1
group by assessments.USUBJID, assessments.ASMSEQ
