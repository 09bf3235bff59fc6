-- Height and weight: every row of every transfer, typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__vs') }}
)

select
    {{ edc_common_columns() }},
    VISIT,
    {{ edc_date('VSDAT', 'VS') }},
    VSTESTCD,
    VSORRES,
    try_cast(VSORRES as double) as VSSTRESN,
    {{ edc_lineage_columns() }}
from source
