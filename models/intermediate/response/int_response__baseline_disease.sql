-- int_response__baseline_disease
-- Baseline M-protein / free light chains and measurable disease, one row per treated subject.
--   Baseline   = the last non-missing result on or before TRTSDT, per test
--                (docs/derivations.md#baseline-disease-and-measurable-parameters).
--   Measurable = serum M-protein >= 1 g/dL, or urine M-protein >= 200 mg/24h, or - only when
--                neither - involved FLC (mh.LCTYPE) >= 10 mg/dL with an abnormal kappa/lambda
--                ratio (< 0.26 or > 1.65). Thresholds: seed imwg_thresholds.
-- Only the parameters measurable here count in every later response derivation.
-- Inputs: int_adsl__trtsdt_trtedt, int_lb__current, int_mh__current, imwg_thresholds.
-- Feeds adsl (MEASFL) - so it must never ref adsl.
with thresholds as (
    select
        max(case when THRESHOLD = 'MEAS_SPEP' then cast(VALUE as decimal(38, 6)) end) as MEAS_SPEP,
        max(case when THRESHOLD = 'MEAS_UPEP' then cast(VALUE as decimal(38, 6)) end) as MEAS_UPEP,
        max(case when THRESHOLD = 'MEAS_FLC_INVOLVED' then cast(VALUE as decimal(38, 6)) end) as MEAS_FLC_INVOLVED,
        max(case when THRESHOLD = 'FLC_RATIO_LOW' then cast(VALUE as decimal(38, 6)) end) as FLC_RATIO_LOW,
        max(case when THRESHOLD = 'FLC_RATIO_HIGH' then cast(VALUE as decimal(38, 6)) end) as FLC_RATIO_HIGH
    from {{ ref('imwg_thresholds') }}
),

treated as (
    select
        USUBJID,
        TRTSDT
    from {{ ref('int_adsl__trtsdt_trtedt') }}
),

light_chain as (
    select
        USUBJID,
        max(LCTYPE) as LCTYPE
    from {{ ref('int_mh__current') }}
    group by USUBJID
),

baseline_lab as (
    select
        USUBJID,
        LBTESTCD,
        LBDT,
        cast(LBSTRESN as decimal(38, 6)) as LBSTRESN,
        RECID
    from {{ ref('int_lb__current') }}
    where LBTESTCD in ('SPEP', 'UPEP', 'KAPPA', 'LAMBDA')
),

baseline_results as (
    {{ last_on_or_before('baseline_lab', 'treated', 'TRTSDT', partition_by='LBTESTCD',
                         date_column='LBDT', value_column='LBSTRESN') }}
),

baseline_values as (
    select
        USUBJID,
        max(case when LBTESTCD = 'SPEP' then LBSTRESN end) as SPEPBL,
        max(case when LBTESTCD = 'UPEP' then LBSTRESN end) as UPEPBL,
        max(case when LBTESTCD = 'KAPPA' then LBSTRESN end) as KAPPABL,
        max(case when LBTESTCD = 'LAMBDA' then LBSTRESN end) as LAMBDABL
    from baseline_results
    group by USUBJID
),

flc as (
    select
        treated.USUBJID,
        treated.TRTSDT,
        light_chain.LCTYPE,
        baseline_values.SPEPBL,
        baseline_values.UPEPBL,
        baseline_values.KAPPABL,
        baseline_values.LAMBDABL,
        case light_chain.LCTYPE
            when 'KAPPA' then baseline_values.KAPPABL
            when 'LAMBDA' then baseline_values.LAMBDABL
        end as FLCINVBL,
        case light_chain.LCTYPE
            when 'KAPPA' then baseline_values.LAMBDABL
            when 'LAMBDA' then baseline_values.KAPPABL
        end as FLCUNIBL
    from treated
    left join light_chain on treated.USUBJID = light_chain.USUBJID
    left join baseline_values on treated.USUBJID = baseline_values.USUBJID
),

measurability as (
    select
        flc.*,
        FLCINVBL - FLCUNIBL as DFLCBL,
        -- ratio compared as kappa against ratio x lambda: exact in decimals, no division
        coalesce(
            KAPPABL < t.FLC_RATIO_LOW * LAMBDABL or KAPPABL > t.FLC_RATIO_HIGH * LAMBDABL,
            false
        ) as _RATIO_ABNORMAL,
        coalesce(SPEPBL >= t.MEAS_SPEP, false) as _SERUM,
        coalesce(UPEPBL >= t.MEAS_UPEP, false) as _URINE,
        coalesce(FLCINVBL >= t.MEAS_FLC_INVOLVED, false) as _FLC_INVOLVED
    from flc
    cross join thresholds as t
)

select
    USUBJID,
    TRTSDT,
    LCTYPE,
    SPEPBL,
    UPEPBL,
    KAPPABL,
    LAMBDABL,
    FLCINVBL,
    FLCUNIBL,
    DFLCBL,
    cast(KAPPABL as double) / nullif(cast(LAMBDABL as double), 0) as FLCRATBL,
    case when _SERUM then 'Y' else 'N' end as SERMEASFL,
    case when _URINE then 'Y' else 'N' end as URNMEASFL,
    case when not _SERUM and not _URINE and _FLC_INVOLVED and _RATIO_ABNORMAL
            then 'Y'
        else 'N'
    end as FLCMEASFL,
    case
        when _SERUM and _URINE then 'SERUM AND URINE'
        when _SERUM then 'SERUM'
        when _URINE then 'URINE'
        when _FLC_INVOLVED and _RATIO_ABNORMAL then 'FLC'
        else 'NONE'
    end as MEASDIS,
    case when _SERUM or _URINE or (_FLC_INVOLVED and _RATIO_ABNORMAL) then 'Y' else 'N' end as MEASFL,
    case when _SERUM or _URINE or (_FLC_INVOLVED and _RATIO_ABNORMAL) then 'Y' else 'N' end as MEASURABLE_FL
from measurability
