-- One row per raw file read (every form, every transfer): its lineage and where its rows sit
-- in raw_edc__<form> (FIRST_ROWID, N_ROWS; a file's rows are contiguous in scan order).
-- Inputs: raw_edc__<form>. Small (files, not rows); macro edc_file_lineage.
-- A table, unlike the other base models (views): every base_edc__<form> view joins it.
{{ config(materialized="table") }}
{% set forms = ['manifest', 'dm', 'vs', 'mh', 'ecog', 'pt', 'fish', 'ex', 'lb', 'rs', 'ae', 'ds', 'dd', 'fu', 'cm'] %}
{% for form in forms %}
    {{ edc_file_lineage(form) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
