-- No character value of the ADaM datasets is longer (in bytes, as XPT counts) than the LENGTH
-- of its variable in seed adam_variables: the one home of this check (docs/VALIDATION.md
-- "Each rule checked once"). Whole columns, not GX's reduced frames. A listed column that is
-- missing is GX's required_variables, so only the columns present are measured.
{% set datasets = [ref('adsl'), ref('adrs'), ref('adtte'), ref('adae'), ref('adex')] %}
{% set measured = [] %}
{% if execute %}
    {% set char_variables = run_query(
        "select DATASET, VARIABLE from " ~ ref('adam_variables') ~ " where TYPE = 'Char'"
    ) %}
    {% for relation in datasets %}
        {% set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | list %}
        {% set columns = [] %}
        {% for row in char_variables.rows if row[0] == relation.identifier and row[1] in present %}
            {% do columns.append(row[1]) %}
        {% endfor %}
        {% if columns %}
            {% do measured.append((relation, columns)) %}
        {% endif %}
    {% endfor %}
{% endif %}
with longest as (
    {% for relation, columns in measured %}
        {% if not loop.first %}union all{% endif %}
        select
            '{{ relation.identifier }}' as DATASET,
            VARIABLE,
            MAX_LENGTH
        from (
            unpivot (
                select
                    {% for column in columns %}
                        max(strlen(cast("{{ column }}" as varchar))) as "{{ column }}"{% if not loop.last %},{% endif %}
                    {% endfor %}
                from {{ relation }}
            ) on columns(*) into name VARIABLE value MAX_LENGTH
        )
    {% else %}
        select
            cast(null as varchar) as DATASET,
            cast(null as varchar) as VARIABLE,
            cast(null as bigint) as MAX_LENGTH
        where false
    {% endfor %}
)

select
    longest.DATASET,
    longest.VARIABLE,
    spec.LENGTH,
    longest.MAX_LENGTH
from longest
inner join {{ ref('adam_variables') }} as spec
    on longest.DATASET = spec.DATASET and longest.VARIABLE = spec.VARIABLE
where longest.MAX_LENGTH > spec.LENGTH
