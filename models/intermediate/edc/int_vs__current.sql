-- Current state of the vs records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with VSDT after the data cutoff are dropped.
{{ edc_current('vs', cutoff_date='VSDT') }}
