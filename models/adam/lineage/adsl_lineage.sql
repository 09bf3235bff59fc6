-- Lineage of adam.adsl, one row per adsl row (key USUBJID): where the current dm record of the subject
-- sits in the extracts - TRANSFER_ID, SOURCE_FILE, SOURCE_ROW (docs/DESIGN.md "Lineage").
-- A plain projection of int_adsl__assembled, the one derivation adam.adsl is projected from too.
select
    USUBJID,
    TRANSFER_ID,
    SOURCE_FILE,
    SOURCE_ROW
from {{ ref('int_adsl__assembled') }}
