-- Current state of the ecog records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with QSDT after the data cutoff are dropped.
{{ edc_current('ecog', cutoff_date='QSDT') }}
