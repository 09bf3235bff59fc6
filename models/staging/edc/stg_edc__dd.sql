-- Death: typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__dd') }}
)

select
    {{ edc_common_columns() }},
    {{ edc_date('DTHDAT', 'DTH') }},
    DTHCAUS,
    {{ edc_lineage_columns() }}
from source
