-- A subject with a treatment-emergent AE took study drug: SAFFL = 'Y'.
select distinct adae.USUBJID
from {{ ref('adae') }} as adae
inner join {{ ref('adsl') }} as adsl on adae.USUBJID = adsl.USUBJID
where adae.TRTEMFL = 'Y' and adsl.SAFFL <> 'Y'
