-- int_response__postbaseline_assessed
-- Whether a treated subject has a post-baseline response assessment
-- (docs/derivations.md#response-evaluable-set-re: a visit
-- after TRTSDT with a central M-protein or FLC result, or an investigator PD for a
-- non-laboratory reason) - the third condition of the response-evaluable set (adsl RSEVFL).
-- PBASMFL 'Y'/'N' (never null), number of assessments, first and last assessment date.
-- One row per treated subject. Inputs: int_adsl__trtsdt_trtedt,
-- int_response__assessments_grouped. Feeds adsl - never ref adsl.
with per_subject as (
    select
        USUBJID,
        count(*) as N_ASSESSMENTS,
        min(ADT) as FIRST_ASMDT,
        max(ADT) as LAST_ASMDT
    from {{ ref('int_response__assessments_grouped') }}
    group by USUBJID
)

select
    trt.USUBJID,
    case when per_subject.N_ASSESSMENTS > 0 then 'Y' else 'N' end as PBASMFL,
    coalesce(per_subject.N_ASSESSMENTS, 0) as N_ASSESSMENTS,
    per_subject.FIRST_ASMDT,
    per_subject.LAST_ASMDT
from {{ ref('int_adsl__trtsdt_trtedt') }} as trt
left join per_subject
    on trt.USUBJID = per_subject.USUBJID
