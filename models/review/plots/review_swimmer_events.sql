-- review_swimmer_events
-- Markers of the swimmer lanes, one row per treated subject and event that happened,
-- docs/derivations.md#review-swimmer (events and their order: seed swimmer_events):
--   PR_OR_BETTER, VGPR_OR_BETTER, CR_OR_BETTER  the first confirmed response at least that good:
--       the earliest adrs CNFRESP row with ANL01FL = 'Y' (eligible for BOR) and AVAL <= the AVAL of
--       AT_LEAST (response_categories), dated at its ADT (the onset: the first of the confirming pair)
--   PD     adrs PDCNF (first confirmed PD)
--   DEATH  adsl DTHDT (source: the dd record of that date)
--   EOT    adsl EOTDT (source: the end-of-treatment ds record of that date)
-- ADY: study day (#study-day, day 1 = TRTSDT). SOURCE_FILE/SOURCE_ROW: the raw record
-- (lineage.adrs_lineage of the assessment the adrs row derives from - SRCDOM/SRCSEQ followed
-- through CNFRESP/PDCNF -, the current dd / ds record otherwise).
-- Inputs: review_swimmer, adrs, adrs_lineage, response_categories, swimmer_events,
-- int_dd__current, int_ds__current.
with events as (
    select
        EVENT,
        EVENTN,
        LABEL,
        SOURCE_PARAMCD,
        AT_LEAST
    from {{ ref('swimmer_events') }}
),

treated as (
    select
        USUBJID,
        TRTSDT,
        DTHDT,
        EOTDT
    from {{ ref('review_swimmer') }}
),

onsets as (
    select
        r.USUBJID,
        e.EVENT,
        r.ADT,
        r.ADY,
        r.AVALC,
        'ADRS' as SRCDOM,
        r.ASEQ as SRCSEQ,
        row_number() over (partition by r.USUBJID, e.EVENT order by r.ADT, r.ASEQ) as _RANK
    from {{ ref('adrs') }} as r
    inner join events as e
        on r.PARAMCD = e.SOURCE_PARAMCD and e.AT_LEAST is not null
    inner join {{ ref('response_categories') }} as threshold
        on e.AT_LEAST = threshold.AVALC
    where r.ANL01FL = 'Y' and r.AVAL <= threshold.AVAL
),

progression as (
    select
        r.USUBJID,
        e.EVENT,
        r.ADT,
        r.ADY,
        r.AVALC,
        'ADRS' as SRCDOM,
        r.ASEQ as SRCSEQ,
        row_number() over (partition by r.USUBJID order by r.ADT, r.ASEQ) as _RANK
    from {{ ref('adrs') }} as r
    inner join events as e
        on r.PARAMCD = e.SOURCE_PARAMCD and e.EVENT = 'PD'
),

adrs_events as (
    select
        a.USUBJID,
        a.EVENT,
        a.ADT,
        a.ADY,
        a.AVALC,
        a.SRCDOM,
        a.SRCSEQ,
        -- derived ADRS rows (CNFRESP, PDCNF) point at the ADRS row they come from: follow
        -- up to two such steps to the assessment row that has a raw record
        coalesce(l0.SOURCE_FILE, l1.SOURCE_FILE, l2.SOURCE_FILE) as SOURCE_FILE,
        coalesce(l0.SOURCE_ROW, l1.SOURCE_ROW, l2.SOURCE_ROW) as SOURCE_ROW
    from (
        select * from onsets
        where _RANK = 1
        union all
        select * from progression
        where _RANK = 1
    ) as a
    left join {{ ref('adrs') }} as r0
        on a.USUBJID = r0.USUBJID and a.SRCSEQ = r0.ASEQ
    left join {{ ref('adrs') }} as r1
        on r0.USUBJID = r1.USUBJID and r0.SRCDOM = 'ADRS' and r0.SRCSEQ = r1.ASEQ
    left join {{ ref('adrs') }} as r2
        on r1.USUBJID = r2.USUBJID and r1.SRCDOM = 'ADRS' and r1.SRCSEQ = r2.ASEQ
    left join {{ ref('adrs_lineage') }} as l0
        on r0.USUBJID = l0.USUBJID and r0.ASEQ = l0.ASEQ
    left join {{ ref('adrs_lineage') }} as l1
        on r1.USUBJID = l1.USUBJID and r1.ASEQ = l1.ASEQ
    left join {{ ref('adrs_lineage') }} as l2
        on r2.USUBJID = l2.USUBJID and r2.ASEQ = l2.ASEQ
),

deaths as (
    select
        t.USUBJID,
        'DEATH' as EVENT,
        t.DTHDT as ADT,
        d.SOURCE_FILE,
        d.SOURCE_ROW,
        row_number() over (partition by t.USUBJID order by d.RECID desc) as _RANK
    from treated as t
    left join {{ ref('int_dd__current') }} as d
        on t.USUBJID = d.USUBJID and t.DTHDT = d.DTHDT
    where t.DTHDT is not null
),

ends as (
    select
        t.USUBJID,
        'EOT' as EVENT,
        t.EOTDT as ADT,
        d.SOURCE_FILE,
        d.SOURCE_ROW,
        row_number() over (partition by t.USUBJID order by d.RECID desc) as _RANK
    from treated as t
    left join {{ ref('int_ds__current') }} as d
        on t.USUBJID = d.USUBJID and t.EOTDT = d.DSSTDT and d.DSCAT = 'END OF TREATMENT'
    where t.EOTDT is not null
),

dated as (
    select
        USUBJID,
        EVENT,
        ADT,
        cast(null as varchar) as AVALC,
        'DD' as SRCDOM,
        cast(null as bigint) as SRCSEQ,
        SOURCE_FILE,
        SOURCE_ROW
    from deaths
    where _RANK = 1
    union all
    select
        USUBJID,
        EVENT,
        ADT,
        null,
        'DS',
        null,
        SOURCE_FILE,
        SOURCE_ROW
    from ends
    where _RANK = 1
),

all_events as (
    select
        a.USUBJID,
        a.EVENT,
        a.ADT,
        a.ADY,
        a.AVALC,
        a.SRCDOM,
        a.SRCSEQ,
        a.SOURCE_FILE,
        a.SOURCE_ROW
    from adrs_events as a
    inner join treated as t on a.USUBJID = t.USUBJID
    union all
    select
        d.USUBJID,
        d.EVENT,
        d.ADT,
        cast(d.ADT - t.TRTSDT + case when d.ADT >= t.TRTSDT then 1 else 0 end as integer) as ADY,
        d.AVALC,
        d.SRCDOM,
        d.SRCSEQ,
        d.SOURCE_FILE,
        d.SOURCE_ROW
    from dated as d
    inner join treated as t on d.USUBJID = t.USUBJID
)

select
    a.USUBJID,
    a.EVENT,
    e.EVENTN,
    e.LABEL,
    a.ADT,
    a.ADY,
    a.AVALC,
    a.SRCDOM,
    a.SRCSEQ,
    a.SOURCE_FILE,
    a.SOURCE_ROW
from all_events as a
inner join events as e on a.EVENT = e.EVENT
order by a.USUBJID, a.ADY, e.EVENTN
