-- LENSTDOS: lenalidomide starting dose, mg: the renal starting dose (10 mg) when the
-- baseline creatinine clearance (unrounded) is < 60 mL/min, else the protocol starting dose
-- (25 mg); NULL when CRCLBL is unknown. Doses: seed protocol_doses.
-- Inputs: int_adsl__crclbl, protocol_doses. One row per subject.
with lenalidomide as (
    select
        START_DOSE_MG,
        RENAL_START_DOSE_MG
    from {{ ref('protocol_doses') }}
    where EXTRT = 'LENALIDOMIDE'
)

select
    crcl.USUBJID,
    case
        when crcl.CRCLBL is null then null
        when crcl.CRCLBL < 60 then lenalidomide.RENAL_START_DOSE_MG
        else lenalidomide.START_DOSE_MG
    end as LENSTDOS
from {{ ref('int_adsl__crclbl') }} as crcl
cross join lenalidomide
