-- BSABL: baseline body surface area, m2, DuBois, unrounded (docs/derivations.md#body-surface-area-bsabl):
--   0.007184 x weight(kg)^0.425 x height(cm)^0.725
-- Input: int_adsl__baseline_values. One row per subject.
select
    USUBJID,
    0.007184 * pow(WEIGHTBL, 0.425) * pow(HEIGHTBL, 0.725) as BSABL
from {{ ref('int_adsl__baseline_values') }}
