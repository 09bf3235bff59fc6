-- Name:  ADRS
-- Label: Response Analysis Dataset (IMWG 2016, derived from central laboratory values)
-- Input: int_adrs__assembled (every derivation; docs/DESIGN.md "adam.adrs")
-- A plain projection: the ADaM columns of seeds/adam_spec/adam_variables.csv in VARNUM order.
-- The lineage of the raw LB/RS record (SOURCE_FILE, SOURCE_ROW) is lineage.adrs_lineage.
select
    STUDYID,
    USUBJID,
    ASEQ,
    TRTP,
    PARAMCD,
    PARAM,
    PARAMN,
    AVISIT,
    ADT,
    ADY,
    AVALC,
    AVAL,
    ANL01FL,
    SRCDOM,
    SRCVAR,
    SRCSEQ,
    RECID
from {{ ref('int_adrs__assembled') }}
