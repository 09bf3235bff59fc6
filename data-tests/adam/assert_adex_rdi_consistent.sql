-- ADEX: RDI = 100 x TOTDOSE / PLANDOSE per subject and drug; CYCLES matches the number of
-- treatment cycles; every SAFFL subject has a CYCLES row and vice versa.
with wide as (
    select
        USUBJID,
        EXTRT,
        max(case when PARAMCD = 'TOTDOSE' then AVAL end) as TOTDOSE,
        max(case when PARAMCD = 'PLANDOSE' then AVAL end) as PLANDOSE,
        max(case when PARAMCD = 'RDI' then AVAL end) as RDI
    from {{ ref('adex') }}
    where EXTRT is not null
    group by USUBJID, EXTRT
)

select
    USUBJID,
    EXTRT,
    'RDI' as CHECK_NAME
from wide
where abs(RDI - 100 * TOTDOSE / PLANDOSE) > 1e-9

union all

select
    coalesce(adsl.USUBJID, cyc.USUBJID),
    null,
    'CYCLES row <-> SAFFL'
from (
    select USUBJID from {{ ref('adsl') }}
    where SAFFL = 'Y'
) as adsl
full outer join (
    select USUBJID from {{ ref('adex') }}
    where PARAMCD = 'CYCLES' and AVAL >= 1
) as cyc
    on adsl.USUBJID = cyc.USUBJID
where adsl.USUBJID is null or cyc.USUBJID is null
