-- int_response__confirmed
-- Response after confirmation, per assessment (adrs PARAMCD CNFRESP).
-- docs/derivations.md#confirmation:
--   * A response (PR or better) counts only when the NEXT assessment shows a response too;
--     it is confirmed at the lower of the two categories (VGPR then PR confirms PR), dated
--     at the first. Unconfirmed (next is MR/SD/PD/NE, or no next assessment) -> SD.
--   * A laboratory PD counts only when the next assessment is PD as well (dated at the
--     first); unconfirmed -> SD (with no later assessment it is not an event).
--   * An investigator PD for a non-laboratory reason needs no confirmation (dated at RSDAT).
--   * MR, SD and NE stand as they are (the confirmation rule names responses and PD).
--   * Marrow results need no confirmation: the applicable marrow already carries over to
--     the next assessment (int_response__marrow_applied).
-- One row per assessment. Inputs: int_response__assessments, response_categories.
with categorised as (
    select
        a.USUBJID,
        a.ASMSEQ,
        a.VISIT,
        a.ADT,
        a.ADY,
        a.AVALC,
        a.AVAL,
        a.PDSRC,
        a.PDDT,
        -- RESPFL = Y: a response (PR or better), the categories that need confirmation
        coalesce(cat.RESPFL = 'Y', false) as _RESPONSE
    from {{ ref('int_response__assessments') }} as a
    left join {{ ref('response_categories') }} as cat
        on a.AVALC = cat.AVALC
),

sequenced as (
    select
        *,
        lead(ASMSEQ) over subject as NEXT_ASMSEQ,
        lead(AVALC) over subject as NEXT_AVALC,
        lead(AVAL) over subject as NEXT_AVAL,
        lead(_RESPONSE) over subject as _NEXT_RESPONSE
    from categorised
    window subject as (partition by USUBJID order by ASMSEQ)
),

confirmed as (
    select
        sequenced.*,
        case
            when _RESPONSE
                then
                    case when _NEXT_RESPONSE then greatest(AVAL, NEXT_AVAL) end
            when AVALC = 'PD' and PDSRC = 'INVESTIGATOR' then AVAL
            when AVALC = 'PD'
                then
                    case when NEXT_AVALC = 'PD' then AVAL end
            else AVAL
        end as _CNF_AVAL,
        case
            when _RESPONSE
                then
                    case when _NEXT_RESPONSE then 'CONFIRMED' else 'UNCONFIRMED' end
            when AVALC = 'PD' and PDSRC = 'INVESTIGATOR' then 'NOT REQUIRED'
            when AVALC = 'PD'
                then
                    case when NEXT_AVALC = 'PD' then 'CONFIRMED' else 'UNCONFIRMED' end
            else 'NOT REQUIRED'
        end as CNFSTAT
    from sequenced
)

select
    confirmed.USUBJID,
    confirmed.ASMSEQ,
    confirmed.VISIT,
    confirmed.ADT,
    confirmed.ADY,
    confirmed.AVALC as OVRLRESP,
    confirmed.NEXT_ASMSEQ,
    confirmed.NEXT_AVALC,
    confirmed.CNFSTAT,
    case when confirmed.CNFSTAT = 'CONFIRMED' then confirmed.NEXT_ASMSEQ end as CNFASMSEQ,
    cat.AVALC,
    cat.AVAL,
    -- date of a confirmed PD: the first PD assessment's date (RSDAT for an investigator PD)
    case when cat.AVALC = 'PD' then confirmed.PDDT end as PDDT,
    confirmed.PDSRC
from confirmed
left join {{ ref('response_categories') }} as cat
    on cat.AVAL = coalesce(
            confirmed._CNF_AVAL,
            (
                select AVAL from {{ ref('response_categories') }}
                where AVALC = 'SD'
            )
        )
