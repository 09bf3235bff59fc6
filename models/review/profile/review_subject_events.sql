-- review_subject_events: every mark on a subject's time axis (the subject-profile page), one row
-- per mark, one long table ordered by USUBJID (docs/derivations.md#profile-events).
--   TRACK                  the lane: DOSE IXAZOMIB / DOSE LENALIDOMIDE / DOSE DEXAMETHASONE (one bar
--                          per drug and cycle), SPEP / UPEP / DFLC (value of each response
--                          assessment), RESPONSE (adrs OVRLRESP), CONFIRMED (adrs CNFRESP, PDCNF),
--                          AE (adae, ASTDT to AENDT), SUBSEQUENT THERAPY (cm), DISPOSITION (ds),
--                          DEATH (dd).
--   dosing category        (docs/derivations.md#profile-dosing) HELD no dose of the cycle taken;
--                          REDUCED a dose taken, or the planned dose (EXPDOSE), below the starting
--                          dose (protocol_doses; lenalidomide: the subject's LENSTDOS) or EXADJ
--                          DOSE LEVEL REDUCED; PARTLY HELD some doses 0; FULL otherwise. FLAG
--                          DISCONTINUED on a drug's last cycle when the subject ended treatment
--                          (EOTSTT DISCONTINUED) or another drug went on to a later cycle.
--   STARTDY / ENDDY        study day as ADaM: date - TRTSDT + 1 on or after TRTSDT, date - TRTSDT
--                          before it (docs/derivations.md#study-day); NULL without TRTSDT.
--   source                 FORM, RECID, TRANSFER_ID, SOURCE_FILE, SOURCE_ROW of the current record
--                          the mark comes from (a dosing bar: the cycle's first ex record; an
--                          assessment value: the record that dates the assessment; CNFRESP/PDCNF:
--                          the OVRLRESP row they point at); CHGTYPE its CHGTYPE, for a dosing bar
--                          NEW/CHANGED when any ex record of the cycle is.
-- Inputs: adam.adsl/adrs/adae, lineage.adrs_lineage/adae_lineage, int_ex__current,
-- int_<lb/rs/ae/cm/ds/dd>__current, int_response__assessments, int_response__baseline_disease,
-- protocol_doses.
with subjects as (
    select
        USUBJID,
        SITEID,
        TRTSDT
    from {{ ref('adsl') }}
),

-- ------------------------------------------------------------------ dosing
dosing as (
    select
        USUBJID,
        TRACK,
        MARK,
        CATEGORY,
        VALUE,
        UNIT,
        FLAG,
        DETAIL,
        STARTDT,
        ENDDT,
        SOURCE_FILE,
        SOURCE_ROW,
        RECID,
        CHGTYPE
    from {{ ref('review_profile_dose_cycles') }}
),

-- ------------------------------------------------------------------ disease measurements
assessments as (
    select
        a.USUBJID,
        a.ASMSEQ,
        a.VISIT,
        a.ADT,
        a.AVALC,
        a.SPEP,
        a.UPEP,
        a.DFLC,
        bl.SPEPBL,
        bl.UPEPBL,
        bl.DFLCBL,
        a.SOURCE_FILE,
        a.SOURCE_ROW,
        a.SRCRECID
    from {{ ref('int_response__assessments') }} as a
    left join {{ ref('int_response__baseline_disease') }} as bl on a.USUBJID = bl.USUBJID
),

measurements as (
    {% for param, unit in [('SPEP', 'g/dL'), ('UPEP', 'mg/24h'), ('DFLC', 'mg/dL')] %}
        select
            USUBJID,
            '{{ param }}' as TRACK,
            VISIT as MARK,
            AVALC as CATEGORY,
            cast({{ param }} as double) as VALUE,
            '{{ unit }}' as UNIT,
            cast(null as varchar) as FLAG,
            'baseline ' || coalesce(cast(cast({{ param }}BL as double) as varchar), 'none') || ' {{ unit }}' as DETAIL,
            ADT as STARTDT,
            ADT as ENDDT,
            SOURCE_FILE,
            SOURCE_ROW,
            SRCRECID as RECID,
            cast(null as varchar) as CHGTYPE
        from assessments
        where {{ param }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- ------------------------------------------------------------------ response (adrs)
adrs as (
    select
        r.USUBJID,
        r.ASEQ,
        r.PARAMCD,
        r.AVISIT,
        r.AVALC,
        r.ADT,
        r.SRCDOM,
        r.SRCSEQ,
        r.RECID,
        lin.SOURCE_FILE,
        lin.SOURCE_ROW
    from {{ ref('adrs') }} as r
    left join {{ ref('adrs_lineage') }} as lin on r.USUBJID = lin.USUBJID and r.ASEQ = lin.ASEQ
    where r.PARAMCD in ('OVRLRESP', 'CNFRESP', 'PDCNF')
),

responses as (
    select
        r.USUBJID,
        case when r.PARAMCD = 'OVRLRESP' then 'RESPONSE' else 'CONFIRMED' end as TRACK,
        r.PARAMCD || ' ' || coalesce(r.AVISIT, '') as MARK,
        r.AVALC as CATEGORY,
        cast(null as double) as VALUE,
        cast(null as varchar) as UNIT,
        case when r.PARAMCD = 'PDCNF' then 'CONFIRMED PD' end as FLAG,
        r.PARAMCD as DETAIL,
        r.ADT as STARTDT,
        r.ADT as ENDDT,
        -- a derived parameter points at the ADRS row it comes from (SRCDOM ADRS, SRCSEQ its
        -- ASEQ), up to two steps (PDCNF -> CNFRESP -> OVRLRESP); the raw record is that row's
        coalesce(r.SOURCE_FILE, one.SOURCE_FILE, two.SOURCE_FILE) as SOURCE_FILE,
        coalesce(r.SOURCE_ROW, one.SOURCE_ROW, two.SOURCE_ROW) as SOURCE_ROW,
        case
            when r.SOURCE_FILE is not null then r.RECID
            when one.SOURCE_FILE is not null then one.RECID
            else two.RECID
        end as RECID,
        cast(null as varchar) as CHGTYPE
    from adrs as r
    left join adrs as one
        on r.SRCDOM = 'ADRS' and r.USUBJID = one.USUBJID and r.SRCSEQ = one.ASEQ
    left join adrs as two
        on one.SRCDOM = 'ADRS' and one.USUBJID = two.USUBJID and one.SRCSEQ = two.ASEQ
),

-- ------------------------------------------------------------------ adverse events
adverse_events as (
    select
        ae.USUBJID,
        'AE' as TRACK,
        coalesce(ae.AEDECOD, ae.AETERM) as MARK,
        'Grade ' || coalesce(cast(ae.AETOXGR as varchar), '?') as CATEGORY,
        cast(ae.AETOXGR as double) as VALUE,
        'grade' as UNIT,
        case
            when ae.AESER = 'Y' and ae.AENDT is null then 'SERIOUS, ONGOING'
            when ae.AESER = 'Y' then 'SERIOUS'
            when ae.AENDT is null then 'ONGOING'
        end as FLAG,
        'AESEQ ' || ae.AESEQ || ', ' || coalesce(ae.AETERM, '') || ', treatment-emergent ' || coalesce(ae.TRTEMFL, 'N')
        || case when ae.AENDT is null then ', no end date: drawn to the data cutoff' else '' end as DETAIL,
        ae.ASTDT as STARTDT,
        coalesce(ae.AENDT, greatest(ae.ASTDT, {{ data_cutoff() }})) as ENDDT,
        lin.SOURCE_FILE,
        lin.SOURCE_ROW,
        ae.RECID,
        cast(null as varchar) as CHGTYPE
    from {{ ref('adae') }} as ae
    left join {{ ref('adae_lineage') }} as lin on ae.USUBJID = lin.USUBJID and ae.AESEQ = lin.AESEQ
),

-- ------------------------------------------------------------------ therapy, disposition, death
others as (
    select
        USUBJID,
        'SUBSEQUENT THERAPY' as TRACK,
        CMTRT as MARK,
        'SUBSEQUENT THERAPY' as CATEGORY,
        cast(null as double) as VALUE,
        cast(null as varchar) as UNIT,
        cast(null as varchar) as FLAG,
        'start of a subsequent anticancer therapy' as DETAIL,
        CMSTDT as STARTDT,
        CMSTDT as ENDDT,
        SOURCE_FILE,
        SOURCE_ROW,
        cast(RECID as varchar) as RECID,
        CHGTYPE
    from {{ ref('int_cm__current') }}
    union all
    select
        USUBJID,
        'DISPOSITION' as TRACK,
        DSCAT as MARK,
        DSDECOD as CATEGORY,
        cast(null as double) as VALUE,
        cast(null as varchar) as UNIT,
        cast(null as varchar) as FLAG,
        DSCAT || ': ' || coalesce(DSDECOD, '') as DETAIL,
        DSSTDT as STARTDT,
        DSSTDT as ENDDT,
        SOURCE_FILE,
        SOURCE_ROW,
        cast(RECID as varchar) as RECID,
        CHGTYPE
    from {{ ref('int_ds__current') }}
    union all
    select
        USUBJID,
        'DEATH' as TRACK,
        'Death' as MARK,
        DTHCAUS as CATEGORY,
        cast(null as double) as VALUE,
        cast(null as varchar) as UNIT,
        cast(null as varchar) as FLAG,
        'cause: ' || coalesce(DTHCAUS, 'not given') as DETAIL,
        DTHDT as STARTDT,
        DTHDT as ENDDT,
        SOURCE_FILE,
        SOURCE_ROW,
        cast(RECID as varchar) as RECID,
        CHGTYPE
    from {{ ref('int_dd__current') }}
),

marks as (
    select * from dosing
    union all
    select * from measurements
    union all
    select * from responses
    union all
    select * from adverse_events
    union all
    select * from others
),

-- Where each mark's source sits: its lineage path is <TRANSFER_ID>/site_<folder>/<form>.csv
-- (docs/DESIGN.md "Lineage"), so form, transfer and site folder are read from it; every mark
-- brings its source RECID along. No lookup of all current records: at 100,000 subjects that
-- was a hash join over 66 M ex and lb rows and ran out of memory.
located as (
    select
        *,
        regexp_extract(SOURCE_FILE, '([a-z]+)\.csv$', 1) as FORM,
        split_part(SOURCE_FILE, '/', 1) as TRANSFER_ID,
        regexp_extract(SOURCE_FILE, '/site_([^/]+)/', 1) as SITE_FOLDER
    from marks
),

-- CHGTYPE of the marks whose own input does not carry it (lb, rs, ae sources): records a
-- site's latest transfer added or changed against a previous transfer (the night's data, few)...
changed_sources as (
    {% for form in ['lb', 'rs', 'ae'] %}
        select
            SOURCE_FILE,
            SOURCE_ROW,
            CHGTYPE
        from {{ ref('int_' ~ form ~ '__current') }}
        where CHGTYPE is not null and PREVIOUS_TRANSFER_ID is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- ... and every record of a site and form whose latest transfer is its first is NEW
first_transfers as (
    select
        SITEID as SITE_FOLDER,
        FORM
    from {{ ref('int_edc__site_latest_transfer') }}
    where PREVIOUS_TRANSFER_ID is null
)

select
    m.USUBJID,
    s.SITEID,
    m.TRACK,
    m.MARK,
    m.CATEGORY,
    m.VALUE,
    m.UNIT,
    m.FLAG,
    m.DETAIL,
    m.STARTDT,
    m.ENDDT,
    cast(case when m.STARTDT >= s.TRTSDT then m.STARTDT - s.TRTSDT + 1 else m.STARTDT - s.TRTSDT end as integer)
        as STARTDY,
    cast(case when m.ENDDT >= s.TRTSDT then m.ENDDT - s.TRTSDT + 1 else m.ENDDT - s.TRTSDT end as integer)
        as ENDDY,
    case when m.SOURCE_FILE is not null then m.FORM end as FORM,
    cast(m.RECID as varchar) as RECID,
    case when m.SOURCE_FILE is not null then m.TRANSFER_ID end as TRANSFER_ID,
    m.SOURCE_FILE,
    cast(m.SOURCE_ROW as integer) as SOURCE_ROW,
    coalesce(m.CHGTYPE, ch.CHGTYPE, case when ft.FORM is not null then 'NEW' end) as CHGTYPE
from located as m
inner join subjects as s on m.USUBJID = s.USUBJID
left join changed_sources as ch on m.SOURCE_FILE = ch.SOURCE_FILE and m.SOURCE_ROW = ch.SOURCE_ROW
left join first_transfers as ft on m.SITE_FOLDER = ft.SITE_FOLDER and m.FORM = ft.FORM
order by m.USUBJID, m.TRACK, m.STARTDT, m.MARK, m.SOURCE_FILE, m.SOURCE_ROW
