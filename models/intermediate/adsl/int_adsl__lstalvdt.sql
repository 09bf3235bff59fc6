-- LSTALVDT: last date known alive = the latest complete date of any kind in the subject's
-- records up to the data cutoff (no missed-visit rule;
-- docs/derivations.md#last-date-known-alive-lstalvdt):
-- consent and enrolment, visits (vs, ecog, lb, rs, fish), doses taken (ex EXDOSE > 0),
-- AE starts and ends (complete dates only), survival contacts with FUSTAT = 'ALIVE',
-- disposition dates, subsequent-therapy starts. Death dates are not "alive" dates and are
-- not used. Every input is a current-state model, so nothing after the cutoff enters.
-- Inputs: int_dm/vs/ecog/lb/rs/fish/ex/ae/fu/ds/cm__current. One row per subject in dm.
with dates as (
    select
        USUBJID,
        ICDT as ADT,
        'DM.ICDAT' as SRC
    from {{ ref('int_dm__current') }}
    union all
    select
        USUBJID,
        ENRLDT,
        'DM.ENRLDAT'
    from {{ ref('int_dm__current') }}
    union all
    select
        USUBJID,
        VSDT,
        'VS.VSDAT'
    from {{ ref('int_vs__current') }}
    union all
    select
        USUBJID,
        QSDT,
        'ECOG.QSDAT'
    from {{ ref('int_ecog__current') }}
    union all
    select
        USUBJID,
        LBDT,
        'LB.LBDAT'
    from {{ ref('int_lb__current') }}
    union all
    select
        USUBJID,
        RSDT,
        'RS.RSDAT'
    from {{ ref('int_rs__current') }}
    union all
    select
        USUBJID,
        FISHDT,
        'FISH.FISHDAT'
    from {{ ref('int_fish__current') }}
    union all
    select
        USUBJID,
        EXSTDT,
        'EX.EXSTDAT'
    from {{ ref('int_ex__current') }}
    where EXDOSE > 0
    union all
    select
        USUBJID,
        AESTDT,
        'AE.AESTDAT'
    from {{ ref('int_ae__current') }}
    union all
    select
        USUBJID,
        AEENDT,
        'AE.AEENDAT'
    from {{ ref('int_ae__current') }}
    union all
    select
        USUBJID,
        FUDT,
        'FU.FUDAT'
    from {{ ref('int_fu__current') }}
    where FUSTAT = 'ALIVE'
    union all
    select
        USUBJID,
        DSSTDT,
        'DS.DSSTDAT'
    from {{ ref('int_ds__current') }}
    union all
    select
        USUBJID,
        CMSTDT,
        'CM.CMSTDAT'
    from {{ ref('int_cm__current') }}
),

latest as (
    select
        USUBJID,
        max(ADT) as LSTALVDT,
        arg_max(SRC, (ADT, SRC)) as LSTALSRC   -- ties on the date: the source named last, so every build picks the same
    from dates
    where ADT is not null
        and ADT <= {{ data_cutoff() }}
    group by USUBJID
)

select
    dm.USUBJID,
    latest.LSTALVDT,
    latest.LSTALSRC
from {{ ref('int_dm__current') }} as dm
left join latest
    on dm.USUBJID = latest.USUBJID
