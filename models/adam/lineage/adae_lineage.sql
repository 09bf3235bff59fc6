-- Lineage of adam.adae, one row per adae row (key USUBJID, AESEQ): where the current version of the AE record
-- sits in the extracts - TRANSFER_ID, SITE_FOLDER, SOURCE_FILE, SOURCE_ROW (docs/DESIGN.md "Lineage").
-- A plain projection of int_adae__assembled, the one derivation adam.adae is projected from too.
select
    USUBJID,
    AESEQ,
    TRANSFER_ID,
    SITE_FOLDER,
    SOURCE_FILE,
    SOURCE_ROW
from {{ ref('int_adae__assembled') }}
