-- Arm and treatment of the subject (docs/derivations.md#arm-and-treatment-arm-actarm-trt01p-trt01a):
--   ARM, TRT01P, TRT01PN  the study's arm (seed study_arms, single-arm: one row) for an
--                         enrolled subject (ENRLDT); 'Not Assigned' / null when not enrolled
--   ACTARM, TRT01A, TRT01AN
--                         the arm for a subject who took >= 1 dose (TRTSDT,
--                         int_adsl__trtsdt_trtedt); an enrolled subject with no dose:
--                         ACTARM 'Not Treated', TRT01A / TRT01AN null (CDISC convention)
-- The arm and treatment names are study rules (the seed); 'Not Assigned' and 'Not Treated'
-- are the CDISC terms for a subject outside the arm. One row per subject in dm.
with arm as (
    select
        ARM,
        TRTP,
        TRTPN
    from {{ ref('study_arms') }}
),

subjects as (
    select
        dm.USUBJID,
        dm.ENRLDT is not null as IS_ENROLLED,
        trt.TRTSDT is not null as IS_TREATED
    from {{ ref('int_dm__current') }} as dm
    left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
        on dm.USUBJID = trt.USUBJID
)

select
    subjects.USUBJID,
    case when subjects.IS_ENROLLED then arm.ARM else 'Not Assigned' end as ARM,
    case
        when subjects.IS_TREATED then arm.ARM
        when subjects.IS_ENROLLED then 'Not Treated'
        else 'Not Assigned'
    end as ACTARM,
    case when subjects.IS_ENROLLED then arm.TRTP end as TRT01P,
    case when subjects.IS_ENROLLED then arm.TRTPN end as TRT01PN,
    case when subjects.IS_TREATED then arm.TRTP end as TRT01A,
    case when subjects.IS_TREATED then arm.TRTPN end as TRT01AN
from subjects
cross join arm
