-- SOURCE_ROW = rowid - FIRST_ROWID + 1 (macro edc_with_lineage) needs every file's rows to sit
-- contiguously in raw_edc__<form> (scan order kept). Fails for a file whose rowid range has
-- gaps or overlaps another file's range of the same form; then (SOURCE_FILE, SOURCE_ROW)
-- would not be unique.
select
    FORM,
    SOURCE_FILE,
    'rows not contiguous' as PROBLEM
from {{ ref('base_edc__files') }}
where LAST_ROWID - FIRST_ROWID + 1 <> N_ROWS
union all
select
    a.FORM,
    a.SOURCE_FILE,
    'overlaps ' || b.SOURCE_FILE
from {{ ref('base_edc__files') }} as a
inner join {{ ref('base_edc__files') }} as b
    on a.FORM = b.FORM
        and a.SOURCE_FILE < b.SOURCE_FILE
        and a.FIRST_ROWID <= b.LAST_ROWID
        and b.FIRST_ROWID <= a.LAST_ROWID
