-- validation.study_rule_records: what the record-level study rules (seed study_rules, FRAME
-- records) compare, reduced in SQL to ONE ROW PER SUBJECT AND DOMAIN (and source file; the
-- current state holds one file per site and form) - not one row per record: at 100,000
-- subjects the doses taken alone are ~45 M rows.
--   DOMAIN ex  the subject's doses taken (int_ex__current, EXDOSE > 0), EOTDT = adsl.EOTDT
--              (end-of-treatment decision date)
--   DOMAIN ae  the subject's AEs (int_ae__current), each dated by the earliest day its
--              (partial) start can mean, DTHDT = adsl.DTHDT
--   N_RECORDS      the subject's records of the domain in SOURCE_FILE
--   LAST_EVENT_DT  the latest record date: the rules compare it with EOTDT / DTHDT (a date is
--                  not before every record's date exactly when it is not before the latest)
--   N_AFTER        the records dated after EOTDT (ex) / DTHDT (ae) - the offending records;
--                  the report's UNEXPECTED_COUNT is their sum (seed study_rules COUNT_VARIABLE)
--   SOURCE_ROW, EVENT, EVENT_DTC, EVENT_DT  the first offending record (lowest row of the
--                  file) for the message; null when the subject has none
-- The offending records are looked up only for the subjects whose LAST_EVENT_DT is after
-- their date (normally none), so the big domains are read by two aggregations.
-- Inputs: adam.adsl, int_ex__current, int_ae__current.
with ex_subjects as (
    select
        USUBJID,
        SOURCE_FILE,
        any_value(TRANSFER_ID) as TRANSFER_ID,
        count(*) as N_RECORDS,
        max(EXSTDT) as LAST_EVENT_DT
    from {{ ref('int_ex__current') }}
    where EXDOSE > 0
    group by USUBJID, SOURCE_FILE
),

ex_late as (
    select
        ex_subjects.USUBJID,
        ex_subjects.SOURCE_FILE,
        adsl.EOTDT
    from ex_subjects
    inner join {{ ref('adsl') }} as adsl on adsl.USUBJID = ex_subjects.USUBJID
    where ex_subjects.LAST_EVENT_DT > adsl.EOTDT
),

ex_after as (
    select
        ex.USUBJID,
        ex.SOURCE_FILE,
        count(*) as N_AFTER,
        min(ex.SOURCE_ROW) as SOURCE_ROW,
        arg_min(ex.EXTRT || ' ' || coalesce(cast(ex.EXDOSE as varchar), '') || ' mg', ex.SOURCE_ROW)
            as EVENT,
        arg_min(ex.EXSTDTC, ex.SOURCE_ROW) as EVENT_DTC,
        arg_min(ex.EXSTDT, ex.SOURCE_ROW) as EVENT_DT
    from {{ ref('int_ex__current') }} as ex
    inner join ex_late
        on ex_late.USUBJID = ex.USUBJID and ex_late.SOURCE_FILE = ex.SOURCE_FILE
    where ex.EXDOSE > 0 and ex.EXSTDT > ex_late.EOTDT
    group by ex.USUBJID, ex.SOURCE_FILE
),

ae_dated as (
    select
        USUBJID,
        TRANSFER_ID,
        SOURCE_FILE,
        SOURCE_ROW,
        AEDECOD,
        AESTDTC,
        {{ impute_partial_date('AESTDT_Y', 'AESTDT_M', 'AESTDT_D') }} as EVENT_DT
    from {{ ref('int_ae__current') }}
),

ae_subjects as (
    select
        ae.USUBJID,
        ae.SOURCE_FILE,
        any_value(ae.TRANSFER_ID) as TRANSFER_ID,
        count(*) as N_RECORDS,
        max(ae.EVENT_DT) as LAST_EVENT_DT,
        count(*) filter (where ae.EVENT_DT > adsl.DTHDT) as N_AFTER,
        min(ae.SOURCE_ROW) filter (where ae.EVENT_DT > adsl.DTHDT) as SOURCE_ROW,
        arg_min(ae.AEDECOD, ae.SOURCE_ROW) filter (where ae.EVENT_DT > adsl.DTHDT) as EVENT,
        arg_min(ae.AESTDTC, ae.SOURCE_ROW) filter (where ae.EVENT_DT > adsl.DTHDT)
            as EVENT_DTC,
        arg_min(ae.EVENT_DT, ae.SOURCE_ROW) filter (where ae.EVENT_DT > adsl.DTHDT)
            as EVENT_DT
    from ae_dated as ae
    inner join {{ ref('adsl') }} as adsl on adsl.USUBJID = ae.USUBJID
    group by ae.USUBJID, ae.SOURCE_FILE
)

select
    'ex' as DOMAIN,
    ex_subjects.USUBJID,
    adsl.SITEID,
    ex_subjects.TRANSFER_ID,
    ex_subjects.SOURCE_FILE,
    ex_after.SOURCE_ROW,
    ex_after.EVENT,
    ex_after.EVENT_DTC,
    ex_after.EVENT_DT,
    adsl.EOTDT,
    cast(null as date) as DTHDT,
    ex_subjects.N_RECORDS,
    ex_subjects.LAST_EVENT_DT,
    coalesce(ex_after.N_AFTER, 0) as N_AFTER
from ex_subjects
inner join {{ ref('adsl') }} as adsl on adsl.USUBJID = ex_subjects.USUBJID
left join ex_after
    on ex_after.USUBJID = ex_subjects.USUBJID and ex_after.SOURCE_FILE = ex_subjects.SOURCE_FILE

union all

select
    'ae' as DOMAIN,
    ae_subjects.USUBJID,
    adsl.SITEID,
    ae_subjects.TRANSFER_ID,
    ae_subjects.SOURCE_FILE,
    ae_subjects.SOURCE_ROW,
    ae_subjects.EVENT,
    ae_subjects.EVENT_DTC,
    ae_subjects.EVENT_DT,
    cast(null as date) as EOTDT,
    adsl.DTHDT,
    ae_subjects.N_RECORDS,
    ae_subjects.LAST_EVENT_DT,
    ae_subjects.N_AFTER
from ae_subjects
inner join {{ ref('adsl') }} as adsl on adsl.USUBJID = ae_subjects.USUBJID
