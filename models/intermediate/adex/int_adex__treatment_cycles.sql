-- Treatment cycles (docs/derivations.md#treatment-cycle): a cycle in which the subject took any amount of
-- any study drug (EXDOSE > 0). One row per subject and treatment cycle, with the first and
-- last date a dose was taken in it. Input: int_ex__current (data cutoff applied).
select
    USUBJID,
    CYCLE,
    min(EXSTDT) as CYCLE_FIRST_DOSE_DT,
    max(EXSTDT) as CYCLE_LAST_DOSE_DT
from {{ ref('int_ex__current') }}
where EXDOSE > 0
    and CYCLE is not null
group by USUBJID, CYCLE
