"""validation.delivery_checks -- the delivery contract, checked on every file of every transfer.

Runs first in the nightly build, right after the base layer (inputs: seeds extract_columns,
extract_types, extract_codelists, extract_lab_tests; validation.build_info; the base layer
models/staging/edc/base: staging.raw_edc__<form>, every row of every file as DuckDB read it,
in file order, and staging.base_edc__files, one row per file with its lineage and rowid range
- the same rows the views base_edc__<form> show, read without their per-row join; the checks
scan them several times). The file level (manifest,
SHA-256, UTF-8, BOM, CSV structure, columns, links and names) comes from
validation.delivery_inventory (each file's bytes read once, before the raw read), confirmed
against the rows DuckDB read (a file is parsed again with the csv module only where its row
count disagrees);
the row level is reduced in DuckDB over the base tables (distinct values per column, per-file
aggregates: expectations/delivery_rows.py) and validated with the GX suites delivery_files,
delivery_common, delivery_records, delivery_dates and delivery_<form> (expectations/suites.py)
through the pandas data source; results and Data Docs go to the GX folder CTWH_GX_DIR
(default build/gx in the dbt project folder, the working directory of this model).
config site_ids (dbt var site_ids, "FIRST-LAST"): the study's site-id range.

One row per failed check and file: SUITE, CHECK_ID, SITEID, TRANSFER_ID, FILE (relative to
the extract root), ROW (first offending data row, header excluded; null for file-level
checks), COLUMN_NAME, MESSAGE (names site, transfer, file, row and column), UNEXPECTED_COUNT
(offending rows in that file), EXAMPLES, BUILD_ID. A failure that concerns a whole transfer
(its manifest) is listed once per site of the transfer. Never raises: if validation itself
cannot run, one CHECK_ID = 'validation_error' row says why (see docs/VALIDATION.md).

Incremental (docs/VALIDATION.md, "Incremental nightly"): a nightly build checks the transfer
folders the inventory read in this build (new or changed) and any an earlier build did not
finish deciding (expectations.checks.transfers_to_check); their rows replace theirs
(delete+insert on TRANSFER_ID), the rows of earlier transfers stay as their build wrote them.
`dbt build --full-refresh` checks every transfer again.
"""

import re
from pathlib import Path

from expectations.checks import as_polars, inventory_frame_from_table, run_delivery_checks, transfers_to_check
from expectations.gx_location import gx_dir
from expectations.reconciliation import read_ledger


def _table(relation) -> str:
    """The table a dbt.ref relation reads (``select * from <table>``)."""
    query = relation.sql_query().strip()
    match = re.fullmatch(r"(?is)select \* from (.+)", query)
    return match.group(1) if match else f"({query})"


def model(dbt, session):
    # delete+insert per transfer folder: a transfer checked again replaces its own rows only
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="TRANSFER_ID")
    build = dbt.ref("build_info").df()
    contract = {
        "columns": dbt.ref("extract_columns").df(),
        "types": dbt.ref("extract_types").df(),
        "codelists": dbt.ref("extract_codelists").df(),
        "lab_tests": dbt.ref("extract_lab_tests").df(),
    }
    raw = {  # the base layer: every row of every file as read (dbt needs each ref spelled out)
        "dm": dbt.ref("raw_edc__dm"),
        "vs": dbt.ref("raw_edc__vs"),
        "mh": dbt.ref("raw_edc__mh"),
        "ecog": dbt.ref("raw_edc__ecog"),
        "pt": dbt.ref("raw_edc__pt"),
        "fish": dbt.ref("raw_edc__fish"),
        "ex": dbt.ref("raw_edc__ex"),
        "lb": dbt.ref("raw_edc__lb"),
        "rs": dbt.ref("raw_edc__rs"),
        "ae": dbt.ref("raw_edc__ae"),
        "ds": dbt.ref("raw_edc__ds"),
        "dd": dbt.ref("raw_edc__dd"),
        "fu": dbt.ref("raw_edc__fu"),
        "cm": dbt.ref("raw_edc__cm"),
    }
    files = dbt.ref("base_edc__files")
    inventory_table = dbt.ref("delivery_inventory").df()
    inventory = inventory_frame_from_table(inventory_table)

    extract_root = Path(build["EXTRACT_ROOT"].iloc[0])
    if not extract_root.is_absolute():
        extract_root = Path.cwd() / extract_root  # as DuckDB resolves the sources
    build_id = str(build["BUILD_ID"].iloc[0])
    to_check, settled_failures = None, set()
    if dbt.is_incremental:
        failed = set(session.sql(f"select distinct SITEID, TRANSFER_ID from {dbt.this}").fetchall())
        ledger = read_ledger(session)
        accepted = set(zip(ledger["SITEID"], ledger["TRANSFER_ID"]))
        to_check = transfers_to_check(inventory_table, accepted, failed, build_id)
        settled_failures = {(s, t) for s, t in failed if s is not None and t not in to_check}
        # rows without a transfer (validation could not run) are not kept: said again if still so
        session.execute(f"delete from {dbt.this} where TRANSFER_ID is null")
    report = run_delivery_checks(
        extract_root,
        contract,
        run_name=build_id,
        gx_root=gx_dir(),
        con=session,
        raw={form: _table(rel) for form, rel in raw.items()},
        files_table=_table(files),
        site_ids=dbt.config.get("site_ids"),
        inventory_frame=inventory,
        to_check=to_check,
        settled_failures=settled_failures,
    )
    report["BUILD_ID"] = build_id
    return as_polars(report)
