-- Relationship and action flags of every current AE record ('Y' / NULL,
-- docs/derivations.md#relatedness-and-action-flags):
--   AREL      'RELATED' when related to any study drug, else 'NOT RELATED'
--   DOSRDFL   dose reduced (AEACN_IXA/LEN/DEX = 'DOSE REDUCED' for any drug)
--   DOSINTFL  drug interrupted ('DRUG INTERRUPTED' for any drug)
--   DRGWDFL   drug withdrawn ('DRUG WITHDRAWN' for any drug)
--   DOSMODFL  any dose modification: reduced, interrupted, withdrawn, or next cycle
--             delayed (AECYDLY = 'Y') - Table 4 "dose modification"
-- Input: int_ae__current. One row per AE record.
with actions as (
    select
        USUBJID,
        SITE_FOLDER,
        RECID,
        'RELATED' in (AEREL_IXA, AEREL_LEN, AEREL_DEX) as IS_RELATED,
        'DOSE REDUCED' in (AEACN_IXA, AEACN_LEN, AEACN_DEX) as IS_REDUCED,
        'DRUG INTERRUPTED' in (AEACN_IXA, AEACN_LEN, AEACN_DEX) as IS_INTERRUPTED,
        'DRUG WITHDRAWN' in (AEACN_IXA, AEACN_LEN, AEACN_DEX) as IS_WITHDRAWN,
        coalesce(AECYDLY = 'Y', false) as IS_DELAYED
    from {{ ref('int_ae__current') }}
)

select
    USUBJID,
    SITE_FOLDER,
    RECID,
    case when IS_RELATED then 'RELATED' else 'NOT RELATED' end as AREL,
    case when IS_REDUCED then 'Y' end as DOSRDFL,
    case when IS_INTERRUPTED then 'Y' end as DOSINTFL,
    case when IS_WITHDRAWN then 'Y' end as DRGWDFL,
    case when IS_REDUCED or IS_INTERRUPTED or IS_WITHDRAWN or IS_DELAYED then 'Y' end as DOSMODFL
from actions
