-- Current state of the cm records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with CMSTDT after the data cutoff are dropped.
{{ edc_current('cm', cutoff_date='CMSTDT') }}
