-- Name:  ADRS
-- Label: Response Analysis Dataset (IMWG 2016, derived from central laboratory values)
-- Input: adsl, int_rs__current, int_response__assessments, int_response__confirmed,
--        int_response__bor_eligible, int_response__best_overall, int_response__pd_confirmed,
--        seeds adrs_parameters, response_categories
-- One row per subject, parameter and assessment (seeds/adam_rules.csv):
--   OVRLRESP  response per post-baseline assessment from the central labs (before confirmation)
--   INVRESP   the investigator's response (rs), kept for concordance, not for endpoints
--   CNFRESP   response after confirmation, per assessment, dated at the first of the pair;
--             ANL01FL = 'Y' where it is eligible for the best overall response
--   BOR       confirmed best overall response, one row per response-evaluable subject
--   PDCNF     first confirmed progression (ADT = its date), one row per subject with one
-- Traceability: OVRLRESP/INVRESP point at the raw record (SRCDOM LB/RS, SRCVAR its date or
-- result, SRCSEQ its LBSEQ/RSSEQ = number among the subject's current records of the form in
-- RECID order, RECID the EDC record id, lineage SOURCE_FILE/SOURCE_ROW); the derived
-- parameters point at the ADRS row they come from (SRCDOM ADRS, SRCSEQ = that row's ASEQ).
with subjects as (
    select
        STUDYID,
        USUBJID,
        TRTSDT,
        RSEVFL
    from {{ ref('adsl') }}
),

categories as (
    select
        AVALC,
        AVAL
    from {{ ref('response_categories') }}
),

rs_sequenced as (
    -- RSSEQ: the record's number among the subject's current rs records in RECID order
    -- (as in int_response__investigator_pd)
    select
        *,
        row_number() over (partition by USUBJID order by RECID) as RSSEQ
    from {{ ref('int_rs__current') }}
),

ovrlresp as (
    select
        a.USUBJID,
        'OVRLRESP' as PARAMCD,
        a.ASMSEQ,
        a.VISIT as AVISIT,
        a.ADT,
        a.AVALC,
        a.AVAL,
        cast(null as varchar) as ANL01FL,
        a.SRCDOM,
        a.SRCVAR,
        a.SRCSEQ,
        a.SRCRECID as RECID,
        cast(null as varchar) as _SRC_PARAMCD,
        cast(null as bigint) as _SRC_ASMSEQ,
        a.SOURCE_FILE,
        a.SOURCE_ROW
    from {{ ref('int_response__assessments') }} as a
),

invresp as (
    select
        rs.USUBJID,
        'INVRESP' as PARAMCD,
        cast(null as bigint) as ASMSEQ,
        rs.VISIT as AVISIT,
        rs.RSDT as ADT,
        rs.RSORRES as AVALC,
        categories.AVAL,
        cast(null as varchar) as ANL01FL,
        'RS' as SRCDOM,
        'RSORRES' as SRCVAR,
        rs.RSSEQ as SRCSEQ,
        rs.RECID,
        cast(null as varchar) as _SRC_PARAMCD,
        cast(null as bigint) as _SRC_ASMSEQ,
        rs.SOURCE_FILE,
        rs.SOURCE_ROW
    from rs_sequenced as rs
    left join categories on rs.RSORRES = categories.AVALC
),

cnfresp as (
    select
        c.USUBJID,
        'CNFRESP' as PARAMCD,
        c.ASMSEQ,
        c.VISIT as AVISIT,
        c.ADT,
        c.AVALC,
        c.AVAL,
        e.BORELGFL as ANL01FL,
        'ADRS' as SRCDOM,
        'AVALC' as SRCVAR,
        cast(null as integer) as SRCSEQ,
        cast(null as varchar) as RECID,
        'OVRLRESP' as _SRC_PARAMCD,
        c.ASMSEQ as _SRC_ASMSEQ,
        cast(null as varchar) as SOURCE_FILE,
        cast(null as integer) as SOURCE_ROW
    from {{ ref('int_response__confirmed') }} as c
    left join {{ ref('int_response__bor_eligible') }} as e
        on c.USUBJID = e.USUBJID and c.ASMSEQ = e.ASMSEQ
),

bor as (
    select
        b.USUBJID,
        'BOR' as PARAMCD,
        b.BORASMSEQ as ASMSEQ,
        cast(null as varchar) as AVISIT,
        b.BORDT as ADT,
        b.BOR as AVALC,
        b.BORN as AVAL,
        cast(null as varchar) as ANL01FL,
        'ADRS' as SRCDOM,
        'AVALC' as SRCVAR,
        cast(null as integer) as SRCSEQ,
        cast(null as varchar) as RECID,
        'CNFRESP' as _SRC_PARAMCD,
        b.BORASMSEQ as _SRC_ASMSEQ,
        cast(null as varchar) as SOURCE_FILE,
        cast(null as integer) as SOURCE_ROW
    from {{ ref('int_response__best_overall') }} as b
    inner join subjects on b.USUBJID = subjects.USUBJID
    where subjects.RSEVFL = 'Y'
),

pdcnf as (
    select
        pd.USUBJID,
        'PDCNF' as PARAMCD,
        pd.ASMSEQ,
        pd.VISIT as AVISIT,
        pd.PDDT as ADT,
        'PD' as AVALC,
        categories.AVAL,
        cast(null as varchar) as ANL01FL,
        'ADRS' as SRCDOM,
        'ADT' as SRCVAR,
        cast(null as integer) as SRCSEQ,
        cast(null as varchar) as RECID,
        'CNFRESP' as _SRC_PARAMCD,
        pd.ASMSEQ as _SRC_ASMSEQ,
        cast(null as varchar) as SOURCE_FILE,
        cast(null as integer) as SOURCE_ROW
    from {{ ref('int_response__pd_confirmed') }} as pd
    left join categories on categories.AVALC = 'PD'
),

unioned as (
    select * from ovrlresp
    union all
    select * from invresp
    union all
    select * from cnfresp
    union all
    select * from bor
    union all
    select * from pdcnf
),

sequenced as (
    select
        subjects.STUDYID,
        unioned.*,
        params.PARAMN,
        params.PARAM,
        case when unioned.ADT is not null then cast(
                    unioned.ADT - subjects.TRTSDT + case when unioned.ADT >= subjects.TRTSDT then 1 else 0 end
                    as integer
                )
        end as ADY,
        row_number() over (
            partition by unioned.USUBJID
            order by params.PARAMN, unioned.ADT, unioned.ASMSEQ, unioned.AVISIT, unioned.SRCSEQ
        ) as ASEQ
    from unioned
    inner join subjects on unioned.USUBJID = subjects.USUBJID
    inner join {{ ref('adrs_parameters') }} as params on unioned.PARAMCD = params.PARAMCD
)

select
    s.STUDYID,
    s.USUBJID,
    s.ASEQ,
    s.PARAMCD,
    s.PARAM,
    s.PARAMN,
    s.AVISIT,
    s.ADT,
    s.ADY,
    s.AVALC,
    s.AVAL,
    s.ANL01FL,
    s.SRCDOM,
    s.SRCVAR,
    coalesce(s.SRCSEQ, src.ASEQ) as SRCSEQ,
    s.RECID,
    s.SOURCE_FILE,
    s.SOURCE_ROW
from sequenced as s
left join sequenced as src
    on s._SRC_PARAMCD = src.PARAMCD
        and s.USUBJID = src.USUBJID
        and s._SRC_ASMSEQ = src.ASMSEQ
