-- Manifest of every transfer: one row per file the transfer declares.
with source as (
    select * from {{ ref('base_edc__manifest') }}
)

select
    TRANSFER_ID,
    try_strptime(TRANSFER_ID, '%Y%m%dT%H%M') as TRANSFER_DTM,
    SITEID,
    lower(FORM) as FORM,
    FILE,
    try_cast(ROWS as integer) as ROWS,
    lower(SHA256) as SHA256,
    SOURCE_FILE,
    SOURCE_ROW
from source
