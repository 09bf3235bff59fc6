-- Current state of the pt records: highest RECVER in the site's latest transfer,
-- DELETED records dropped (macro edc_current).
-- Cutoff: baseline history (dates before consent); not filtered.
{{ edc_current('pt') }}
