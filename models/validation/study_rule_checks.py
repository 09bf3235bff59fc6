"""validation.study_rule_checks -- protocol rules a data manager queries a site about.

Inputs: validation.study_rule_subjects, validation.study_rule_records, seed study_rules,
validation.build_info. GX suites study_rules_subjects and study_rules_records
(expectations/suites.py, generated from the seed): eligibility (refractory to lenalidomide or
to a proteasome-inhibitor line; age, prior lines, ECOG), lenalidomide starting dose vs
baseline creatinine clearance, doses after the end-of-treatment date, AEs after death.

Both frames are reduced in SQL to one row per subject (study_rule_records: per subject and
domain, with the number of offending records N_AFTER and the first one's file and row), so
they grow with the subjects, not with the doses (~45 M at 100,000 subjects).

One row per rule and site (and file, for record-level rules): SUITE, CHECK_ID (rule id),
SITEID, USUBJID (first subject), TRANSFER_ID, FILE, ROW (first offending row), COLUMN_NAME,
MESSAGE, UNEXPECTED_COUNT (subjects; for a record rule the offending records), EXAMPLES,
BUILD_ID. These are queries: listed per site, a warning in the
build, they do not block publication.
"""

from expectations.checks import as_polars, run_study_rule_checks
from expectations.gx_location import gx_dir


def model(dbt, session):
    build = dbt.ref("build_info").df()  # (a plain call: dbt finds refs by parsing)
    build_id = str(build["BUILD_ID"].iloc[0])
    frames = {
        "subjects": dbt.ref("study_rule_subjects").df(),
        "records": dbt.ref("study_rule_records").df(),
    }
    rules = dbt.ref("study_rules").df()

    report = run_study_rule_checks(frames, rules, run_name=build_id, gx_root=gx_dir())
    report["BUILD_ID"] = build_id
    return as_polars(report)
