-- Name:  ADAE
-- Label: Adverse Events Analysis Dataset (one row per current AE record)
-- Input: int_ae__current, int_adae__astdt_aendt, int_adae__trtemfl,
--        int_adae__aoccpfl_awrstpfl, int_adae__action_flags
-- Derivations live in the int_adae__* models; this model assembles them.
-- Columns: seeds/adam_spec/adam_variables.csv; flags are 'Y' / NULL.
-- Traceability: SRCDOM 'AE', SRCSEQ = AESPID, the EDC record (RECID, RECVER) and lineage
-- (TRANSFER_ID, SITE_FOLDER, SOURCE_FILE, SOURCE_ROW) of its current version.
select
    ae.USUBJID,
    dates.AESEQ,
    ae.AESPID,
    ae.AETERM,
    ae.AEDECOD,
    ae.AEBODSYS,
    ae.AESTDTC,
    ae.AEENDTC,
    dates.ASTDT,
    dates.ASTDTF,
    dates.AENDT,
    dates.ASTDY,
    ae.AETOXGR,
    ae.AESER,
    ae.AEREL_IXA,
    ae.AEREL_LEN,
    ae.AEREL_DEX,
    actions.AREL,
    ae.AEACN_IXA,
    ae.AEACN_LEN,
    ae.AEACN_DEX,
    ae.AECYDLY,
    ae.AEDISCON,
    ae.AEONGO,
    ae.AEOUT,
    te.TRTEMFL,
    te.NPMFL,
    occ.AOCCPFL,
    occ.AWRSTPFL,
    actions.DOSRDFL,
    actions.DOSINTFL,
    actions.DRGWDFL,
    actions.DOSMODFL,
    ae.AECUTFL,
    'AE' as SRCDOM,
    ae.AESPID as SRCSEQ,
    ae.RECID,
    ae.RECVER,
    ae.SITEID,
    ae.TRANSFER_ID,
    ae.SITE_FOLDER,
    ae.SOURCE_FILE,
    ae.SOURCE_ROW
from {{ ref('int_ae__current') }} as ae
inner join {{ ref('int_adae__astdt_aendt') }} as dates
    on ae.SITE_FOLDER = dates.SITE_FOLDER and ae.RECID = dates.RECID
inner join {{ ref('int_adae__trtemfl') }} as te
    on ae.SITE_FOLDER = te.SITE_FOLDER and ae.RECID = te.RECID
inner join {{ ref('int_adae__aoccpfl_awrstpfl') }} as occ
    on ae.SITE_FOLDER = occ.SITE_FOLDER and ae.RECID = occ.RECID
inner join {{ ref('int_adae__action_flags') }} as actions
    on ae.SITE_FOLDER = actions.SITE_FOLDER and ae.RECID = actions.RECID
