-- validation.delivery_status: the consequence of every failed delivery check, as a leaf view
-- whose test (delivery_report_no_open_quarantine) sets the build's exit status. The test
-- sits here, not on delivery_report, because dbt skips every child of a model whose test
-- fails: run_log (and later the publication) read delivery_report and must still run.
-- Input: validation.delivery_report.
select
    SITEID,
    TRANSFER_ID,
    STATUS,
    CHECK_ID,
    MESSAGE
from {{ ref('delivery_report') }}
