-- review_best_response_change
-- One waterfall bar per subject with a response parameter and at least one post-baseline
-- value (review_response_change with PCHG not null), docs/derivations.md#review-waterfall:
--   BESTPCHG  the minimum PCHG over the subject's post-baseline assessments (the largest
--             reduction; an increase when every value rose)
--   BESTADY   study day of the first assessment reaching that minimum
--   NPOST     number of post-baseline values
-- With the subject's BOR, SITEID and CYTORISK (review_swimmer).
-- Inputs: review_response_change, review_swimmer.
with best as (
    select
        USUBJID,
        min(PCHG) as BESTPCHG,
        arg_min(ADY, [PCHG, ADY]) as BESTADY,
        count(*) as NPOST,
        any_value(PARAMCD) as PARAMCD,
        any_value(PARAM) as PARAM
    from {{ ref('review_response_change') }}
    where PCHG is not null
    group by USUBJID
)

select
    best.USUBJID,
    s.SITEID,
    s.CYTORISK,
    s.BOR,
    s.BORN,
    best.PARAMCD,
    best.PARAM,
    best.BESTPCHG,
    best.BESTADY,
    cast(best.NPOST as integer) as NPOST
from best
inner join {{ ref('review_swimmer') }} as s
    on best.USUBJID = s.USUBJID
order by best.USUBJID
