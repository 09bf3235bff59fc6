-- Every pt file of every transfer (<root>/<transfer>/site_<SITEID>/pt.csv) as DuckDB's CSV reader returns it: one
-- plain parallel scan, every column the file's text (all_varchar), plus `filename`. Written
-- in scan order (preserve_insertion_order), so rowid - the file's first rowid gives the row
-- within the file (base_edc__files). Input: source edc.pt. Read by base_edc__pt.
{{ config(materialized='table') }}
select * from {{ source('edc', 'pt') }}
