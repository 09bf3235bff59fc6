-- Initial diagnosis of multiple myeloma:
--   DIAGDT   mh.DIAGDAT, partial dates imputed (missing day -> 1st, missing month ->
--            January;
--            docs/derivations.md#partial-dates-history-dates), DIAGDTF its imputation flag ('D'/'M')
--   MMDURM   months from diagnosis to the first dose: (TRTSDT - DIAGDT) / 30.4375, unrounded
-- Inputs: int_dm__current, int_mh__current, int_adsl__trtsdt_trtedt. One row per subject.
select
    dm.USUBJID,
    {{ impute_partial_date('mh.DIAGDT_Y', 'mh.DIAGDT_M', 'mh.DIAGDT_D') }} as DIAGDT,
    {{ impute_partial_date_flag('mh.DIAGDT_Y', 'mh.DIAGDT_M', 'mh.DIAGDT_D') }} as DIAGDTF,
    (trt.TRTSDT - {{ impute_partial_date('mh.DIAGDT_Y', 'mh.DIAGDT_M', 'mh.DIAGDT_D') }}) / 30.4375 as MMDURM
from {{ ref('int_dm__current') }} as dm
left join {{ ref('int_mh__current') }} as mh
    on dm.USUBJID = mh.USUBJID
left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
    on dm.USUBJID = trt.USUBJID
