-- Myeloma history: every row of every transfer, typed; DIAGDAT is a partial date.
with source as (
    select * from {{ ref('base_edc__mh') }}
)

select
    {{ edc_common_columns() }},
    {{ edc_partial_date('DIAGDAT', 'DIAG') }},
    MMTYPE,
    LCTYPE,
    {{ edc_lineage_columns() }}
from source
