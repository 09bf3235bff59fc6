-- int_response__assessments
-- IMWG response category of every post-baseline assessment, before confirmation
-- (adrs PARAMCD OVRLRESP).
-- docs/derivations.md#imwg-response:
--   * Only parameters measurable at baseline count (int_response__baseline_disease).
--   * PD is tested first, against the nadir (int_response__nadir):
--       serum  >= 25% and >= 0.5 g/dL above the nadir (>= 1 g/dL when the nadir is >= 5 g/dL)
--       urine  >= 25% and >= 200 mg/24h above the nadir
--       dFLC   (FLC-only disease) >= 25% and > 10 mg/dL above the nadir
--       or an investigator PD for a non-laboratory reason (dated at RSDAT).
--   * Then the best category whose criteria are all met (reductions from baseline, every
--     threshold a lower bound; where serum and urine are both measurable, both criteria):
--       SCR  CR + normal kappa/lambda ratio (0.26-1.65) + BMCLON NEGATIVE
--       CR   SIFE and UIFE NEGATIVE + marrow plasma cells < 5% (int_response__marrow_applied)
--       VGPR serum >= 90% / urine < 100 mg/24h;   FLC-only: dFLC reduction > 90%
--       PR   serum >= 50% / urine >= 90% or < 200 mg/24h;   FLC-only: dFLC reduction >= 50%
--       MR   serum >= 25% / urine >= 50%;   FLC-only: none
--       SD   none of the above
--   * NE: no measurable disease at baseline, or a measurable parameter without a result.
-- Thresholds: seed imwg_thresholds. Comparisons are exact decimal arithmetic, reductions
-- as (baseline - value) x 100 >= pct x baseline (no division, no float rounding).
-- One row per assessment. Inputs: int_response__assessments_grouped,
-- int_response__baseline_disease, int_response__nadir, int_response__marrow_applied,
-- imwg_thresholds, response_categories.
with t as (
    select
        max(case when THRESHOLD = 'FLC_RATIO_LOW' then cast(VALUE as decimal(38, 6)) end) as FLC_RATIO_LOW,
        max(case when THRESHOLD = 'FLC_RATIO_HIGH' then cast(VALUE as decimal(38, 6)) end) as FLC_RATIO_HIGH,
        max(case when THRESHOLD = 'CR_BMPC' then cast(VALUE as decimal(38, 6)) end) as CR_BMPC,
        max(case when THRESHOLD = 'VGPR_SPEP_REDUCTION' then cast(VALUE as decimal(38, 6)) end) as VGPR_SPEP_REDUCTION,
        max(case when THRESHOLD = 'VGPR_UPEP' then cast(VALUE as decimal(38, 6)) end) as VGPR_UPEP,
        max(case when THRESHOLD = 'PR_SPEP_REDUCTION' then cast(VALUE as decimal(38, 6)) end) as PR_SPEP_REDUCTION,
        max(case when THRESHOLD = 'PR_UPEP_REDUCTION' then cast(VALUE as decimal(38, 6)) end) as PR_UPEP_REDUCTION,
        max(case when THRESHOLD = 'PR_UPEP' then cast(VALUE as decimal(38, 6)) end) as PR_UPEP,
        max(case when THRESHOLD = 'MR_SPEP_REDUCTION' then cast(VALUE as decimal(38, 6)) end) as MR_SPEP_REDUCTION,
        max(case when THRESHOLD = 'MR_UPEP_REDUCTION' then cast(VALUE as decimal(38, 6)) end) as MR_UPEP_REDUCTION,
        max(case when THRESHOLD = 'FLC_VGPR_DFLC_REDUCTION' then cast(VALUE as decimal(38, 6)) end)
            as FLC_VGPR_DFLC_REDUCTION,
        max(case when THRESHOLD = 'FLC_PR_DFLC_REDUCTION' then cast(VALUE as decimal(38, 6)) end)
            as FLC_PR_DFLC_REDUCTION,
        max(case when THRESHOLD = 'PD_SPEP_INCREASE' then cast(VALUE as decimal(38, 6)) end) as PD_SPEP_INCREASE,
        max(case when THRESHOLD = 'PD_SPEP_ABS' then cast(VALUE as decimal(38, 6)) end) as PD_SPEP_ABS,
        max(case when THRESHOLD = 'PD_SPEP_HIGH_NADIR' then cast(VALUE as decimal(38, 6)) end) as PD_SPEP_HIGH_NADIR,
        max(case when THRESHOLD = 'PD_SPEP_ABS_HIGH_NADIR' then cast(VALUE as decimal(38, 6)) end)
            as PD_SPEP_ABS_HIGH_NADIR,
        max(case when THRESHOLD = 'PD_UPEP_INCREASE' then cast(VALUE as decimal(38, 6)) end) as PD_UPEP_INCREASE,
        max(case when THRESHOLD = 'PD_UPEP_ABS' then cast(VALUE as decimal(38, 6)) end) as PD_UPEP_ABS,
        max(case when THRESHOLD = 'PD_DFLC_INCREASE' then cast(VALUE as decimal(38, 6)) end) as PD_DFLC_INCREASE,
        max(case when THRESHOLD = 'PD_DFLC_ABS' then cast(VALUE as decimal(38, 6)) end) as PD_DFLC_ABS
    from {{ ref('imwg_thresholds') }}
),

