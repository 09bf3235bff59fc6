{#
  edc_with_lineage(source_relation, depth='site')
  -----------------------------------------------
  A SELECT over one raw EDC source (read_csv over every transfer, see
  models/staging/edc/_edc__sources.yml) that adds the lineage columns, derived from the
  file path DuckDB reports (filename=true), never from the file contents:
    TRANSFER_ID   transfer folder (YYYYMMDDTHHMM)
    SITE_FOLDER   SITEID taken from the site_<SITEID> folder (NULL for the manifest)
    SOURCE_FILE   path relative to the extract root, e.g. 20190412T0200/site_103/ae.csv
    SOURCE_ROW    1-based data row (CSV record) within that file, header excluded

  DuckDB's CSV reader has no per-file row number; with preserve_insertion_order (DuckDB's
  default, also set in profiles.yml) a scan returns the rows of the glob's files in file
  order, so the row number is the scan position minus the file's first scan position, + 1.

  Arguments
    source_relation  source('edc', '<form>')
    depth            'site' for <root>/<transfer>/site_<id>/<file>,
                     'transfer' for <root>/<transfer>/<file> (manifest)
#}
{% macro edc_with_lineage(source_relation, depth='site') -%}
select
    raw.* exclude (filename, _SCAN_POS),
    {% if depth == 'site' -%}
    parse_path(raw.filename)[-3] as TRANSFER_ID,
    regexp_replace(parse_path(raw.filename)[-2], '^site_', '') as SITE_FOLDER,
    parse_path(raw.filename)[-3] || '/' || parse_path(raw.filename)[-2] || '/' || parse_path(raw.filename)[-1] as SOURCE_FILE,
    {%- else -%}
    parse_path(raw.filename)[-2] as TRANSFER_ID,
    parse_path(raw.filename)[-2] || '/' || parse_path(raw.filename)[-1] as SOURCE_FILE,
    {%- endif %}
    cast(raw._SCAN_POS - min(raw._SCAN_POS) over (partition by raw.filename) + 1 as integer) as SOURCE_ROW
from (
    select *, row_number() over () as _SCAN_POS
    from {{ source_relation }}
) as raw
{%- endmacro %}
