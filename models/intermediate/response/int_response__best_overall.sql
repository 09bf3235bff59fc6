-- int_response__best_overall
-- Confirmed best overall response (adrs PARAMCD BOR): the best confirmed response
-- (lowest AVAL of response_categories) among the eligible assessments
-- (int_response__bor_eligible: up to the first confirmed PD, not after subsequent
-- therapy). Unconfirmed responses already count as SD (int_response__confirmed).
-- BORDT: the first assessment with that response. NE when no assessment is eligible.
-- One row per subject with at least one post-baseline assessment (adrs keeps the RE set).
-- Inputs: int_response__bor_eligible, response_categories.
with ranked as (
    select
        USUBJID,
        ASMSEQ,
        ADT,
        AVALC,
        AVAL,
        row_number() over (partition by USUBJID order by AVAL, ASMSEQ) as _RANK
    from {{ ref('int_response__bor_eligible') }}
    where BORELGFL = 'Y'
),

subjects as (
    select distinct USUBJID
    from {{ ref('int_response__bor_eligible') }}
),

not_evaluable as (
    select
        AVALC,
        AVAL
    from {{ ref('response_categories') }}
    where AVALC = 'NE'
)

select
    subjects.USUBJID,
    coalesce(ranked.AVALC, not_evaluable.AVALC) as BOR,
    coalesce(ranked.AVAL, not_evaluable.AVAL) as BORN,
    ranked.ADT as BORDT,
    ranked.ASMSEQ as BORASMSEQ
from subjects
cross join not_evaluable
left join ranked
    on subjects.USUBJID = ranked.USUBJID
        and ranked._RANK = 1
