-- REFDT: the reference date of every baseline value - the first dose (TRTSDT), or the
-- enrolment date for a subject never dosed, so that their screening values still count
-- (docs/derivations.md#baseline-value-last-non-missing-value-on-or-before-trtsdt).
-- Inputs: int_dm__current, int_adsl__trtsdt_trtedt. One row per subject in dm.
select
    dm.USUBJID,
    coalesce(trt.TRTSDT, dm.ENRLDT) as REFDT
from {{ ref('int_dm__current') }} as dm
left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
    on dm.USUBJID = trt.USUBJID
