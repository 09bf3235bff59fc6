-- Study drug administration (one record per planned administration): typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__ex') }}
)

select
    {{ edc_common_columns() }},
    EXTRT,
    try_cast(CYCLE as integer) as CYCLE,
    try_cast(CYDAY as integer) as CYDAY,
    {{ edc_date('EXSTDAT', 'EXST') }},
    try_cast(EXPDOSE as double) as EXPDOSE,
    try_cast(EXDOSE as double) as EXDOSE,
    EXADJ,
    {{ edc_lineage_columns() }}
from source
