-- SUBSQDT: start of the first subsequent anticancer therapy (cm, up to the data cutoff).
-- Inputs: int_dm__current, int_cm__current. One row per subject (NULL when none).
select
    dm.USUBJID,
    min(cm.CMSTDT) as SUBSQDT
from {{ ref('int_dm__current') }} as dm
left join {{ ref('int_cm__current') }} as cm
    on dm.USUBJID = cm.USUBJID
group by dm.USUBJID
