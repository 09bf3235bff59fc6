-- Name:  ADEX
-- Label: Exposure Analysis Dataset (one row per treated subject and parameter)
-- Input: int_adex__treatment_cycles, int_adex__dose_intensity, adsl (STUDYID, TRT01A as
--        TRTA: admiral derive_vars_merged)
-- Parameters (seeds/adam_spec/adam_variables.csv, seeds/adam_rules.csv):
--   CYCLES    number of treatment cycles (EXTRT NULL)
--   TOTDOSE   total dose taken, mg, per drug
--   PLANDOSE  protocol starting dose over the subject's treatment cycles, mg, per drug
--   RDI       relative dose intensity, %, per drug, unrounded
with cycles as (
    select
        USUBJID,
        'CYCLES' as PARAMCD,
        'Number of treatment cycles' as PARAM,
        cast(null as varchar) as EXTRT,
        cast(count(*) as double) as AVAL,
        0 as PARAMN
    from {{ ref('int_adex__treatment_cycles') }}
    group by USUBJID
),

per_drug as (
    select * from {{ ref('int_adex__dose_intensity') }}
),

parameters as (
    select * from cycles
    union all
    select
        USUBJID,
        'TOTDOSE',
        'Total dose taken (mg)',
        EXTRT,
        TOTDOSE,
        1
    from per_drug
    union all
    select
        USUBJID,
        'PLANDOSE',
        'Planned starting dose over treatment cycles (mg)',
        EXTRT,
        PLANDOSE,
        2
    from per_drug
    union all
    select
        USUBJID,
        'RDI',
        'Relative dose intensity (%)',
        EXTRT,
        RDI,
        3
    from per_drug
)

select
    adsl.STUDYID,
    parameters.USUBJID,
    adsl.TRT01A as TRTA,
    parameters.PARAMCD,
    parameters.PARAM,
    parameters.EXTRT,
    parameters.AVAL,
    parameters.PARAMN
from parameters
left join {{ ref('adsl') }} as adsl
    on parameters.USUBJID = adsl.USUBJID
