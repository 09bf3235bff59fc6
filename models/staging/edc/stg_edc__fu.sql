-- Survival follow-up contacts: typed; lineage kept.
with source as (
    {{ edc_with_lineage(source('edc', 'fu')) }}
)

select
    {{ edc_common_columns() }},
    {{ edc_date('FUDAT', 'FU') }},
    FUSTAT,
    {{ edc_lineage_columns() }}
from source
