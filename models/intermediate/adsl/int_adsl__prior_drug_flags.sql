-- Prior drug exposure flags ('Y'/'N') from the drug codes of every prior line
-- (docs/derivations.md#prior-drug-classes):
--   PRIMIDFL  any IMiD (thalidomide, lenalidomide, pomalidomide)
--   PRPIFL    any proteasome inhibitor (bortezomib, carfilzomib, ixazomib)
--   PRTHALFL, PRLENFL, PRPOMFL, PRBORTFL, PRCARFFL, PRIXAFL  the single drugs
-- Inputs: int_dm__current, int_pt__current. One row per subject.
{% set drugs = {'PRTHALFL': 'THALIDOMIDE', 'PRLENFL': 'LENALIDOMIDE', 'PRPOMFL': 'POMALIDOMIDE',
                'PRBORTFL': 'BORTEZOMIB', 'PRCARFFL': 'CARFILZOMIB', 'PRIXAFL': 'IXAZOMIB'} %}
with prior_drugs as (
    select distinct
        USUBJID,
        trim(unnest(string_split(DRUGS, ';'))) as DRUG
    from {{ ref('int_pt__current') }}
    where DRUGS is not null
),

per_subject as (
    select
        USUBJID,
        {% for flag, drug in drugs.items() -%}
            bool_or(DRUG = '{{ drug }}') as _{{ flag }},
        {% endfor -%}
        bool_or(DRUG in ('THALIDOMIDE', 'LENALIDOMIDE', 'POMALIDOMIDE')) as _PRIMIDFL,
        bool_or(DRUG in ('BORTEZOMIB', 'CARFILZOMIB', 'IXAZOMIB')) as _PRPIFL
    from prior_drugs
    group by USUBJID
)

select
    dm.USUBJID,
    case when per_subject._PRIMIDFL then 'Y' else 'N' end as PRIMIDFL,
    {% for flag in drugs if flag in ('PRTHALFL', 'PRLENFL', 'PRPOMFL') -%}
        case when per_subject._{{ flag }} then 'Y' else 'N' end as {{ flag }},
    {% endfor -%}
    case when per_subject._PRPIFL then 'Y' else 'N' end as PRPIFL,
{% for flag in drugs if flag in ('PRBORTFL', 'PRCARFFL', 'PRIXAFL') -%}
    case when per_subject._{{ flag }} then 'Y' else 'N' end as {{ flag }}{{ "," if not loop.last }}
{% endfor %}
from {{ ref('int_dm__current') }} as dm
left join per_subject
    on dm.USUBJID = per_subject.USUBJID
