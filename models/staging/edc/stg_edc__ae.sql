-- Adverse events: every row of every transfer, typed; AESTDAT/AEENDAT are partial dates.
with source as (
    select * from {{ ref('base_edc__ae') }}
)

select
    {{ edc_common_columns() }},
    try_cast(AESPID as integer) as AESPID,
    AETERM,
    AEDECOD,
    AEBODSYS,
    {{ edc_partial_date('AESTDAT', 'AEST') }},
    {{ edc_partial_date('AEENDAT', 'AEEN') }},
    AEONGO,
    try_cast(AETOXGR as integer) as AETOXGR,
    AESER,
    AEREL_IXA,
    AEREL_LEN,
    AEREL_DEX,
    AEACN_IXA,
    AEACN_LEN,
    AEACN_DEX,
    AECYDLY,
    AEDISCON,
    AEOUT,
    {{ edc_lineage_columns() }}
from source
