-- int_response__pd_confirmed
-- The first confirmed progression of each subject (adrs PARAMCD PDCNF): the earliest
-- assessment whose confirmed response is PD - a laboratory PD confirmed by the next
-- assessment (dated at the first of the two) or an investigator PD for a non-laboratory
-- reason (dated at RSDAT). An unconfirmed laboratory PD is never one.
-- One row per subject with a confirmed PD. Input: int_response__confirmed.
with confirmed_pd as (
    select
        USUBJID,
        ASMSEQ,
        VISIT,
        PDDT,
        PDSRC,
        row_number() over (partition by USUBJID order by ASMSEQ) as _RANK
    from {{ ref('int_response__confirmed') }}
    where AVALC = 'PD'
)

select
    USUBJID,
    ASMSEQ,
    VISIT,
    PDDT,
    PDSRC
from confirmed_pd
where _RANK = 1
