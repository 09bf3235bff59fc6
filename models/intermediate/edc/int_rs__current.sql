-- Current state of the rs records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: records with RSDT after the data cutoff are dropped.
{{ edc_current('rs', cutoff_date='RSDT') }}
