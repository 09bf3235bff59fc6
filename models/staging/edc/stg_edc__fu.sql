-- Survival follow-up contacts: typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__fu') }}
)

select
    {{ edc_common_columns() }},
    {{ edc_date('FUDAT', 'FU') }},
    FUSTAT,
    {{ edc_lineage_columns() }}
from source
