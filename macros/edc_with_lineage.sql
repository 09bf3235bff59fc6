{#
  Lineage of the raw EDC rows (models/staging/edc/base).
  -----------------------------------------------------
  raw_edc__<form> holds every row of every file of the form exactly as DuckDB's read_csv
  returned it (plus `filename`), written by one parallel scan in scan order
  (preserve_insertion_order, profiles.yml): a file's rows are contiguous and in file order,
  so a row's place in its file is its rowid minus the file's first rowid, + 1.
  Lineage is derived from the file path DuckDB reports, never from the file contents:
    TRANSFER_ID   transfer folder (YYYYMMDDTHHMM)
    SITE_FOLDER   SITEID taken from the site_<SITEID> folder (NULL for the manifest)
    SOURCE_FILE   path relative to the extract root, e.g. 20190412T0200/site_103/ae.csv
    SOURCE_ROW    1-based data row (CSV record) within that file, header excluded
  Performance (issue 7): the earlier form, ROW_NUMBER() OVER () during the scan, made the
  scan single-threaded and cost 2.4x the plain read (lb at 100k subjects: 44 s vs 18 s);
  the per-file facts are now one small aggregate (base_edc__files) joined by filename.
#}

{# edc_file_lineage(form): one row per file of raw_edc__<form> (for base_edc__files). #}
{% macro edc_file_lineage(form) -%}
select
    '{{ form }}' as FORM,
    filename as FILENAME,
    {% if form == 'manifest' -%}
    parse_path(filename)[-2] as TRANSFER_ID,
    cast(null as varchar) as SITE_FOLDER,
    {{ edc_source_file('filename', form) }} as SOURCE_FILE,
    {%- else -%}
    parse_path(filename)[-3] as TRANSFER_ID,
    regexp_replace(parse_path(filename)[-2], '^site_', '') as SITE_FOLDER,
    {{ edc_source_file('filename', form) }} as SOURCE_FILE,
    {%- endif %}
    min(rowid) as FIRST_ROWID,
    max(rowid) as LAST_ROWID,
    count(*) as N_ROWS
from {{ ref('raw_edc__' ~ form) }}
group by filename
{%- endmacro %}

{# edc_with_lineage(form): the rows of raw_edc__<form> with the lineage columns. #}
{% macro edc_with_lineage(form) -%}
select
    raw_.* exclude (filename),
    files.TRANSFER_ID,
    {% if form != 'manifest' -%}
    files.SITE_FOLDER,
    {% endif -%}
    files.SOURCE_FILE,
    cast(raw_.rowid - files.FIRST_ROWID + 1 as integer) as SOURCE_ROW
from {{ ref('raw_edc__' ~ form) }} as raw_
inner join {{ ref('base_edc__files') }} as files
    on files.FORM = '{{ form }}'
    and files.FILENAME = raw_.filename
{%- endmacro %}
