-- Death (dd form, up to the data cutoff):
--   DTHFL    'Y' when the subject has a death record, else 'N'
--   DTHDT    death date; DTHCAUS cause
--   ONSTDTFL on-study death (docs/derivations.md#death-and-on-study-death-dthfl-dthdt-dthcaus-onstdtfl):
--            'Y' when death is within 30 days after the last
--            dose (DTHDT <= TRTEDT + 30), else 'N'
-- Inputs: int_dm__current, int_dd__current, int_adsl__trtsdt_trtedt. One row per subject.
with deaths as (
    select
        USUBJID,
        DTHDT,
        DTHCAUS,
        row_number() over (partition by USUBJID order by DTHDT nulls last, RECID) as _RANK
    from {{ ref('int_dd__current') }}
)

select
    dm.USUBJID,
    case when deaths.USUBJID is not null then 'Y' else 'N' end as DTHFL,
    deaths.DTHDT,
    deaths.DTHCAUS,
    case when deaths.DTHDT <= trt.TRTEDT + 30 then 'Y' else 'N' end as ONSTDTFL
from {{ ref('int_dm__current') }} as dm
left join deaths
    on dm.USUBJID = deaths.USUBJID
        and deaths._RANK = 1
left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
    on dm.USUBJID = trt.USUBJID
