-- review_swimmer
-- One swimmer lane per treated subject (adsl SAFFL = 'Y'), docs/derivations.md#review-swimmer:
--   BOR        adrs BOR AVALC; 'NE' for a subject without a BOR row (not response-evaluable,
--              RSEVFL shows which); BORN its order (response_categories AVAL, 1 = best)
--   TRTDURD    TRTEDT - TRTSDT + 1 days (both ends count, #months-and-durations)
--   TRTDURM    TRTDURD / 30.4375 months, unrounded
--   ONGOING    'Y' when adsl EOTSTT = 'ONGOING' (no end-of-treatment record up to the cutoff)
--   DTHDY, LSTALVDY, EOTDY  study days of DTHDT, LSTALVDT, EOTDT (#study-day: day 1 = TRTSDT, no day 0)
-- Inputs: adsl, adrs, response_categories.
with bor as (
    select
        USUBJID,
        AVALC,
        ADT
    from {{ ref('adrs') }}
    where PARAMCD = 'BOR'
),

subjects as (
    select
        s.USUBJID,
        s.SITEID,
        s.CYTORISK,
        s.RSEVFL,
        coalesce(bor.AVALC, 'NE') as BOR,
        bor.ADT as BORDT,
        s.TRTSDT,
        s.TRTEDT,
        s.EOTSTT,
        s.EOTDT,
        s.DCTREAS,
        s.DTHDT,
        s.LSTALVDT
    from {{ ref('adsl') }} as s
    left join bor on s.USUBJID = bor.USUBJID
    where s.SAFFL = 'Y'
)

select
    subjects.USUBJID,
    subjects.SITEID,
    subjects.CYTORISK,
    subjects.RSEVFL,
    subjects.BOR,
    cat.AVAL as BORN,
    subjects.BORDT,
    subjects.TRTSDT,
    subjects.TRTEDT,
    cast(subjects.TRTEDT - subjects.TRTSDT + 1 as integer) as TRTDURD,
    (subjects.TRTEDT - subjects.TRTSDT + 1) / 30.4375 as TRTDURM,
    subjects.EOTSTT,
    case when subjects.EOTSTT = 'ONGOING' then 'Y' else 'N' end as ONGOING,
    subjects.EOTDT,
    cast(
        subjects.EOTDT - subjects.TRTSDT + case when subjects.EOTDT >= subjects.TRTSDT then 1 else 0 end
        as integer
    ) as EOTDY,
    subjects.DCTREAS,
    subjects.DTHDT,
    cast(
        subjects.DTHDT - subjects.TRTSDT + case when subjects.DTHDT >= subjects.TRTSDT then 1 else 0 end
        as integer
    ) as DTHDY,
    subjects.LSTALVDT,
    cast(
        subjects.LSTALVDT - subjects.TRTSDT
        + case when subjects.LSTALVDT >= subjects.TRTSDT then 1 else 0 end
        as integer
    ) as LSTALVDY
from subjects
left join {{ ref('response_categories') }} as cat
    on subjects.BOR = cat.AVALC
order by subjects.USUBJID
