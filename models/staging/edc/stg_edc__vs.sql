-- Height and weight: every row of every transfer, typed; lineage kept.
with source as (
    {{ edc_with_lineage(source('edc', 'vs')) }}
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
