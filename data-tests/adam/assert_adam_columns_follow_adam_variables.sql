-- The ADaM datasets have no column outside seed adam_variables, and their columns follow its
-- VARNUM (XPT / Define-XML order). A listed column that is missing is the GX check
-- required_variables (validation.adam_checks), so the order compares the columns present.
{% set datasets = [ref('adsl'), ref('adrs'), ref('adtte'), ref('adae'), ref('adex')] %}
with actual as (
    select
        table_name as DATASET,
        column_name as VARIABLE,
        ordinal_position as COLUMN_POSITION
    from information_schema.columns
    where table_catalog = '{{ datasets[0].database }}'
        and table_schema = '{{ datasets[0].schema }}'
        and table_name in ('{{ datasets | map(attribute="identifier") | join("', '") }}')  -- noqa: LT05 (long only as templated)
),

spec as (
    select
        DATASET,
        VARIABLE,
        VARNUM
    from {{ ref('adam_variables') }}
),

present as (
    select
        actual.DATASET,
        actual.VARIABLE,
        spec.VARNUM,
        row_number() over (partition by actual.DATASET order by actual.COLUMN_POSITION) as ACTUAL_RANK,
        row_number() over (partition by actual.DATASET order by spec.VARNUM) as SPEC_RANK
    from actual
    inner join spec on actual.DATASET = spec.DATASET and actual.VARIABLE = spec.VARIABLE
)

select
    DATASET,
    VARIABLE,
    'not in seed adam_variables' as PROBLEM
from actual
where not exists (
        select 1 from spec
        where spec.DATASET = actual.DATASET and spec.VARIABLE = actual.VARIABLE
    )
union all
select
    DATASET,
    VARIABLE,
    'column ' || ACTUAL_RANK || ', VARNUM says ' || SPEC_RANK
from present
where ACTUAL_RANK <> SPEC_RANK
