-- Current state of the ex records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with EXSTDT after the data cutoff are dropped.
{{ edc_current('ex', cutoff_date='EXSTDT') }}
