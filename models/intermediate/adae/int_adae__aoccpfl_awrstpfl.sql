-- AOCCPFL / AWRSTPFL among the subject's treatment-emergent AEs, per preferred term:
--   AOCCPFL   'Y' on the first occurrence of the term (earliest ASTDT, then AESEQ)
--   AWRSTPFL  'Y' on the worst-grade record of the term (highest AETOXGR; ties: earliest
--             ASTDT, then AESEQ) - "a subject counts once per term, at the worst grade"
-- NULL on every other record (and on non-TEAEs).
-- Inputs: int_ae__current, int_adae__astdt_aendt, int_adae__trtemfl.
with teae as (
    select
        ae.USUBJID,
        ae.SITE_FOLDER,
        ae.RECID,
        ae.AEDECOD,
        ae.AETOXGR,
        dates.ASTDT,
        dates.AESEQ
    from {{ ref('int_ae__current') }} as ae
    inner join {{ ref('int_adae__astdt_aendt') }} as dates
        on ae.SITE_FOLDER = dates.SITE_FOLDER
            and ae.RECID = dates.RECID
    inner join {{ ref('int_adae__trtemfl') }} as te
        on ae.SITE_FOLDER = te.SITE_FOLDER
            and ae.RECID = te.RECID
    where te.TRTEMFL = 'Y'
),

ranked as (
    select
        *,
        row_number() over (
            partition by USUBJID, AEDECOD
            order by ASTDT nulls last, AESEQ
        ) as _OCCURRENCE_RANK,
        row_number() over (
            partition by USUBJID, AEDECOD
            order by AETOXGR desc nulls last, ASTDT asc nulls last, AESEQ asc
        ) as _GRADE_RANK
    from teae
)

select
    ae.USUBJID,
    ae.SITE_FOLDER,
    ae.RECID,
    case when ranked._OCCURRENCE_RANK = 1 then 'Y' end as AOCCPFL,
    case when ranked._GRADE_RANK = 1 then 'Y' end as AWRSTPFL
from {{ ref('int_ae__current') }} as ae
left join ranked
    on ae.SITE_FOLDER = ranked.SITE_FOLDER
        and ae.RECID = ranked.RECID
