-- ADSL has exactly one row per subject of the current dm records, and no other subjects.
with dm as (
    select
        USUBJID,
        count(*) as N_DM
    from {{ ref('int_dm__current') }}
    group by USUBJID
),

adsl as (
    select
        USUBJID,
        count(*) as N_ADSL
    from {{ ref('adsl') }}
    group by USUBJID
)

select
    coalesce(dm.USUBJID, adsl.USUBJID) as USUBJID,
    dm.N_DM,
    adsl.N_ADSL
from dm
full outer join adsl on dm.USUBJID = adsl.USUBJID
where dm.N_DM is null or adsl.N_ADSL is null or adsl.N_ADSL <> 1
