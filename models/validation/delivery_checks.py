"""validation.delivery_checks -- the delivery contract, checked on every file of every transfer.

Runs first in the nightly build (inputs: seeds extract_columns, extract_types,
extract_codelists, extract_lab_tests; validation.build_info). Walks the extract root
(env CTWH_EXTRACT_ROOT, as the sources do), reads every file's bytes itself (so no bad file
can crash it) and validates them with the GX suites delivery_files, delivery_records,
delivery_dates and delivery_<form> (expectations/suites.py) through the pandas data source;
results and Data Docs go to expectations/gx/uncommitted/.

One row per failed check and file: SUITE, CHECK_ID, SITEID, TRANSFER_ID, FILE (relative to
the extract root), ROW (first offending data row, header excluded; null for file-level
checks), COLUMN_NAME, MESSAGE (names site, transfer, file, row and column), UNEXPECTED_COUNT
(offending rows in that file), EXAMPLES, BUILD_ID. A failure that concerns a whole transfer
(its manifest) is listed once per site of the transfer. Never raises: if validation itself
cannot run, one CHECK_ID = 'validation_error' row says why (see docs/VALIDATION.md).
"""
from pathlib import Path

from expectations.checks import GX_ROOT, as_polars, run_delivery_checks


def model(dbt, session):
    dbt.config(materialized="table")
    build = dbt.ref("build_info").df()
    contract = {
        "columns": dbt.ref("extract_columns").df(),
        "types": dbt.ref("extract_types").df(),
        "codelists": dbt.ref("extract_codelists").df(),
        "lab_tests": dbt.ref("extract_lab_tests").df(),
    }

    extract_root = Path(build["EXTRACT_ROOT"].iloc[0])
    if not extract_root.is_absolute():
        extract_root = Path.cwd() / extract_root      # as DuckDB resolves the sources
    build_id = str(build["BUILD_ID"].iloc[0])
    report = run_delivery_checks(extract_root, contract, run_name=build_id,
                                 gx_root=GX_ROOT)
    report["BUILD_ID"] = build_id
    return as_polars(report)
