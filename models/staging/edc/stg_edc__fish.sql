-- Cytogenetics by FISH (baseline): every row of every transfer, typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__fish') }}
)

select
    {{ edc_common_columns() }},
    {{ edc_date('FISHDAT', 'FISH') }},
    FISHTEST,
    FISHSTAT,
    try_cast(PCTPOS as double) as PCTPOS,
    {{ edc_lineage_columns() }}
from source
