-- End of treatment (ds DSCAT = 'END OF TREATMENT', up to the data cutoff):
--   EOTSTT   'DISCONTINUED' when the subject has an end-of-treatment record, else 'ONGOING'
--   EOTDT    its date (DSSTDAT); DCTREAS its reason (DSDECOD)
-- Several end-of-treatment records: the latest one. Inputs: int_dm__current, int_ds__current.
with end_of_treatment as (
    select
        USUBJID,
        DSSTDT,
        DSDECOD,
        row_number() over (partition by USUBJID order by DSSTDT desc nulls last, RECID desc) as _RANK
    from {{ ref('int_ds__current') }}
    where DSCAT = 'END OF TREATMENT'
)

select
    dm.USUBJID,
    case when end_of_treatment.USUBJID is not null then 'DISCONTINUED' else 'ONGOING' end as EOTSTT,
    end_of_treatment.DSDECOD as DCTREAS,
    end_of_treatment.DSSTDT as EOTDT
from {{ ref('int_dm__current') }} as dm
left join end_of_treatment
    on dm.USUBJID = end_of_treatment.USUBJID
        and end_of_treatment._RANK = 1
