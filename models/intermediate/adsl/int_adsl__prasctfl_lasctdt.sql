-- Prior autologous stem cell transplantation:
--   PRASCTFL  'Y' when any prior line has ASCT = 'Y', else 'N'
--   LASCTDT   date of the last ASCT, partial dates imputed (missing day -> 1st, missing
--             month -> January;
--             docs/derivations.md#partial-dates-history-dates), LASCTDTF its imputation flag ('D'/'M')
--   ASCTDURM  months from LASCTDT to TRTSDT: (TRTSDT - LASCTDT) / 30.4375, unrounded
-- Inputs: int_dm__current, int_pt__current, int_adsl__trtsdt_trtedt. One row per subject.
with transplants as (
    select
        USUBJID,
        {{ impute_partial_date('ASCTDT_Y', 'ASCTDT_M', 'ASCTDT_D') }} as ASCTDT_IMP,
        {{ impute_partial_date_flag('ASCTDT_Y', 'ASCTDT_M', 'ASCTDT_D') }} as ASCTDT_IMPFL
    from {{ ref('int_pt__current') }}
    where ASCT = 'Y'
),

per_subject as (
    select
        USUBJID,
        max(ASCTDT_IMP) as LASCTDT,
        arg_max(ASCTDT_IMPFL, (ASCTDT_IMP, coalesce(ASCTDT_IMPFL, ''))) as LASCTDTF
    from transplants
    group by USUBJID
)

select
    dm.USUBJID,
    case when per_subject.USUBJID is not null then 'Y' else 'N' end as PRASCTFL,
    per_subject.LASCTDT,
    per_subject.LASCTDTF,
    (trt.TRTSDT - per_subject.LASCTDT) / 30.4375 as ASCTDURM
from {{ ref('int_dm__current') }} as dm
left join per_subject
    on dm.USUBJID = per_subject.USUBJID
left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
    on dm.USUBJID = trt.USUBJID
