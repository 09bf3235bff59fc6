-- Nothing dated after the data cutoff (dbt var data_cutoff) enters the core ADaM tables.
{% set adsl_dates = [
    'RFICDT', 'ENRLDT', 'TRTSDT', 'TRTEDT', 'DIAGDT', 'LASCTDT', 'EOTDT', 'DTHDT', 'LSTALVDT', 'SUBSQDT'
] %}
{% for col in adsl_dates %}
    select
        'adsl' as DATASET,
        USUBJID,
        '{{ col }}' as VARIABLE,
        {{ col }} as VALUE
    from {{ ref('adsl') }}
    where {{ col }} > {{ data_cutoff() }}
    union all
{% endfor %}
select
    'adae',
    USUBJID,
    'ASTDT',
    ASTDT
from {{ ref('adae') }}
where ASTDT > {{ data_cutoff() }}
union all
select
    'adae',
    USUBJID,
    'AENDT',
    AENDT
from {{ ref('adae') }}
where AENDT > {{ data_cutoff() }}
