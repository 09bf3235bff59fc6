-- int_response__unscheduled_windowed
-- The study rule for UNSCHEDULED visits: their central M-protein/FLC results (SPEP, UPEP,
-- SIFE, UIFE, KAPPA, LAMBDA with a usable result, macro response_lab_result) are grouped
-- into assessments by 3-day windows, not by exact date. Per subject, a window starts at the
-- earliest UNSCHEDULED LBDAT not yet in a window and takes every UNSCHEDULED result dated
-- within 3 days after it: LBDAT - WINDOW_START <= 3 days, day 3 included. The next window
-- starts at the first LBDAT after that. A 24-hour urine dated a day before or after its serum
-- sample thus stays in the serum's assessment instead of becoming a urine-only assessment.
-- The walk is greedy and sequential: results on days 0, 2 and 4 give the windows {0, 2}
-- and {4} (day 4 is 4 days after the window's start, even though it is 2 after day 2).
--
-- Derivation (the same walk, in SQL): for every UNSCHEDULED date d, NEXT_START(d) = the
-- first date after d + 3. The first window starts at the subject's earliest date; a
-- recursive CTE follows NEXT_START from each window start to the next. Every date before
-- WINDOW_START(k+1) is at most 3 days after WINDOW_START(k), so each date belongs to the
-- window with the latest start on or before it.
--
-- All of a subject's UNSCHEDULED results take part, as for scheduled visits (a window is
-- an assessment; int_response__assessments_grouped dates it at its earliest LBDAT, which
-- is WINDOW_START, and keeps it when that is after TRTSDT).
-- One row per subject and UNSCHEDULED result date: USUBJID, LBDT, WINDOW_START,
-- WINDOW_END (= WINDOW_START + 3, the last day of the window; an UNSCHEDULED investigator
-- PD dated within it joins the window's assessment). Input: int_lb__current.
{% set window_days = 3 %}
with unscheduled_dates as (
    select distinct
        lb.USUBJID,
        lb.LBDT
    from {{ ref('int_lb__current') }} as lb
    where lb.VISIT = 'UNSCHEDULED'
        and {{ response_lab_result('lb') }}
),

-- where the walk goes from a window starting at LBDT: the first date more than 3 days later
next_start as (
    select
        d.USUBJID,
        d.LBDT,
        min(later.LBDT) as NEXT_START
    from unscheduled_dates as d
    left join unscheduled_dates as later
        on later.USUBJID = d.USUBJID
            and later.LBDT > d.LBDT + {{ window_days }}
    group by d.USUBJID, d.LBDT
),

window_starts as (
    select
        USUBJID,
        WINDOW_START
    from (
        with recursive walk as (
            select
                USUBJID,
                min(LBDT) as WINDOW_START
            from unscheduled_dates
            group by USUBJID
            union all
            select
                next_start.USUBJID,
                next_start.NEXT_START
            from walk
            inner join next_start
                on next_start.USUBJID = walk.USUBJID
                    and next_start.LBDT = walk.WINDOW_START
            where next_start.NEXT_START is not null
        )

        select
            USUBJID,
            WINDOW_START
        from walk
    ) as walked
)

select
    d.USUBJID,
    d.LBDT,
    max(w.WINDOW_START) as WINDOW_START,
    max(w.WINDOW_START) + {{ window_days }} as WINDOW_END
from unscheduled_dates as d
inner join window_starts as w
    on w.USUBJID = d.USUBJID
        and w.WINDOW_START <= d.LBDT
group by d.USUBJID, d.LBDT
