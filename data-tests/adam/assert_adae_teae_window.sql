-- Every treatment-emergent AE with a start date starts on/after TRTSDT and, unless it is a new
-- primary malignancy, no later than the last dose + 30 days; and every AE in that window is
-- flagged (the flag and the rule agree both ways).
select
    adae.USUBJID,
    adae.AESEQ,
    adae.ASTDT,
    adae.TRTEMFL,
    adae.NPMFL,
    adsl.TRTSDT,
    adsl.TRTEDT
from {{ ref('adae') }} as adae
inner join {{ ref('adsl') }} as adsl on adae.USUBJID = adsl.USUBJID
where adae.ASTDT is not null
    and adsl.TRTSDT is not null
    and (adae.TRTEMFL = 'Y') <> coalesce(
        adae.ASTDT >= adsl.TRTSDT and (adae.ASTDT <= adsl.TRTEDT + 30 or adae.NPMFL = 'Y'),
        false
    )
