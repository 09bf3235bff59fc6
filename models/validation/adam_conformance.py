"""validation.adam_conformance -- the ADaM datasets against their specification.

Inputs: every dataset of seed adam_datasets (adam.adsl, adrs, adtte, adae, adex), the ADaM
specification seeds adam_datasets and adam_variables (seeds/adam_spec/), seed adam_rules (which
variables an in_set rule covers) and validation.build_info. GX suites generated from the spec
(expectations.suites: adam_<ds>_columns, adam_<ds>_conformance, adam_spec; run by
expectations.conformance, docs/VALIDATION.md "ADaM conformance"): the columns are the spec's
variables in VARNUM order; column types follow TYPE / DATA_TYPE; no character value is longer
than its LENGTH in UTF-8 bytes, no LENGTH over 200; the KEYS are unique; names and labels of
the spec are well formed and every variable with a CODELIST has one in_set rule. DuckDB
measures whole columns (max byte length, duplicated keys); GX decides.

One row per check and unit (variable, key, dataset): SUITE, CHECK_ID, DATASET, VARIABLE,
PASSED, BLOCKING, FIRST_KEY (key of the first offending row), UNEXPECTED_COUNT (offending rows),
MESSAGE, BUILD_ID. A BLOCKING row (a failure whose CHECK_ID is not in the dbt var
adam_conformance_warn_checks) blocks publication (validation.publication_gate).
"""

from expectations.conformance import as_polars, run_adam_conformance
from expectations.gx_location import gx_dir


def model(dbt, session):
    build = dbt.ref("build_info").df()  # (plain calls: dbt finds refs by parsing)
    build_id = str(build["BUILD_ID"].iloc[0])
    datasets = {
        "adsl": dbt.ref("adsl"),
        "adrs": dbt.ref("adrs"),
        "adtte": dbt.ref("adtte"),
        "adae": dbt.ref("adae"),
        "adex": dbt.ref("adex"),
    }
    spec_datasets = dbt.ref("adam_datasets").df()
    variables = dbt.ref("adam_variables").df()
    rules = dbt.ref("adam_rules").df()
    warn_checks = dbt.config.get("warn_checks")  # (a plain call: dbt finds config keys by parsing)
    warn = [c.strip() for c in str(warn_checks or "").split(",") if c.strip()]

    report = run_adam_conformance(
        datasets,
        spec_datasets,
        variables,
        rules,
        build_id,
        gx_root=gx_dir(),
        con=session,
        warn_checks=tuple(warn),
    )
    report["BUILD_ID"] = build_id
    return as_polars(report)
