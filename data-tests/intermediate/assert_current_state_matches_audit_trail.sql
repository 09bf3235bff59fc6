-- The current-state model and the audit trail agree for ae (the form with corrections and
-- deletions): every record of int_ae__current is the audit trail's current version
-- (CURRENT_FL 'Y', ACTIVE), no record has two current versions, and no deleted record is
-- current. (The audit trail is a view: checking every form would re-derive every version of
-- all raw rows - 68 M at 100k subjects; for every form, the unique (SITE_FOLDER, RECID) tests
-- on int_<form>__current keep one current version per record.)
{% for form in ['ae'] %}
    select
        '{{ form }}' as FORM,
        cur.SITE_FOLDER,
        cur.RECID,
        'current record not current in audit trail' as PROBLEM
    from {{ ref('int_' ~ form ~ '__current') }} as cur
    left join {{ ref('int_edc__audit_trail') }} as audit
        on audit.FORM = '{{ form }}'
            and audit.SITE_FOLDER = cur.SITE_FOLDER
            and audit.RECID = cur.RECID
            and audit.RECVER = cur.RECVER
            and audit.CURRENT_FL = 'Y'
    where audit.RECID is null or audit.RECSTAT <> 'ACTIVE'
    union all
{% endfor %}
select
    FORM,
    SITE_FOLDER,
    RECID,
    'several current versions'
from {{ ref('int_edc__audit_trail') }}
where CURRENT_FL = 'Y' and FORM = 'ae'
group by FORM, SITE_FOLDER, RECID
having count(*) > 1
union all
select
    audit.FORM,
    audit.SITE_FOLDER,
    audit.RECID,
    'deleted record still current'
from {{ ref('int_edc__audit_trail') }} as audit
inner join {{ ref('int_ae__current') }} as cur
    on audit.FORM = 'ae' and audit.SITE_FOLDER = cur.SITE_FOLDER and audit.RECID = cur.RECID
where audit.CURRENT_FL = 'Y' and audit.RECSTAT = 'DELETED'
