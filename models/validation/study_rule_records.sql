-- validation.study_rule_records: the records the record-level study rules (seed study_rules,
-- FRAME records) compare with a subject's dates, with their lineage (file and row to query):
--   DOMAIN ex  every dose taken (EXDOSE > 0): EVENT_DT = EXSTDT, EOTDT = adsl.EOTDT
--              (end-of-treatment decision date)
--   DOMAIN ae  every AE: EVENT_DT = the earliest day its (partial) start can mean,
--              DTHDT = adsl.DTHDT
-- Inputs: adam.adsl, int_ex__current, int_ae__current.
select
    'ex' as DOMAIN,
    ex.USUBJID,
    adsl.SITEID,
    ex.EXTRT || ' ' || coalesce(ex.EXDOSE::varchar, '') || ' mg' as EVENT,
    ex.EXSTDTC as EVENT_DTC,
    ex.EXSTDT as EVENT_DT,
    adsl.EOTDT,
    cast(null as date) as DTHDT,
    ex.TRANSFER_ID,
    ex.SOURCE_FILE,
    ex.SOURCE_ROW
from {{ ref('int_ex__current') }} as ex
inner join {{ ref('adsl') }} as adsl on adsl.USUBJID = ex.USUBJID
where ex.EXDOSE > 0

union all

select
    'ae' as DOMAIN,
    ae.USUBJID,
    adsl.SITEID,
    ae.AEDECOD as EVENT,
    ae.AESTDTC as EVENT_DTC,
    {{ impute_partial_date('ae.AESTDT_Y', 'ae.AESTDT_M', 'ae.AESTDT_D') }} as EVENT_DT,
    cast(null as date) as EOTDT,
    adsl.DTHDT,
    ae.TRANSFER_ID,
    ae.SOURCE_FILE,
    ae.SOURCE_ROW
from {{ ref('int_ae__current') }} as ae
inner join {{ ref('adsl') }} as adsl on adsl.USUBJID = ae.USUBJID