joined as (
    select
        a.USUBJID,
        a.ASMSEQ,
        a.VISIT,
        a.ADT,
        a.ADY,
        a.TRTSDT,
        bl.MEASDIS,
        bl.SERMEASFL = 'Y' as _S,
        bl.URNMEASFL = 'Y' as _U,
        bl.FLCMEASFL = 'Y' as _F,
        a.SPEP,
        bl.SPEPBL,
        n.SPEPNADIR,
        a.UPEP,
        bl.UPEPBL,
        n.UPEPNADIR,
        a.DFLC,
        bl.DFLCBL,
        n.DFLCNADIR,
        a.FLCKAPPA,
        a.FLCLAMBDA,
        a.SIFE,
        a.UIFE,
        m.BMPC,
        m.BMPCDT,
        m.BMCLON,
        m.BMCLONDT,
        a.INVPDFL,
        a.INVPDDT,
        a.RSPDRSN,
        a.SRCDOM,
        a.SRCVAR,
        a.SRCRECID,
        a.SRCSEQ,
        a.SOURCE_FILE,
        a.SOURCE_ROW
    from {{ ref('int_response__assessments_grouped') }} as a
    left join {{ ref('int_response__baseline_disease') }} as bl
        on a.USUBJID = bl.USUBJID
    left join {{ ref('int_response__nadir') }} as n
        on a.USUBJID = n.USUBJID and a.ASMSEQ = n.ASMSEQ
    left join {{ ref('int_response__marrow_applied') }} as m
        on a.USUBJID = m.USUBJID and a.ASMSEQ = m.ASMSEQ
),

