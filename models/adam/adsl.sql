-- Name:  ADSL
-- Label: Subject-Level Analysis Dataset (one row per subject in dm)
-- Input: int_dm__current, int_mh__current, int_adsl__trtsdt_trtedt, int_adsl__popfl,
--        int_adsl__baseline_values, int_adsl__bsabl, int_adsl__crclbl, int_adsl__lenstdos,
--        int_adsl__iss, int_adsl__diagdt_mmdurm, int_adsl__prlines_prrelref,
--        int_adsl__prasctfl_lasctdt, int_adsl__prior_drug_flags, int_adsl__cytorisk,
--        int_adsl__eotstt_dctreas, int_adsl__dthfl_dthdt, int_adsl__lstalvdt, int_adsl__subsqdt
-- Every derivation lives in its int_adsl__* model; this model only assembles them.
-- Columns: seeds/adam_spec/adam_variables.csv. Lineage: the dm record (TRANSFER_ID,
-- SOURCE_FILE, SOURCE_ROW).
with dm as (
    select * from {{ ref('int_dm__current') }}
),

mh as (
    select
        USUBJID,
        MMTYPE,
        LCTYPE
    from {{ ref('int_mh__current') }}
)

select
    -- identifiers and demographics
    dm.STUDYID,
    dm.USUBJID,
    dm.SUBJID,
    dm.SITEID,
    dm.AGE,
    dm.SEX,
    dm.RACE,
    dm.ICDT as RFICDT,
    dm.ENRLDT,
    -- treatment dates and populations
    trt.TRTSDT,
    trt.TRTEDT,
    popfl.FASFL,
    popfl.SAFFL,
    popfl.RSEVFL,
    popfl.MEASFL,
    -- baseline
    bl.HEIGHTBL,
    bl.WEIGHTBL,
    bsa.BSABL,
    bl.CREATBL,
    crcl.CRCLBL,
    crcl.CRCLCAT,
    bl.B2MBL,
    bl.ALBBL,
    iss.ISS,
    bl.ECOGBL,
    -- disease history
    diag.DIAGDT,
    diag.DIAGDTF,
    diag.MMDURM,
    mh.MMTYPE,
    mh.LCTYPE,
    lenstdos.LENSTDOS,
    -- prior therapy
    prlines.PRLINES,
    prlines.PRRELREF,
    asct.PRASCTFL,
    asct.LASCTDT,
    asct.LASCTDTF,
    asct.ASCTDURM,
    prdrug.PRIMIDFL,
    prdrug.PRTHALFL,
    prdrug.PRLENFL,
    prdrug.PRPOMFL,
    prdrug.PRPIFL,
    prdrug.PRBORTFL,
    prdrug.PRCARFFL,
    prdrug.PRIXAFL,
    -- cytogenetics
    cyto.CYTORISK,
    cyto.DEL17PFL,
    cyto.T414FL,
    cyto.T1416FL,
    cyto.T1114FL,
    cyto.DEL13FL,
    -- disposition, death, follow-up
    eot.EOTSTT,
    eot.DCTREAS,
    eot.EOTDT,
    dth.DTHFL,
    dth.DTHDT,
    dth.DTHCAUS,
    dth.ONSTDTFL,
    lstalv.LSTALVDT,
    lstalv.LSTALVDT_SRC,
    subsq.SUBSQDT,
    -- lineage of the dm record
    dm.TRANSFER_ID,
    dm.SOURCE_FILE,
    dm.SOURCE_ROW
from dm
left join mh on dm.USUBJID = mh.USUBJID
left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt on dm.USUBJID = trt.USUBJID
left join {{ ref('int_adsl__popfl') }} as popfl on dm.USUBJID = popfl.USUBJID
left join {{ ref('int_adsl__baseline_values') }} as bl on dm.USUBJID = bl.USUBJID
left join {{ ref('int_adsl__bsabl') }} as bsa on dm.USUBJID = bsa.USUBJID
left join {{ ref('int_adsl__crclbl') }} as crcl on dm.USUBJID = crcl.USUBJID
left join {{ ref('int_adsl__lenstdos') }} as lenstdos on dm.USUBJID = lenstdos.USUBJID
left join {{ ref('int_adsl__iss') }} as iss on dm.USUBJID = iss.USUBJID
left join {{ ref('int_adsl__diagdt_mmdurm') }} as diag on dm.USUBJID = diag.USUBJID
left join {{ ref('int_adsl__prlines_prrelref') }} as prlines on dm.USUBJID = prlines.USUBJID
left join {{ ref('int_adsl__prasctfl_lasctdt') }} as asct on dm.USUBJID = asct.USUBJID
left join {{ ref('int_adsl__prior_drug_flags') }} as prdrug on dm.USUBJID = prdrug.USUBJID
left join {{ ref('int_adsl__cytorisk') }} as cyto on dm.USUBJID = cyto.USUBJID
left join {{ ref('int_adsl__eotstt_dctreas') }} as eot on dm.USUBJID = eot.USUBJID
left join {{ ref('int_adsl__dthfl_dthdt') }} as dth on dm.USUBJID = dth.USUBJID
left join {{ ref('int_adsl__lstalvdt') }} as lstalv on dm.USUBJID = lstalv.USUBJID
left join {{ ref('int_adsl__subsqdt') }} as subsq on dm.USUBJID = subsq.USUBJID
