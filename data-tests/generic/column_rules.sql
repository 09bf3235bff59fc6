{#
  Generic test: the per-column rules of one model (or seed) in ONE query, one scan, instead
  of one dbt test per column and rule (issue 16: 475 per-column tests cost ~30 ms each plus
  dbt's overhead, and caught nothing a query per model does not catch). The same rules as
  dbt's built-in tests of the same name:
    not_null          the column has no null
    unique            no non-null value occurs twice (nulls are not compared)
    accepted_values   every non-null value is one of the list (values quoted, as the
                      built-in test's default)
  Usage (a model-level test, next to the model's other tests):
    data_tests:
      - column_rules:
          arguments:
            not_null: [USUBJID, PARAMCD]
            unique: [USUBJID]
            accepted_values:
              PARAMCD: [PFS, OS]
  A broken rule makes the test fail (an error) with a message naming the model, every
  broken rule and column, and how many rows break it:
    int_dm__current: not_null SEX: 3 row(s); accepted_values RACE [ASIAN, WHITE]: 1 row(s)
  A rule with its own config (a `where`, severity warn) stays a test of its own.
#}
{% test column_rules(model, not_null=[], unique=[], accepted_values={}) %}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
{%- do checks.append(('not_null ' ~ column, 'count(*) filter (where ' ~ column ~ ' is null)')) -%}
{%- endfor -%}
    {%- for column in unique -%}
{#- rows beyond the first of every duplicated value -#}
{%- do checks.append(('unique ' ~ column, 'count(' ~ column ~ ') - count(distinct ' ~ column ~ ')')) -%}
{%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
{%- set listed = [] -%}
{%- for value in values -%}
{%- do listed.append("'" ~ (value | string).replace("'", "''") ~ "'") -%}
{%- endfor -%}
{%- do checks.append((
        'accepted_values ' ~ column ~ ' [' ~ (values | join(', ')) ~ ']',
        'count(*) filter (where ' ~ column ~ ' not in (' ~ (listed | join(', ')) ~ '))'
    )) -%}
{%- endfor -%}
    {%- if not checks -%}
    {{ exceptions.raise_compiler_error('column_rules on ' ~ model.identifier ~ ': no rule given') }}
{%- endif -%}
with counts as (
    select
    {%- for label, expression in checks %}
        {{ expression }} as C{{ loop.index }}{{ ',' if not loop.last }}
{%- endfor %}
    from {{ model }}
),

failed as (
{%- for label, expression in checks %}
    select {{ loop.index }} as N, '{{ label | replace("'", "''") }}' as RULE, C{{ loop.index }} as N_ROWS
    from counts
    where C{{ loop.index }} > 0
    {{- '\n    union all' if not loop.last }}
{%- endfor %}
)

-- error(): dbt's own failure message would only say how many rules broke, not which column
select RULE, N_ROWS
from failed
where error(
    '{{ model.identifier }}: ' || (
        select string_agg(RULE || ': ' || N_ROWS || ' row(s)', '; ' order by N) from failed
    )
) is null
{% endtest %}
