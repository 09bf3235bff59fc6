-- Prior anticancer therapy (one record per prior line): typed; dates are partial.
with source as (
    select * from {{ ref('base_edc__pt') }}
)

select
    {{ edc_common_columns() }},
    try_cast(LINENO as integer) as LINENO,
    DRUGS,
    {{ edc_partial_date('PTSTDAT', 'PTST') }},
    {{ edc_partial_date('PTENDAT', 'PTEN') }},
    ASCT,
    {{ edc_partial_date('ASCTDAT', 'ASCT') }},
    BESTRESP,
    OUTCOME,
    {{ edc_lineage_columns() }}
from source
