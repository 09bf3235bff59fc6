-- Name:  ADAE
-- Label: Adverse Events Analysis Dataset (one row per current AE record)
-- Input: int_adae__assembled (every derivation; docs/DESIGN.md "adam.adae")
-- A plain projection: the ADaM columns of seeds/adam_spec/adam_variables.csv in VARNUM order.
-- The lineage of the AE record (TRANSFER_ID, SITE_FOLDER, SOURCE_FILE, SOURCE_ROW) is
-- lineage.adae_lineage.
select
    STUDYID,
    USUBJID,
    AESEQ,
    TRTA,
    AESPID,
    AETERM,
    AEDECOD,
    AEBODSYS,
    AESTDTC,
    AEENDTC,
    ASTDT,
    ASTDTF,
    AENDT,
    ASTDY,
    AETOXGR,
    AESER,
    AERELIXA,
    AERELLEN,
    AERELDEX,
    AREL,
    AEACNIXA,
    AEACNLEN,
    AEACNDEX,
    AECYDLY,
    AEDISCON,
    AEONGO,
    AEOUT,
    TRTEMFL,
    NPMFL,
    AOCCPFL,
    AWRSTPFL,
    DOSRDFL,
    DOSINTFL,
    DRGWDFL,
    DOSMODFL,
    AECUTFL,
    SRCDOM,
    SRCSEQ,
    RECID,
    RECVER,
    SITEID
from {{ ref('int_adae__assembled') }}
