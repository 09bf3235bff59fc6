-- int_adtte__source_dates
-- The candidate dates the time-to-event parameters are chosen from, one row per subject
-- and SOURCE (admiral's event_source / censor_source datasets). Which parameter uses which
-- source, as event or censoring and with which CNSR, is data: seeds tte_sources and
-- tte_parameters. docs/derivations.md#how-an-event-or-censoring-date-is-chosen:
--   TRTSDT          treatment start (start of PFS/TTP/OS/TTR; censoring when no assessment)
--   FAS             population marker: FASFL = 'Y' (date = TRTSDT)
--   PD              first confirmed PD (adrs PDCNF) not after subsequent anticancer therapy
--   DEATH           death from any cause not after subsequent anticancer therapy
--   DEATH_PD        death due to progressive disease not after subsequent therapy
--   DEATH_ANY       any death (OS counts every death, subsequent therapy or not)
--   LAST_ALIVE      last date known alive (adsl LSTALVDT)
--   LAST_ASSESSMENT the last response assessment (adrs OVRLRESP), whatever it showed,
--                   for subjects without subsequent therapy
--   LAST_ASSESSMENT_BEFORE_SUBSEQUENT  the last assessment on or before SUBSQDT, for
--                   subjects with subsequent therapy
--   RESPONSE_PR / RESPONSE_VGPR  first confirmed response at that level among the
--                   assessments eligible for BOR (adrs CNFRESP, ANL01FL = 'Y'), for
--                   response-evaluable subjects whose BOR reaches the level
-- "After subsequent therapy" = dated after SUBSQDT (a date on SUBSQDT counts as before).
-- SRCSEQ: ASEQ of the ADRS row the date comes from (null for ADSL dates).
-- Inputs: adsl, adrs, response_categories.
with adsl as (
    select
        USUBJID,
        FASFL,
        TRTSDT,
        DTHDT,
        DTHCAUS,
        LSTALVDT,
        SUBSQDT
    from {{ ref('adsl') }}
),

adrs as (
    select
        USUBJID,
        ASEQ,
        PARAMCD,
        ADT,
        AVAL,
        ANL01FL
    from {{ ref('adrs') }}
),

response_levels as (
    -- the level of each response source: its worst qualifying AVAL
    select
        'RESPONSE_PR' as SOURCE,
        AVAL as MAX_AVAL
    from {{ ref('response_categories') }}
    where AVALC = 'PR'
    union all
    select
        'RESPONSE_VGPR',
        AVAL
    from {{ ref('response_categories') }}
    where AVALC = 'VGPR'
),

last_assessment as (
    select
        adrs.USUBJID,
        adrs.ADT,
        adrs.ASEQ,
        adsl.SUBSQDT,
        row_number() over (partition by adrs.USUBJID order by adrs.ADT desc, adrs.ASEQ desc) as _RANK
    from adrs
    inner join adsl on adrs.USUBJID = adsl.USUBJID
    where adrs.PARAMCD = 'OVRLRESP'
        and (adsl.SUBSQDT is null or adrs.ADT <= adsl.SUBSQDT)
),

first_response as (
    select
        cnf.USUBJID,
        levels.SOURCE,
        cnf.ADT,
        cnf.ASEQ,
        row_number() over (partition by cnf.USUBJID, levels.SOURCE order by cnf.ADT, cnf.ASEQ) as _RANK
    from adrs as cnf
    inner join adrs as bor
        on cnf.USUBJID = bor.USUBJID
            and bor.PARAMCD = 'BOR'
    inner join response_levels as levels
        on cnf.AVAL <= levels.MAX_AVAL
            and bor.AVAL <= levels.MAX_AVAL
    where cnf.PARAMCD = 'CNFRESP'
        and cnf.ANL01FL = 'Y'
)

select
    USUBJID,
    'TRTSDT' as SOURCE,
    TRTSDT as ADT,
    cast(null as bigint) as SRCSEQ
from adsl
where TRTSDT is not null

union all
select
    USUBJID,
    'FAS',
    TRTSDT,
    null
from adsl
where FASFL = 'Y' and TRTSDT is not null

union all
select
    adrs.USUBJID,
    'PD',
    adrs.ADT,
    adrs.ASEQ
from adrs
inner join adsl on adrs.USUBJID = adsl.USUBJID
where adrs.PARAMCD = 'PDCNF'
    and (adsl.SUBSQDT is null or adrs.ADT <= adsl.SUBSQDT)

union all
select
    USUBJID,
    'DEATH',
    DTHDT,
    null
from adsl
where DTHDT is not null and (SUBSQDT is null or DTHDT <= SUBSQDT)

union all
select
    USUBJID,
    'DEATH_PD',
    DTHDT,
    null
from adsl
where DTHDT is not null and DTHCAUS = 'PROGRESSIVE DISEASE'
    and (SUBSQDT is null or DTHDT <= SUBSQDT)

union all
select
    USUBJID,
    'DEATH_ANY',
    DTHDT,
    null
from adsl
where DTHDT is not null

union all
select
    USUBJID,
    'LAST_ALIVE',
    LSTALVDT,
    null
from adsl
where LSTALVDT is not null

union all
select
    USUBJID,
    case when SUBSQDT is null then 'LAST_ASSESSMENT' else 'LAST_ASSESSMENT_BEFORE_SUBSEQUENT' end,
    ADT,
    ASEQ
from last_assessment
where _RANK = 1

union all
select
    USUBJID,
    SOURCE,
    ADT,
    ASEQ
from first_response
where _RANK = 1
