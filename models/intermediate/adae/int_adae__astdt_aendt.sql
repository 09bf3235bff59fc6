-- ASTDT / ASTDTF / AENDT / ASTDY / AESEQ of every current AE record.
--   ASTDT   analysis start date: AESTDAT, partial dates imputed (STUDY.md): missing day ->
--           1st of the month, missing month -> January; when the partial start lies in
--           TRTSDT's month (day missing) or TRTSDT's year (month missing) the imputed date is
--           never earlier than TRTSDT (so such an AE counts as treatment-emergent) - unless
--           the AE has a complete end date before TRTSDT (it cannot have started on/after it).
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

imputed as (
    select
        *,
        case
            when AESTDT_PREC in ('MONTH', 'YEAR')
                and TRTSDT is not null
                and AESTDT_Y = year(TRTSDT)
                and (AESTDT_PREC = 'YEAR' or AESTDT_M = month(TRTSDT))
                and (AEENDT is null or AEENDT >= TRTSDT)
            then greatest(_ASTDT_LOWER, TRTSDT)
            else _ASTDT_LOWER
        end as ASTDT
    from ae
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
