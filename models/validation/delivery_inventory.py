"""validation.delivery_inventory -- every file of every transfer, inspected from its bytes
BEFORE the warehouse's CSV reader sees any of them (docs/VALIDATION.md, "Isolation").

Inputs: validation.build_info (the extract root, as the dbt sources spell it), the contract
seeds extract_columns, extract_types, extract_codelists, extract_lab_tests. Walks the extract
root without following a symbolic link and matches folder and file names exactly
(``<TRANSFER_ID>/manifest.csv``, ``<TRANSFER_ID>/site_<SITEID>/<form>.csv``); reads each
file's bytes once (SHA-256, UTF-8, BOM, header, CSV structure, line length).

One row per file found or listed in a manifest (expectations.delivery.INVENTORY_COLUMNS).
``READ_OK`` is true only for a manifest or known data file that DuckDB can read; the raw
read (macro edc_read_csv, staging.raw_edc__<form>) reads exactly those files, so a file it
could not parse (an unterminated quote, a line over 2 MB, bytes that are not UTF-8) or a file
it must not read (a link, a wrongly named folder) stops nothing: the delivery checks report
it and quarantine only its site transfer.

Incremental (docs/VALIDATION.md, "Incremental nightly"): a transfer folder is inspected when
it first appears and again only when its fingerprint (TRANSFER_FINGERPRINT: the names, sizes
and modification times under it) changes; the new rows replace the folder's rows
(delete+insert on TRANSFER_ID) and carry INVENTORY_BUILD_ID, the build that read them. A
folder that is gone keeps its rows as files not on disk. `dbt build --full-refresh` reads
every folder again.
"""

from pathlib import Path

from expectations.checks import run_delivery_inventory


def model(dbt, session):
    # delete+insert per transfer folder: the folders read again replace their own rows only
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="TRANSFER_ID")
    build = dbt.ref("build_info").df()
    contract = {
        "columns": dbt.ref("extract_columns").df(),
        "types": dbt.ref("extract_types").df(),
        "codelists": dbt.ref("extract_codelists").df(),
        "lab_tests": dbt.ref("extract_lab_tests").df(),
    }
    read_root = str(build["EXTRACT_ROOT"].iloc[0])
    root = Path(read_root)
    if not root.is_absolute():
        root = Path.cwd() / root  # as DuckDB resolves the sources
    previous = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    return run_delivery_inventory(
        root,
        read_root,
        contract,
        dbt.config.get("site_ids"),
        previous=previous,
        build_id=str(build["BUILD_ID"].iloc[0]),
    )
