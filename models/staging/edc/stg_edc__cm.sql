-- Subsequent anticancer therapy: typed; lineage kept.
with source as (
    {{ edc_with_lineage(source('edc', 'cm')) }}
)

select
    {{ edc_common_columns() }},
    CMTRT,
    {{ edc_date('CMSTDAT', 'CMST') }},
    {{ edc_lineage_columns() }}
from source
