-- int_response__bor_eligible
-- Which confirmed responses the best overall response is taken from
-- (docs/derivations.md#best-overall-response-bor: "the best
-- confirmed response before confirmed PD and before the start of subsequent anticancer
-- therapy"): the assessments up to and including the first confirmed PD (ASMSEQ order)
-- dated on or before SUBSQDT (an assessment on the day the new therapy starts is taken
-- as done before it; only later ones are "after").
-- BORELGFL = 'Y' / null per assessment (adrs CNFRESP ANL01FL).
-- One row per assessment. Inputs: int_response__confirmed, int_response__pd_confirmed, adsl.
select
    c.USUBJID,
    c.ASMSEQ,
    c.ADT,
    c.AVALC,
    c.AVAL,
    pd.PDDT,
    adsl.SUBSQDT,
    case
        when (pd.ASMSEQ is null or c.ASMSEQ <= pd.ASMSEQ)
            and (adsl.SUBSQDT is null or coalesce(c.PDDT, c.ADT) <= adsl.SUBSQDT)
            then 'Y'
    end as BORELGFL
from {{ ref('int_response__confirmed') }} as c
left join {{ ref('int_response__pd_confirmed') }} as pd
    on c.USUBJID = pd.USUBJID
left join {{ ref('adsl') }} as adsl
    on c.USUBJID = adsl.USUBJID
