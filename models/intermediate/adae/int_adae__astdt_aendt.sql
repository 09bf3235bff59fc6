-- ASTDT / ASTDTF / AENDT / ASTDY / AESEQ of every current AE record.
--   ASTDT   analysis start date: AESTDAT, partial dates imputed in three steps:
--           1. missing day -> 1st of the month, missing month -> January (the earliest
--              possible date, _ASTDT_LOWER);
--           2. when the partial start lies in TRTSDT's month (day missing) or TRTSDT's year
--              (month missing), the imputed date is never earlier than TRTSDT (such an AE
--              counts as treatment-emergent: conservative);
--           3. an imputed start is never later than the AE's own complete end date AEENDT
--              (the end date is a maximum, as admiral's max_dates): an AE that ended before
--              TRTSDT cannot have started on or after it, so it is not treatment-emergent
--              whatever its partial start, and its ASTDT is the end date.
--           Steps 2 and 3 use AEENDT only when it is a possible start of the partial date (on
--           or after step 1's date). An end before the earliest possible start contradicts the
--           record: the start stays at step 1's date, not moved to TRTSDT nor to the end, and
--           the ADaM checks report it (AENDT not before ASTDT). A partial end date caps
--           nothing (AEENDT is NULL). Complete start dates are never changed.
--   ASTDTF  'D' (day imputed) or 'M' (month and day imputed); NULL for a complete date
--   AENDT   analysis end date: complete end dates only (end dates are not imputed)
--   ASTDY   study day of ASTDT: ASTDT - TRTSDT + 1 on/after TRTSDT, ASTDT - TRTSDT before
--   AESEQ   sequence within subject (by AESPID, then record id)
-- Inputs: int_ae__current, int_adsl__trtsdt_trtedt. One row per AE record.
with ae as (
    select
        ae.USUBJID,
        ae.SITE_FOLDER,
        ae.RECID,
        ae.AESPID,
        ae.AESTDT_Y,
        ae.AESTDT_M,
        ae.AESTDT_D,
        ae.AESTDT_PREC,
        ae.AEENDT,
        trt.TRTSDT,
        {{ impute_partial_date('ae.AESTDT_Y', 'ae.AESTDT_M', 'ae.AESTDT_D') }} as _ASTDT_LOWER
    from {{ ref('int_ae__current') }} as ae
    left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
        on ae.USUBJID = trt.USUBJID
),

-- step 2: not before TRTSDT when TRTSDT is a possible start of the partial date (and the
-- complete end date, if any, does not contradict the partial start)
floored as (
    select
        *,
        case
            when AESTDT_PREC in ('MONTH', 'YEAR')
                and TRTSDT is not null
                and AESTDT_Y = year(TRTSDT)
                and (AESTDT_PREC = 'YEAR' or AESTDT_M = month(TRTSDT))
                and (AEENDT is null or AEENDT >= _ASTDT_LOWER)
                then greatest(_ASTDT_LOWER, TRTSDT)
            else _ASTDT_LOWER
        end as _ASTDT_FLOORED
    from ae
),

-- step 3: not after the AE's complete end date when that is a possible start
imputed as (
    select
        *,
        case
            when AESTDT_PREC in ('MONTH', 'YEAR')
                and AEENDT is not null
                and AEENDT >= _ASTDT_LOWER
                then least(_ASTDT_FLOORED, AEENDT)
            else _ASTDT_FLOORED
        end as ASTDT
    from floored
)

select
    USUBJID,
    SITE_FOLDER,
    RECID,
    cast(row_number() over (partition by USUBJID order by AESPID nulls last, SITE_FOLDER, RECID) as integer) as AESEQ,
    ASTDT,
    {{ impute_partial_date_flag('AESTDT_Y', 'AESTDT_M', 'AESTDT_D') }} as ASTDTF,
    AEENDT as AENDT,
    case
        when ASTDT >= TRTSDT then cast(ASTDT - TRTSDT + 1 as integer)
        else cast(ASTDT - TRTSDT as integer)
    end as ASTDY
from imputed
