-- Current state of the ds records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with DSSTDT after the data cutoff are dropped.
{{ edc_current('ds', cutoff_date='DSSTDT') }}
