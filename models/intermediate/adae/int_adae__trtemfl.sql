-- TRTEMFL / NPMFL (docs/derivations.md#treatment-emergent-window-trtemfl,
-- docs/derivations.md#new-primary-malignancy-npmfl):
--   NPMFL    'Y' when the preferred term is in the AE grouping 'New primary malignancy'
--            (seed ae_groupings, AEGRP = 'New primary malignancy'), else NULL
--   TRTEMFL  'Y' when the AE starts on/after TRTSDT and no later than the last dose + 30
--            days (ASTDT <= TRTEDT + 30), or - for a new primary malignancy - starts on/after
--            TRTSDT at any time; an AE of a treated subject with no usable start date counts
--            as treatment-emergent (conservative); else NULL. Untreated subjects: NULL.
-- Inputs: int_ae__current, int_adae__astdt_aendt, int_adsl__trtsdt_trtedt, ae_groupings.
with npm_terms as (
    select distinct AEDECOD
    from {{ ref('ae_groupings') }}
    where AEGRP = 'New primary malignancy'
),

ae as (
    select
        ae.USUBJID,
        ae.SITE_FOLDER,
        ae.RECID,
        dates.ASTDT,
        trt.TRTSDT,
        trt.TRTEDT,
        npm_terms.AEDECOD is not null as IS_NPM
    from {{ ref('int_ae__current') }} as ae
    inner join {{ ref('int_adae__astdt_aendt') }} as dates
        on ae.SITE_FOLDER = dates.SITE_FOLDER
            and ae.RECID = dates.RECID
    left join {{ ref('int_adsl__trtsdt_trtedt') }} as trt
        on ae.USUBJID = trt.USUBJID
    left join npm_terms
        on ae.AEDECOD = npm_terms.AEDECOD
)

select
    USUBJID,
    SITE_FOLDER,
    RECID,
    case
        when TRTSDT is null then null
        when ASTDT is null then 'Y'
        when ASTDT >= TRTSDT and ASTDT <= TRTEDT + 30 then 'Y'
        when ASTDT >= TRTSDT and IS_NPM then 'Y'
    end as TRTEMFL,
    case when IS_NPM then 'Y' end as NPMFL
from ae
