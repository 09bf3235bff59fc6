-- Current state of the dd records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with DTHDT after the data cutoff are dropped.
{{ edc_current('dd', cutoff_date='DTHDT') }}
