-- Investigator response assessment: every row of every transfer, typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__rs') }}
)

select
    {{ edc_common_columns() }},
    VISIT,
    {{ edc_date('RSDAT', 'RS') }},
    RSORRES,
    RSPDRSN,
    {{ edc_lineage_columns() }}
from source
