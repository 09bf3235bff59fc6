-- Current state of the fu records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with FUDT after the data cutoff are dropped.
{{ edc_current('fu', cutoff_date='FUDT') }}
