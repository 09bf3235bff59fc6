-- Central laboratory results: typed; result texts parsed (spec section 4, lb):
--   LBSTRESC  the result text (trimmed)
--   LBSTRESN  number: a plain number; 'NOT DETECTED' -> 0; '<x' -> x
--   LBBLQFL   'Y' for '<x' (below the limit of quantification x)
--   LBNDFL    'Y' for 'NOT DETECTED'
with source as (
    select * from {{ ref('base_edc__lb') }}
),

parsed as (
    select
        *,
        trim(LBORRES) as _RES
    from source
)

select
    {{ edc_common_columns() }},
    VISIT,
    {{ edc_date('LBDAT', 'LB') }},
    LBTESTCD,
    LBORRES,
    LBORRESU,
    _RES as LBSTRESC,
    case
        when upper(_RES) = 'NOT DETECTED' then 0.0
        when starts_with(_RES, '<') then try_cast(trim(substr(_RES, 2)) as double)
        else try_cast(_RES as double)
    end as LBSTRESN,
    case when starts_with(_RES, '<') and try_cast(trim(substr(_RES, 2)) as double) is not null then 'Y' end as LBBLQFL,
    case when upper(_RES) = 'NOT DETECTED' then 'Y' end as LBNDFL,
    try_cast(LBNRLO as double) as LBNRLO,
    try_cast(LBNRHI as double) as LBNRHI,
    {{ edc_lineage_columns() }}
from parsed
