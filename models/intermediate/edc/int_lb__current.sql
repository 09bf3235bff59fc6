-- Current state of the lb records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with LBDT after the data cutoff are dropped.
{{ edc_current('lb', cutoff_date='LBDT') }}
