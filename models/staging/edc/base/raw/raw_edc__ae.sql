-- Every ae file of every transfer (<root>/<transfer>/site_<SITEID>/ae.csv) that
-- validation.delivery_inventory lets through (macro edc_read_csv), as DuckDB's CSV reader
-- returns it: one plain parallel scan, every column the file's text (all_varchar), plus
-- `filename`. Written in scan order (preserve_insertion_order), so rowid - the file's first
-- rowid gives the row within the file (base_edc__files). Input: source edc.ae (its read_csv
-- options), validation.delivery_inventory (the files). Read by base_edc__ae.
select * from {{ edc_read_csv('ae') }}
