-- int_response__investigator_pd
-- Investigator-reported progression for a NON-laboratory reason (rs: RSORRES = PD with
-- RSPDRSN new bone lesion, plasmacytoma, hypercalcaemia or other), after TRTSDT.
-- docs/derivations.md#investigator-pd-for-a-non-laboratory-reason: such a PD is a PD criterion of its own, dated at RSDAT, and needs no
-- confirmation; a PD the investigator bases on the laboratory is left to the central labs.
-- One row per rs record. Inputs: int_rs__current, int_adsl__trtsdt_trtedt.
with rs_sequenced as (
    -- RSSEQ: the record's number among the subject's current rs records in RECID order
    select
        *,
        row_number() over (partition by USUBJID order by RECID) as RSSEQ
    from {{ ref('int_rs__current') }}
)

select
    rs.USUBJID,
    rs.VISIT,
    rs.RSDT,
    rs.RSPDRSN,
    rs.RECID,
    rs.RSSEQ,
    rs.SOURCE_FILE,
    rs.SOURCE_ROW
from rs_sequenced as rs
inner join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
    on rs.USUBJID = trt.USUBJID
where rs.RSORRES = 'PD'
    and rs.RSPDRSN is not null
    and rs.RSPDRSN <> 'LABORATORY'
    and rs.RSDT > trt.TRTSDT