criteria as (
    select
        joined.*,
        -- progression from the nadir, per measurable parameter
        coalesce(
            _S and (SPEP - SPEPNADIR) * 100 >= t.PD_SPEP_INCREASE * SPEPNADIR
            and SPEP - SPEPNADIR >= case when SPEPNADIR >= t.PD_SPEP_HIGH_NADIR
                    then t.PD_SPEP_ABS_HIGH_NADIR
                else t.PD_SPEP_ABS
            end,
            false
        ) as _PD_SERUM,
        coalesce(
            _U and (UPEP - UPEPNADIR) * 100 >= t.PD_UPEP_INCREASE * UPEPNADIR
            and UPEP - UPEPNADIR >= t.PD_UPEP_ABS, false
        ) as _PD_URINE,
        coalesce(
            _F and (DFLC - DFLCNADIR) * 100 >= t.PD_DFLC_INCREASE * DFLCNADIR
            and DFLC - DFLCNADIR > t.PD_DFLC_ABS, false
        ) as _PD_DFLC,
        coalesce(INVPDFL = 'Y', false) as _PD_INV,
        -- a measurable parameter without a result makes the response not evaluable
        (not _S and not _U and not _F)
        or (_S and SPEP is null) or (_U and UPEP is null) or (_F and DFLC is null) as _NOT_EVALUABLE,
        -- serum and urine criteria per level (reductions from baseline)
        coalesce((SPEPBL - SPEP) * 100 >= t.VGPR_SPEP_REDUCTION * SPEPBL, false) as _VGPR_SERUM,
        coalesce(UPEP < t.VGPR_UPEP, false) as _VGPR_URINE,
        coalesce((SPEPBL - SPEP) * 100 >= t.PR_SPEP_REDUCTION * SPEPBL, false) as _PR_SERUM,
        coalesce((UPEPBL - UPEP) * 100 >= t.PR_UPEP_REDUCTION * UPEPBL or UPEP < t.PR_UPEP, false) as _PR_URINE,
        coalesce((SPEPBL - SPEP) * 100 >= t.MR_SPEP_REDUCTION * SPEPBL, false) as _MR_SERUM,
        coalesce((UPEPBL - UPEP) * 100 >= t.MR_UPEP_REDUCTION * UPEPBL, false) as _MR_URINE,
        -- FLC-only disease (dFLC reductions from baseline)
        coalesce((DFLCBL - DFLC) * 100 > t.FLC_VGPR_DFLC_REDUCTION * DFLCBL, false) as _VGPR_FLC,
        coalesce((DFLCBL - DFLC) * 100 >= t.FLC_PR_DFLC_REDUCTION * DFLCBL, false) as _PR_FLC,
        -- complete response and its stringent form
        coalesce(SIFE = 'NEGATIVE' and UIFE = 'NEGATIVE' and BMPC < t.CR_BMPC, false) as _CR,
        coalesce(
            FLCKAPPA >= t.FLC_RATIO_LOW * FLCLAMBDA and FLCKAPPA <= t.FLC_RATIO_HIGH * FLCLAMBDA
            and BMCLON = 'NEGATIVE', false
        ) as _SCR_EXTRA
    from joined
    cross join t
),

levels as (
    select
        criteria.*,
        _PD_SERUM or _PD_URINE or _PD_DFLC as _PD_LAB,
        case
            when _S or _U then (not _S or _VGPR_SERUM) and (not _U or _VGPR_URINE)
            else _F and _VGPR_FLC
        end as _VGPR,
        case
            when _S or _U then (not _S or _PR_SERUM) and (not _U or _PR_URINE)
            else _F and _PR_FLC
        end as _PR,
        case
            when _S or _U then (not _S or _MR_SERUM) and (not _U or _MR_URINE)
            else false
        end as _MR
    from criteria
),

categorised as (
    select
        levels.*,
        case
            when _PD_LAB or _PD_INV then 'PD'
            when _NOT_EVALUABLE then 'NE'
            when _CR and _SCR_EXTRA then 'SCR'
            when _CR then 'CR'
            when _VGPR then 'VGPR'
            when _PR then 'PR'
            when _MR then 'MR'
            else 'SD'
        end as _AVALC
    from levels
)

select
    c.USUBJID,
    c.ASMSEQ,
    c.VISIT,
    c.ADT,
    c.ADY,
    c.TRTSDT,
    c.MEASDIS,
    c.SPEP,
    c.SPEPBL,
    c.SPEPNADIR,
    c.UPEP,
    c.UPEPBL,
    c.UPEPNADIR,
    c.FLCKAPPA,
    c.FLCLAMBDA,
    c.DFLC,
    c.DFLCBL,
    c.DFLCNADIR,
    c.SIFE,
    c.UIFE,
    c.BMPC,
    c.BMPCDT,
    c.BMCLON,
    c.BMCLONDT,
    case when c._PD_SERUM then 'Y' end as PDSERFL,
    case when c._PD_URINE then 'Y' end as PDURNFL,
    case when c._PD_DFLC then 'Y' end as PDFLCFL,
    case when c._PD_INV then 'Y' end as PDINVFL,
    c.RSPDRSN,
    c._AVALC as AVALC,
    cat.AVAL,
    -- a non-laboratory investigator PD needs no confirmation and is dated at RSDAT
    case
        when c._PD_INV then 'INVESTIGATOR'
        when c._PD_LAB then 'LABORATORY'
    end as PDSRC,
    case
        when c._PD_INV then c.INVPDDT
        when c._PD_LAB then c.ADT
    end as PDDT,
    c.SRCDOM,
    c.SRCVAR,
    c.SRCRECID,
    c.SRCSEQ,
    c.SOURCE_FILE,
    c.SOURCE_ROW
from categorised as c
left join {{ ref('response_categories') }} as cat
    on c._AVALC = cat.AVALC
