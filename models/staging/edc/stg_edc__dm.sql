-- Demographics and enrolment: every row of every transfer, typed; lineage kept.
with source as (
    select * from {{ ref('base_edc__dm') }}
)

select
    {{ edc_common_columns() }},
    {{ edc_date('ICDAT', 'IC') }},
    {{ edc_date('ENRLDAT', 'ENRL') }},
    try_cast(AGE as integer) as AGE,
    SEX,
    RACE,
    {{ edc_lineage_columns() }}
from source
