-- Death: typed; lineage kept.
with source as (
    {{ edc_with_lineage(source('edc', 'dd')) }}
)

select
    {{ edc_common_columns() }},
    {{ edc_date('DTHDAT', 'DTH') }},
    DTHCAUS,
    {{ edc_lineage_columns() }}
from source
