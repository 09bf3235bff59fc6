-- Raw rs rows of every transfer with lineage: the file's text (VARCHAR, empty field = NULL)
-- plus TRANSFER_ID, SITE_FOLDER, SOURCE_FILE, SOURCE_ROW (macro edc_with_lineage).
-- Inputs: raw_edc__rs (the CSV read once), base_edc__files. A view: read by stg_edc__rs
-- and the delivery checks.
{{ edc_with_lineage('rs') }}
