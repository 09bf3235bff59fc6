-- Current state of the fish records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with FISHDT after the data cutoff are dropped.
{{ edc_current('fish', cutoff_date='FISHDT') }}
