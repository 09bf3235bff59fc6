{#
  edc_read_csv(form): the raw read of one form (or the manifests) - the dbt source's own
  read_csv(<glob>, <options>) (models/staging/edc/_edc__sources.yml: the options live there
  only) with the glob replaced by the list of files validation.delivery_inventory lets
  through (READ_OK: exactly named, no symbolic link, UTF-8, valid CSV, no over-long line).
  A file DuckDB could not parse therefore never reaches it, and one site's broken file can
  not stop the other sites' data from loading (docs/VALIDATION.md, "Isolation").
  Files are listed in SOURCE_FILE order (the scan order: rowids per file are contiguous).
  No readable file: an empty table with the contract's columns (seed extract_columns).
  Incremental (raw_edc__<form> appends; docs/VALIDATION.md "Incremental nightly"): a file
  already in the table (by its place under the extract root, SOURCE_FILE) is not read again,
  so a nightly build reads only the new transfers' files; --full-refresh reads them all.
#}
{% macro edc_read_csv(form) -%}
{%- set inventory = ref('delivery_inventory') -%}
{%- set _columns_seed = ref('extract_columns') -%}  {#- read only in some branches: ref it always, for dbt's parse -#}
{%- set glob_read = source('edc', form) | string -%}
{%- set parts = modules.re.match("^\\s*read_csv\\(\\s*'(?:[^']|'')*'\\s*,(.*)\\)\\s*$", glob_read, modules.re.S) -%}
{%- if execute and parts is none -%}
    {{ exceptions.raise_compiler_error("source edc." ~ form ~ " is not a read_csv('<glob>', <options>) call: " ~ glob_read) }}
{%- endif -%}
{%- set paths = [] -%}
{%- if execute -%}
    {%- set loaded_filter = '' -%}
    {%- if is_incremental() -%}
        {%- set loaded_filter = " and SOURCE_FILE not in (select distinct " ~ edc_source_file('filename', form) ~ " from " ~ this ~ ")" -%}
    {%- endif -%}
    {%- set found = run_query("select READ_PATH from " ~ inventory ~ " where READ_OK and FORM = '" ~ form ~ "'" ~ loaded_filter ~ " order by SOURCE_FILE") -%}
    {%- set paths = found.columns[0].values() -%}
{%- endif -%}
{%- set read_files -%}
read_csv([
    {%- for path in paths %}'{{ path | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
], {{ parts.group(1) | trim if parts else '' }})
{%- endset -%}
{%- if paths | length > 0 and is_incremental() -%}
{#- appended to the table by name: the contract's columns first (NULL where these files lack
    one, so a file missing a column cannot stop the append), any other column after them -#}
({{ edc_empty_read(form) }}
union all by name
select * from {{ read_files }})
{%- elif paths | length > 0 -%}
{{ read_files }}
{%- else -%}
({{ edc_empty_read(form) }})
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

{# edc_source_file(path, form): SOURCE_FILE (relative to the extract root) of a path DuckDB
   reports: <transfer>/manifest.csv, or <transfer>/site_<SITEID>/<form>.csv. #}
{% macro edc_source_file(path, form) -%}
{%- if form == 'manifest' -%}
parse_path({{ path }})[-2] || '/' || parse_path({{ path }})[-1]
{%- else -%}
parse_path({{ path }})[-3] || '/' || parse_path({{ path }})[-2] || '/' || parse_path({{ path }})[-1]
{%- endif -%}
{%- endmacro %}

{# edc_empty_read(form): no rows, with the contract's columns (all text) and `filename`. #}
{% macro edc_empty_read(form) -%}
select
    {%- for column in edc_contract_columns(form) %}
    cast(null as varchar) as "{{ column }}",
    {%- endfor %}
    cast(null as varchar) as filename
where false
{%- endmacro %}
