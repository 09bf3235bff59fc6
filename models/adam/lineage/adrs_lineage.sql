-- Lineage of adam.adrs, one row per adrs row (key USUBJID, ASEQ): where the raw LB/RS record
-- of an OVRLRESP/INVRESP row sits in the extracts - SOURCE_FILE, SOURCE_ROW (docs/DESIGN.md
-- "Lineage"); null for the derived parameters, which point at their ADRS row (SRCDOM, SRCSEQ).
-- A plain projection of int_adrs__assembled, the one derivation adam.adrs is projected from too.
select
    USUBJID,
    ASEQ,
    SOURCE_FILE,
    SOURCE_ROW
from {{ ref('int_adrs__assembled') }}
