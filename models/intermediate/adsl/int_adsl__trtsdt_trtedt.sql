-- TRTSDT / TRTEDT: first and last date on which the subject took study drug (any drug,
-- EXDOSE > 0). One row per treated subject (subjects without a dose taken have no row).
-- Input: int_ex__current (already limited to the data cutoff).
select
    USUBJID,
    min(EXSTDT) as TRTSDT,
    max(EXSTDT) as TRTEDT
from {{ ref('int_ex__current') }}
where EXDOSE > 0
    and EXSTDT is not null
group by USUBJID
