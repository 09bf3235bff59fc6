-- Name:  ADTTE
-- Label: Time-to-Event Analysis Dataset
-- Input: adsl (STUDYID, TRT01P as TRTP: admiral derive_vars_merged), int_adtte__source_dates,
--        seeds tte_parameters and tte_sources
-- One row per subject and parameter (seeds/adam_rules.csv): PFS, TTP, OS (FAS), DOR
-- (confirmed PR-or-better responders in RE, from the first confirmed response), TTRPR,
-- TTRVGPR (responders at that level; every row an event).
-- admiral derive_param_tte, rules as data: for each parameter (tte_parameters: population,
-- start source) the candidate dates of its sources (tte_sources) on or after STARTDT are
-- taken; the EARLIEST event date wins (CNSR 0); with no event, the LATEST censoring date
-- (CNSR = the source's positive reason code). Ties: lower PRIORITY first.
-- AVAL = ADT - STARTDT + 1 (days); months = AVAL / 30.4375 (analysis layer).
with parameters as (
    select
        PARAMCD,
        PARAMN,
        PARAM,
        POPULATION,
        STARTSRC
    from {{ ref('tte_parameters') }}
),

source_dates as (
    select
        USUBJID,
        SOURCE,
        ADT,
        SRCSEQ
    from {{ ref('int_adtte__source_dates') }}
),

population as (
    select
        parameters.PARAMCD,
        parameters.PARAMN,
        parameters.PARAM,
        pop.USUBJID,
        start_.ADT as STARTDT
    from parameters
    inner join source_dates as pop
        on pop.SOURCE = parameters.POPULATION
    inner join source_dates as start_
        on start_.SOURCE = parameters.STARTSRC
            and start_.USUBJID = pop.USUBJID
),

candidates as (
    select
        population.PARAMCD,
        population.USUBJID,
        population.STARTDT,
        src.ROLE,
        src.CNSR,
        src.PRIORITY,
        src.EVNTDESC,
        src.CNSDTDSC,
        src.SRCDOM,
        src.SRCVAR,
        dates.ADT,
        dates.SRCSEQ,
        row_number() over (
            partition by population.PARAMCD, population.USUBJID
            order by
                case when src.ROLE = 'EVENT' then 0 else 1 end,
                case when src.ROLE = 'EVENT' then dates.ADT end asc,
                case when src.ROLE = 'CENSOR' then dates.ADT end desc,
                src.PRIORITY,
                src.SOURCE asc
        ) as _RANK
    from population
    inner join {{ ref('tte_sources') }} as src
        on src.PARAMCD = population.PARAMCD
    inner join source_dates as dates
        on dates.SOURCE = src.SOURCE
            and dates.USUBJID = population.USUBJID
            and dates.ADT >= population.STARTDT
)

select
    adsl.STUDYID,
    population.USUBJID,
    adsl.TRT01P as TRTP,
    population.PARAMCD,
    population.PARAM,
    population.PARAMN,
    population.STARTDT,
    chosen.ADT,
    cast(chosen.ADT - population.STARTDT + 1 as integer) as AVAL,
    chosen.CNSR,
    chosen.EVNTDESC,
    chosen.CNSDTDSC,
    chosen.SRCDOM,
    chosen.SRCVAR,
    chosen.SRCSEQ
from population
inner join {{ ref('adsl') }} as adsl
    on population.USUBJID = adsl.USUBJID
left join candidates as chosen
    on chosen.PARAMCD = population.PARAMCD
        and chosen.USUBJID = population.USUBJID
        and chosen._RANK = 1
