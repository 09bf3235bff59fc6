-- Subsequent anticancer therapy: typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__cm') }}
)

select
    {{ edc_common_columns() }},
    CMTRT,
    {{ edc_date('CMSTDAT', 'CMST') }},
    {{ edc_lineage_columns() }}
from source
