-- Dose intensity per subject and study drug
-- (docs/derivations.md#total-dose-planned-dose-and-relative-dose-intensity-rdi):
--   TOTDOSE   total dose taken, mg (sum of EXDOSE)
--   PLANDOSE  protocol starting dose planned over ALL the subject's treatment cycles (also
--             cycles after the drug was stopped): cycles x DOSES_PER_CYCLE x starting dose;
--             lenalidomide starting dose LENSTDOS (25, or 10 when baseline CrCl < 60)
--   RDI       100 x TOTDOSE / PLANDOSE, %, unrounded
-- One row per treated subject and drug of seed protocol_doses (a drug never taken: TOTDOSE 0).
-- Inputs: int_ex__current, int_adex__treatment_cycles, int_adsl__lenstdos, protocol_doses.
with cycles as (
    select
        USUBJID,
        count(*) as N_CYCLES
    from {{ ref('int_adex__treatment_cycles') }}
    group by USUBJID
),

taken as (
    -- summed exactly (DECIMAL, doses to 1e-10 mg): a DOUBLE sum depends on the order in which
    -- DuckDB's threads combine their partial sums, which differs between runs
    select
        USUBJID,
        EXTRT,
        cast(sum(cast(EXDOSE as decimal(38, 10))) as double) as TOTDOSE
    from {{ ref('int_ex__current') }}
    where EXDOSE is not null
    group by USUBJID, EXTRT
),

planned as (
    select
        cycles.USUBJID,
        doses.EXTRT,
        cycles.N_CYCLES * doses.DOSES_PER_CYCLE
        * case
            when doses.EXTRT = 'LENALIDOMIDE' then lenstdos.LENSTDOS
            else doses.START_DOSE_MG
        end as PLANDOSE
    from cycles
    cross join {{ ref('protocol_doses') }} as doses
    left join {{ ref('int_adsl__lenstdos') }} as lenstdos
        on cycles.USUBJID = lenstdos.USUBJID
)

select
    planned.USUBJID,
    planned.EXTRT,
    coalesce(taken.TOTDOSE, 0) as TOTDOSE,
    planned.PLANDOSE,
    100 * coalesce(taken.TOTDOSE, 0) / nullif(planned.PLANDOSE, 0) as RDI
from planned
left join taken
    on planned.USUBJID = taken.USUBJID
        and planned.EXTRT = taken.EXTRT
