-- Population flags ('Y'/'N', docs/derivations.md#full-analysis-set-fas-and-safety-set-saf):
--   SAFFL = FASFL  enrolled and took >= 1 dose (EXDOSE > 0) of any study drug
--   RSEVFL         took >= 1 dose of ixazomib, measurable disease at baseline
--                  (int_response__baseline_disease.MEASFL) and >= 1 post-baseline response
--                  assessment (int_response__postbaseline_assessed.PBASMFL)
--   MEASFL         measurable disease at baseline ('N' when never dosed: no baseline)
-- Inputs: int_dm__current, int_ex__current, int_response__baseline_disease,
-- int_response__postbaseline_assessed. One row per subject in dm.
with doses as (
    select
        USUBJID,
        bool_or(EXDOSE > 0) as ANY_DOSE,
        bool_or(EXDOSE > 0 and EXTRT = 'IXAZOMIB') as IXAZOMIB_DOSE
    from {{ ref('int_ex__current') }}
    group by USUBJID
)

select
    dm.USUBJID,
    case when dm.ENRLDT is not null and doses.ANY_DOSE then 'Y' else 'N' end as FASFL,
    case when dm.ENRLDT is not null and doses.ANY_DOSE then 'Y' else 'N' end as SAFFL,
    case
        when doses.IXAZOMIB_DOSE and measurable.MEASFL = 'Y' and assessed.PBASMFL = 'Y' then 'Y'
        else 'N'
    end as RSEVFL,
    coalesce(measurable.MEASFL, 'N') as MEASFL
from {{ ref('int_dm__current') }} as dm
left join doses
    on dm.USUBJID = doses.USUBJID
left join {{ ref('int_response__baseline_disease') }} as measurable
    on dm.USUBJID = measurable.USUBJID
left join {{ ref('int_response__postbaseline_assessed') }} as assessed
    on dm.USUBJID = assessed.USUBJID
