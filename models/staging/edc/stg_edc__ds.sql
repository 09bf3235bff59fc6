-- Disposition (end of treatment / end of study): typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__ds') }}
)

select
    {{ edc_common_columns() }},
    DSCAT,
    {{ edc_date('DSSTDAT', 'DSST') }},
    DSDECOD,
    {{ edc_lineage_columns() }}
from source
