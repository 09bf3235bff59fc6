-- Current state of the dm records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: a subject consented after the cutoff is not in the data (ICDT).
{{ edc_current('dm', cutoff_date='ICDT') }}
