{#
  edc_read_csv(form): the raw read of one form (or the manifests) - the dbt source's own
  read_csv(<glob>, <options>) (models/staging/edc/_edc__sources.yml: the options live there
  only) with the glob replaced by the list of files validation.delivery_inventory lets
  through (READ_OK: exactly named, no symbolic link, UTF-8, valid CSV, no over-long line).
  A file DuckDB could not parse therefore never reaches it, and one site's broken file can
  not stop the other sites' data from loading (docs/VALIDATION.md, "Isolation").
  Files are listed in SOURCE_FILE order (the scan order: rowids per file are contiguous).
  No readable file: an empty table with the contract's columns (seed extract_columns).
#}
{% macro edc_read_csv(form) -%}
{%- set inventory = ref('delivery_inventory') -%}
{%- set glob_read = source('edc', form) | string -%}
{%- set parts = modules.re.match("^\\s*read_csv\\(\\s*'(?:[^']|'')*'\\s*,(.*)\\)\\s*$", glob_read, modules.re.S) -%}
{%- if execute and parts is none -%}
    {{ exceptions.raise_compiler_error("source edc." ~ form ~ " is not a read_csv('<glob>', <options>) call: " ~ glob_read) }}
{%- endif -%}
{%- set paths = [] -%}
{%- if execute -%}
    {%- set found = run_query("select READ_PATH from " ~ inventory ~ " where READ_OK and FORM = '" ~ form ~ "' order by SOURCE_FILE") -%}
    {%- set paths = found.columns[0].values() -%}
{%- endif -%}
{%- if paths | length > 0 -%}
read_csv([
    {%- for path in paths %}'{{ path | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
], {{ parts.group(1) | trim if parts else '' }})
{%- else -%}
(select
    {%- for column in edc_contract_columns(form) %}
    cast(null as varchar) as "{{ column }}",
    {%- endfor %}
    cast(null as varchar) as filename
where false)
{%- endif -%}
{%- endmacro %}

{# The columns a file of `form` has by the contract (seed extract_columns; the manifest's
   are fixed by the spec). #}
{% macro edc_contract_columns(form) -%}
{%- if form == 'manifest' -%}
    {{ return(['SITEID', 'FORM', 'FILE', 'ROWS', 'SHA256']) }}
{%- endif -%}
{%- set columns = [] -%}
{%- if execute -%}
    {%- set found = run_query("select COLUMN_NAME from " ~ ref('extract_columns') ~ " where FORM in ('*', '" ~ form ~ "') order by FORM = '*' desc, POSITION") -%}
    {%- set columns = found.columns[0].values() -%}
{%- endif -%}
{{ return(columns) }}
{%- endmacro %}
