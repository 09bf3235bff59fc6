-- ECOG performance status: every row of every transfer, typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__ecog') }}
)

select
    {{ edc_common_columns() }},
    VISIT,
    {{ edc_date('QSDAT', 'QS') }},
    try_cast(ECOG as integer) as ECOG,
    {{ edc_lineage_columns() }}
from source
