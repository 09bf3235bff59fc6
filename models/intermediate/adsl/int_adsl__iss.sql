-- ISS: International Staging System stage from baseline beta-2 microglobulin (mg/L) and
-- albumin (g/dL) (docs/derivations.md#iss-stage): I if B2M < 3.5 and albumin >= 3.5; III if B2M >= 5.5;
-- otherwise II. NULL when the values do not decide the stage.
-- Input: int_adsl__baseline_values. One row per subject.
select
    USUBJID,
    case
        when B2MBL >= 5.5 then 'III'
        when B2MBL < 3.5 and ALBBL >= 3.5 then 'I'
        when B2MBL is not null and ALBBL is not null then 'II'
        when B2MBL >= 3.5 then 'II'
    end as ISS
from {{ ref('int_adsl__baseline_values') }}
