-- review_profile_dose_cycles: one bar per subject, study drug and cycle for the subject profile
-- (docs/derivations.md#profile-dosing). From the cycle's ex records (int_ex__current):
--   CATEGORY  HELD         no dose of the cycle taken (every EXDOSE 0 or missing)
--             REDUCED      a dose taken below the starting dose, or a planned dose (EXPDOSE)
--                          below it, or EXADJ DOSE LEVEL REDUCED; starting dose: protocol_doses,
--                          lenalidomide the subject's LENSTDOS (adsl)
--             PARTLY HELD  some doses taken, some 0 (none reduced)
--             FULL         otherwise
--   FLAG      DISCONTINUED on the drug's last cycle with a dose taken, when the subject ended
--             treatment (adsl EOTSTT DISCONTINUED) or another drug went on to a later cycle
--   VALUE     mg taken in the cycle; STARTDT/ENDDT first and last EXSTDT of the cycle
--   source    the cycle's first ex record (EXSTDT, then file row); CHGTYPE NEW when any ex
--             record of the cycle is NEW in the site's latest transfer, else CHANGED when any is
-- Inputs: int_ex__current, adsl, protocol_doses. Ordered by USUBJID.
with subjects as (
    select
        USUBJID,
        EOTSTT,
        LENSTDOS
    from {{ ref('adsl') }}
),

ex as (
    select
        ex.USUBJID,
        ex.EXTRT,
        ex.CYCLE,
        ex.EXSTDT,
        ex.EXDOSE,
        ex.EXPDOSE,
        ex.EXADJ,
        ex.RECID,
        ex.SOURCE_FILE,
        ex.SOURCE_ROW,
        ex.CHGTYPE,
        case
            when ex.EXTRT = 'LENALIDOMIDE' then coalesce(s.LENSTDOS, pd.START_DOSE_MG)
            else pd.START_DOSE_MG
        end as START_DOSE
    from {{ ref('int_ex__current') }} as ex
    inner join subjects as s on ex.USUBJID = s.USUBJID
    left join {{ ref('protocol_doses') }} as pd on ex.EXTRT = pd.EXTRT
    where ex.CYCLE is not null
),

cycles as (
    select
        USUBJID,
        EXTRT,
        CYCLE,
        min(EXSTDT) as STARTDT,
        max(EXSTDT) as ENDDT,
        sum(EXDOSE) as TOTAL_MG,
        count(*) as N_RECORDS,
        count(*) filter (where EXDOSE > 0) as N_TAKEN,
        count(*) filter (where coalesce(EXDOSE, 0) = 0) as N_HELD,
        bool_or(
            (EXDOSE > 0 and EXDOSE < START_DOSE)
            or EXPDOSE < START_DOSE
            or EXADJ = 'DOSE LEVEL REDUCED'
        ) as REDUCED,
        any_value(START_DOSE) as START_DOSE,
        min(EXPDOSE) as MIN_PLANNED,
        -- the cycle's first record (date, then file row) is its source
        arg_min(SOURCE_FILE, (EXSTDT, SOURCE_ROW)) as SOURCE_FILE,
        arg_min(SOURCE_ROW, (EXSTDT, SOURCE_ROW)) as SOURCE_ROW,
        arg_min(RECID, (EXSTDT, SOURCE_ROW)) as RECID,
        case
            when bool_or(CHGTYPE = 'NEW') then 'NEW'
            when bool_or(CHGTYPE = 'CHANGED') then 'CHANGED'
        end as CHGTYPE
    from ex
    group by USUBJID, EXTRT, CYCLE
),

last_cycles as (
    select
        USUBJID,
        EXTRT,
        max(CYCLE) as LAST_CYCLE,
        max(max(CYCLE)) over (partition by USUBJID) as SUBJECT_LAST_CYCLE
    from cycles
    where N_TAKEN > 0
    group by USUBJID, EXTRT
),

final as (
    select
        c.USUBJID,
        c.EXTRT,
        c.CYCLE,
        'DOSE ' || c.EXTRT as TRACK,
        'Cycle ' || c.CYCLE as MARK,
        case
            when c.N_TAKEN = 0 then 'HELD'
            when c.REDUCED then 'REDUCED'
            when c.N_HELD > 0 then 'PARTLY HELD'
            else 'FULL'
        end as CATEGORY,
        cast(c.TOTAL_MG as double) as VALUE,
        'mg' as UNIT,
        case
            when c.CYCLE = l.LAST_CYCLE and (s.EOTSTT = 'DISCONTINUED' or l.LAST_CYCLE < l.SUBJECT_LAST_CYCLE)
                then 'DISCONTINUED'
        end as FLAG,
        c.N_RECORDS,
        c.N_TAKEN,
        c.START_DOSE,
        c.N_TAKEN || ' of ' || c.N_RECORDS || ' doses taken, ' || c.TOTAL_MG || ' mg in the cycle; '
        || 'starting dose ' || c.START_DOSE || ' mg, lowest planned ' || coalesce(cast(c.MIN_PLANNED as varchar), '?')
        || ' mg' as DETAIL,
        c.STARTDT,
        c.ENDDT,
        c.SOURCE_FILE,
        c.SOURCE_ROW,
        c.RECID,
        c.CHGTYPE
    from cycles as c
    inner join subjects as s on c.USUBJID = s.USUBJID
    left join last_cycles as l on c.USUBJID = l.USUBJID and c.EXTRT = l.EXTRT
)

select
    USUBJID,
    EXTRT,
    CYCLE,
    TRACK,
    MARK,
    CATEGORY,
    VALUE,
    UNIT,
    FLAG,
    N_RECORDS,
    N_TAKEN,
    START_DOSE,
    DETAIL,
    STARTDT,
    ENDDT,
    SOURCE_FILE,
    SOURCE_ROW,
    RECID,
    CHGTYPE
from final
order by USUBJID, TRACK, CYCLE
