-- Current state of the ae records: highest RECVER in the site's latest transfer, DELETED
-- records dropped (macro edc_current).
-- Cutoff: an AE is dropped when its start, at its own precision, is after the data cutoff
-- (the earliest date the partial start can mean: 2019-10 is kept for a 2019-10-18 cutoff).
-- An AE that started on/before the cutoff but ended after it is ongoing at the cutoff:
-- its end date is removed (AEENDTC/AEENDT/parts NULL), AEONGO = 'Y', and a resolved or fatal
-- outcome becomes 'NOT RECOVERED/NOT RESOLVED'; AECUTFL = 'Y' marks such records.
with current_records as (
    {{ edc_current('ae', cutoff_date='make_date(AESTDT_Y, coalesce(AESTDT_M, 1), coalesce(AESTDT_D, 1))') }}
),

end_bounds as (
    select
        *,
        -- earliest date the (partial) end can mean
        make_date(AEENDT_Y, coalesce(AEENDT_M, 1), coalesce(AEENDT_D, 1)) as _END_LOWER
    from current_records
)

select
    * exclude (_END_LOWER) replace (
        case when _END_LOWER > {{ data_cutoff() }} then null else AEENDTC end as AEENDTC,
        case when _END_LOWER > {{ data_cutoff() }} then null else AEENDT end as AEENDT,
        case when _END_LOWER > {{ data_cutoff() }} then null else AEENDT_Y end as AEENDT_Y,
        case when _END_LOWER > {{ data_cutoff() }} then null else AEENDT_M end as AEENDT_M,
        case when _END_LOWER > {{ data_cutoff() }} then null else AEENDT_D end as AEENDT_D,
        case when _END_LOWER > {{ data_cutoff() }} then null else AEENDT_PREC end as AEENDT_PREC,
        case when _END_LOWER > {{ data_cutoff() }} then 'Y' else AEONGO end as AEONGO,
        case
            when _END_LOWER > {{ data_cutoff() }} then 'NOT RECOVERED/NOT RESOLVED'
            else AEOUT
        end as AEOUT
    ),
    case when _END_LOWER > {{ data_cutoff() }} then 'Y' end as AECUTFL
from end_bounds
