-- CRCLBL / CRCLCAT: baseline creatinine clearance, Cockcroft-Gault, unrounded
-- (docs/derivations.md#creatinine-clearance-crclbl-crclcat):
--   (140 - AGE) x WEIGHTBL / (72 x CREATBL), x 0.85 for women; mL/min.
-- CRCLCAT is taken from the unrounded value (59.996 is '30 to <60').
-- Inputs: int_dm__current (AGE, SEX), int_adsl__baseline_values. One row per subject.
with inputs as (
    select
        dm.USUBJID,
        dm.AGE,
        dm.SEX,
        bl.WEIGHTBL,
        bl.CREATBL
    from {{ ref('int_dm__current') }} as dm
    inner join {{ ref('int_adsl__baseline_values') }} as bl
        on dm.USUBJID = bl.USUBJID
),

clearance as (
    select
        USUBJID,
        (140 - AGE) * WEIGHTBL / (72 * nullif(CREATBL, 0))
        * case when SEX = 'F' then 0.85 else 1.0 end as CRCLBL
    from inputs
)

select
    USUBJID,
    CRCLBL,
    case
        when CRCLBL is null then null
        when CRCLBL < 30 then '<30'
        when CRCLBL < 60 then '30 to <60'
        when CRCLBL < 90 then '60 to <90'
        else '>=90'
    end as CRCLCAT
from clearance
