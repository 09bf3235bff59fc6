"""Entry points the dbt Python models in ``models/validation/`` call.

Each returns a pandas frame of report rows (``gx_project.REPORT_COLUMNS`` + extras) and never
raises: an unexpected error becomes one ``validation_error`` row (no traceback in the build
output; the traceback goes to ``<gx dir>/uncommitted/last_error.txt``), which fails the
build through the tests on the report models but stops nothing else.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import pandas as pd

from expectations.contract import Contract
from expectations.gx_location import gx_dir
from expectations.gx_project import REPORT_COLUMNS, GxProject, clean_text, report_rows

# ``gx_root`` below: the GX context folder; None = the dbt project's (CTWH_GX_DIR, default
# build/gx under the dbt project folder: expectations.gx_location), never the package's folder.

DELIVERY_COLUMNS = REPORT_COLUMNS


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c in ("ROW", "UNEXPECTED_COUNT"):
            frame[c] = frame[c].astype("Int64")
        else:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


def _error_row(stage: str, err: BaseException, gx_root: Path | None, columns) -> pd.DataFrame:
    message = f"validation could not run ({stage}): {type(err).__name__}: {clean_text(err, 300)}"
    try:
        folder = Path(gx_root or gx_dir()) / "uncommitted"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "last_error.txt").write_text("".join(traceback.format_exception(err)), encoding="utf-8")
    except OSError:
        pass
    return _frame(
        [{"SUITE": stage, "CHECK_ID": "validation_error", "MESSAGE": message, "UNEXPECTED_COUNT": 1}], columns
    )


# =============================================================================== delivery
INVENTORY_BOOLS = ("ON_DISK", "IN_MANIFEST", "KNOWN_FILE", "UTF8_OK", "HAS_BOM", "EXACT", "READ_OK")
INVENTORY_INTS = ("BAD_UTF8_ROW", "CSV_ERROR_ROW", "MANIFEST_COUNT")


#: columns of validation.delivery_inventory beyond the files frame: what the nightly build
#: keeps to know which transfer folders it has inspected (docs/VALIDATION.md, "Incremental nightly")
INVENTORY_LEDGER_COLUMNS = ("TRANSFER_FINGERPRINT", "INVENTORY_BUILD_ID")
GONE = "gone"  # TRANSFER_FINGERPRINT of a transfer folder that was inventoried and is no longer on disk


def transfers_to_inventory(now: dict[str, str], before: dict[str, str]) -> tuple[set[str], set[str]]:
    """(transfer folders to inventory, folders that are gone) from the fingerprints on disk
    ``now`` and those recorded by earlier builds ``before`` (TRANSFER_ID -> fingerprint).

    A folder is inventoried when it is new or its fingerprint changed; a recorded folder no
    longer on disk is gone (once: its rows then carry the fingerprint ``GONE``)."""
    changed = {t for t, fp in now.items() if before.get(t) != fp}
    gone = {t for t, fp in before.items() if t not in now and fp != GONE}
    return changed, gone


def gone_rows(previous: pd.DataFrame, gone: set[str]) -> pd.DataFrame:
    """The recorded rows of transfer folders no longer on disk, as files not on disk and not
    read (the delivery checks then report every one; the ledger reports an accepted one)."""
    rows = previous[previous["TRANSFER_ID"].isin(gone)].copy()
    rows["ON_DISK"] = False
    rows["READ_OK"] = False
    rows["READ_PATH"] = None
    rows["TRANSFER_FINGERPRINT"] = GONE
    return rows


def run_delivery_inventory(
    root: Path,
    read_root: str,
    contract_frames: dict[str, pd.DataFrame],
    site_ids: str | None = None,
    *,
    previous: pd.DataFrame | None = None,
    build_id: str | None = None,
):
    """validation.delivery_inventory: the files of every transfer folder, inspected from their
    bytes before the raw read (expectations.delivery.inventory), as a polars frame with a fixed
    schema. ``read_root``: the extract root as the dbt sources spell it (``READ_PATH`` is
    what DuckDB is given, so lineage parses it as before).

    ``previous``: the table as earlier builds left it (None: a first or full build). Then
    only transfer folders whose fingerprint (names, sizes, modification times) is new or
    changed are read, and folders that are gone come back as files not on disk; the rows
    returned replace the table's rows of those folders (delete+insert on TRANSFER_ID)."""
    import polars as pl

    from expectations.delivery import INVENTORY_COLUMNS, inventory, transfer_fingerprints

    contract = Contract.from_frames(**contract_frames, **({"site_ids": site_ids} if site_ids else {}))
    now = transfer_fingerprints(Path(root))
    before = {}
    if previous is not None and len(previous):
        before = dict(zip(previous["TRANSFER_ID"], previous["TRANSFER_FINGERPRINT"]))
    changed, gone = transfers_to_inventory(now, before)
    frame = inventory(Path(root), contract, read_root=read_root, transfers=changed)
    frame["TRANSFER_FINGERPRINT"] = [now.get(t) for t in frame["TRANSFER_ID"]]
    if gone:
        frame = pd.concat([frame, gone_rows(previous, gone)[frame.columns]], ignore_index=True)
    frame["INVENTORY_BUILD_ID"] = build_id

    def typed(column: str):
        if column in INVENTORY_BOOLS:
            return pl.Boolean, (lambda v: bool(v))
        if column in INVENTORY_INTS:
            return pl.Int64, (lambda v: int(v))
        return pl.String, (lambda v: str(v))

    data, schema = {}, {}
    for column in [*INVENTORY_COLUMNS, *INVENTORY_LEDGER_COLUMNS]:
        dtype, cast = typed(column)
        schema[column] = dtype
        data[column] = [
            None if v is None or (not isinstance(v, str) and pd.isna(v)) else cast(v)
            for v in frame[column].tolist()
        ]
    return pl.DataFrame(data, schema=schema)


def inventory_frame_from_table(frame: pd.DataFrame) -> pd.DataFrame:
    """validation.delivery_inventory read back (``dbt.ref(...).df()``) with Python values:
    None for null, bool / int where the column is one (the suites compare with True)."""
    out = frame.drop(columns=[c for c in INVENTORY_LEDGER_COLUMNS if c in frame.columns]).astype(object)
    out = out.where(out.notna(), None)
    for column in INVENTORY_BOOLS:
        out[column] = [None if v is None else bool(v) for v in out[column]]
    for column in INVENTORY_INTS:
        out[column] = [None if v is None else int(v) for v in out[column]]
    return out


def run_delivery_checks(
    root: Path,
    contract_frames: dict[str, pd.DataFrame],
    run_name: str,
    gx_root: Path | None = None,
    *,
    con=None,
    raw: dict[str, str] | None = None,
    files_table: str | None = None,
    site_ids: str | None = None,
    inventory_frame: pd.DataFrame | None = None,
    to_check: set[str] | None = None,
    settled_failures: set[tuple[str, str]] = frozenset(),
) -> pd.DataFrame:
    """Validate every file of every transfer under ``root``; one row per failed check and
    file (per site of the transfer for a transfer-level failure).

    ``to_check``: only these transfer folders (the nightly build's new or changed ones; None:
    all). Their files and rows are checked, and their site transfers reconciled with what was
    accepted (the earlier transfers' rows stay in the base layer for that);
    ``settled_failures``: (site, transfer) quarantined by earlier builds (never a predecessor).
    Rows are returned for the checked transfers only.

    ``con``: the DuckDB connection holding the base layer (dbt's session); ``raw``: form ->
    ``staging.raw_edc__<form>`` (every row of every file as read, in file order);
    ``files_table``: ``staging.base_edc__files`` (one row per file: lineage, rowid range);
    ``site_ids``: the study's site-id range ("FIRST-LAST", dbt var site_ids);
    ``inventory_frame``: validation.delivery_inventory, the file level read before the raw
    read (made here when not given). The file level is confirmed against what DuckDB read
    (expectations.delivery), the rows are reduced in DuckDB
    (expectations.delivery_rows), GX validates both (expectations.delivery_run)."""
    try:
        from expectations.delivery_run import check_delivery
        from expectations.suites import delivery_suites

        if con is None or not raw or not files_table:
            raise ValueError("the delivery checks need the base layer (con, raw, files_table)")
        contract = Contract.from_frames(**contract_frames, **({"site_ids": site_ids} if site_ids else {}))
        started = time.perf_counter()
        if inventory_frame is None:
            from expectations.delivery import inventory

            inventory_frame = inventory(Path(root), contract)
        if to_check is not None and not to_check:  # nothing new tonight: nothing to check
            report = _frame([], DELIVERY_COLUMNS)
            report.attrs["seconds"] = time.perf_counter() - started
            return report
        checked_inventory, checked_raw, checked_files = inventory_frame, raw, files_table
        if to_check is not None:
            checked_inventory = inventory_frame[inventory_frame["TRANSFER_ID"].isin(to_check)]
            checked_raw, checked_files = restrict_base(con, raw, files_table, to_check)
        with GxProject(gx_root) as gxp:
            suites = delivery_suites(contract)  # (GX needs its context to build suites)
            run = check_delivery(
                Path(root),
                contract,
                con,
                checked_raw,
                checked_files,
                gxp,
                suites,
                run_name,
                checked_inventory,
                temp_tables=to_check is not None,
            )
            rows = _expand_transfer_level(run.rows, run.files.site_transfers)
            rows += _reconcile(
                con,
                raw,
                files_table,
                contract,
                run.files,
                rows,
                gxp,
                suites["delivery_reconciliation"],
                run_name,
                earlier=_earlier_files(inventory_frame, to_check),
                settled_failures=set(settled_failures),
            )
            if to_check is not None:  # (a changed ledger transfer is in to_check: re-read)
                rows = [r for r in rows if r["TRANSFER_ID"] is None or r["TRANSFER_ID"] in to_check]
            gxp.prune()
            gxp.build_docs()
        if to_check is not None:
            drop_restricted(con, checked_raw, checked_files)
        report = _frame(rows, DELIVERY_COLUMNS)
        report.attrs["seconds"] = time.perf_counter() - started
        report.attrs["timings"] = run.timings
        return report
    except Exception as err:  # never a traceback in the build
        return _error_row("delivery", err, gx_root, DELIVERY_COLUMNS)


def _reconcile(
    con, raw, files_table, contract, files, rows, gxp, suite, run_name, earlier=None, settled_failures=()
):
    """Report rows of the reconciliation with the accepted state (expectations.reconciliation):
    every site transfer that passed the delivery checks against the site's last accepted one,
    and the ledger of accepted transfers of earlier builds. ``earlier``: the inventory rows
    of the transfers an earlier build checked (not checked now; they take part as
    predecessors and in the ledger comparison); ``settled_failures``: their quarantined
    site transfers."""
    from expectations.delivery_run import aggregate_report
    from expectations.reconciliation import as_frame, read_ledger, reconcile

    def validate(frame):
        frame = as_frame(frame)
        result = gxp.run(suite, frame, run_name)
        found = aggregate_report("delivery_reconciliation", result, frame)
        return {(r["SITEID"], r["TRANSFER_ID"]) for r in found}, found

    blocked = {(r["SITEID"], r["TRANSFER_ID"]) for r in rows if r["SITEID"] is not None}
    blocked |= set(settled_failures)
    data = files.data_files
    known = files.files[files.files["KNOWN_FILE"].astype(bool)]
    if earlier is not None and len(earlier):
        old_data = earlier[earlier["READ_OK"].astype(bool) & earlier["SITE_FOLDER"].notna()]
        data = pd.concat([data, old_data[list(data.columns)]], ignore_index=True)
        known = pd.concat([known, earlier[earlier["KNOWN_FILE"].astype(bool)]], ignore_index=True)
    walk = reconcile(
        con,
        raw,
        files_table,
        contract.forms,
        set(zip(data["SITE_FOLDER"], data["TRANSFER_ID"])),
        blocked,
        read_ledger(con),
        known,
        validate,
        set(zip(data["SITE_FOLDER"], data["TRANSFER_ID"], data["FORM"])),
    )
    return walk.rows


def _earlier_files(inventory_frame: pd.DataFrame, to_check: set[str] | None) -> pd.DataFrame | None:
    """The inventory rows of transfer folders an earlier build checked (None: all are checked now)."""
    if to_check is None:
        return None
    return inventory_frame[~inventory_frame["TRANSFER_ID"].isin(to_check)]


def transfers_to_check(
    inventory_frame: pd.DataFrame,
    accepted: set[tuple[str, str]],
    failed: set[tuple[str, str | None]],
    build_id: str,
) -> set[str]:
    """Transfer folders the nightly delivery checks must check (docs/VALIDATION.md,
    "Incremental nightly"): those the inventory read in this build (``INVENTORY_BUILD_ID``:
    new or changed), and every folder an earlier build did not finish deciding - one of
    its site transfers is neither accepted (``accepted``: the ledger) nor reported failed
    (``failed``: (site, transfer) of the report rows earlier builds kept; site None for a
    transfer-level row), or it has no site and no report row.

    A build that stopped between reading a transfer and deciding it therefore checks that
    transfer again; its report rows replace the earlier ones (delete+insert on TRANSFER_ID)."""
    out = set(inventory_frame.loc[inventory_frame["INVENTORY_BUILD_ID"] == build_id, "TRANSFER_ID"])
    failed_transfers = {t for _s, t in failed}
    sites = inventory_frame[inventory_frame["SITE_FOLDER"].notna()].groupby("TRANSFER_ID")["SITE_FOLDER"]
    site_sets = {t: set(v) for t, v in sites}
    for transfer in set(inventory_frame["TRANSFER_ID"]):
        own = site_sets.get(transfer, set())
        decided = all((s, transfer) in accepted or (s, transfer) in failed for s in own)
        if not decided or (not own and transfer not in failed_transfers):
            out.add(transfer)
    return out


def restrict_base(con, raw: dict[str, str], files_table: str, transfers: set[str]):
    """The base layer of ``transfers`` only, as temporary tables in ``con``: ``(raw, files)``
    like the arguments of :func:`run_delivery_checks`. Each raw table keeps the files' rows in
    their order (``order by rowid``), so a row's place in its file is again its rowid minus
    its file's FIRST_ROWID, recomputed here from the files' row counts."""
    con.execute("create or replace temp table _dc_checked_transfers (TRANSFER_ID varchar)")
    con.executemany("insert into _dc_checked_transfers values (?)", [(t,) for t in sorted(transfers)])
    con.execute(
        f"""create or replace temp table _dc_checked_files as
        with chosen as (
            select * from {files_table}
            where TRANSFER_ID in (select TRANSFER_ID from _dc_checked_transfers)
        )
        select FORM, FILENAME, TRANSFER_ID, SITE_FOLDER, SOURCE_FILE,
            coalesce(sum(N_ROWS) over before_, 0) as FIRST_ROWID,
            coalesce(sum(N_ROWS) over before_, 0) + N_ROWS - 1 as LAST_ROWID,
            N_ROWS
        from chosen
        window before_ as (partition by FORM order by FIRST_ROWID rows between unbounded preceding and 1 preceding)
        order by FORM, FIRST_ROWID"""
    )
    tables = {}
    for form, table in raw.items():
        name = f"_dc_checked_raw_{form}"
        con.execute(
            f"""create or replace temp table {name} as
            select * from {table}
            where filename in (select FILENAME from _dc_checked_files where FORM = {_lit(form)})
            order by rowid"""
        )
        tables[form] = name
    return tables, "_dc_checked_files"


def drop_restricted(con, raw: dict[str, str], files_table: str) -> None:
    """Drop the temporary tables of :func:`restrict_base`."""
    for table in [*raw.values(), files_table, "_dc_checked_transfers"]:
        con.execute(f"drop table if exists {table}")


def _expand_transfer_level(rows: list[dict], site_transfers: pd.DataFrame) -> list[dict]:
    """A failure without a site (manifest, transfer folder) concerns every site of the
    transfer: one row per site, so that each site's transfer is quarantined."""
    out = []
    sites = site_transfers.groupby("TRANSFER_ID")["SITEID"].apply(sorted).to_dict()
    for row in rows:
        if row["SITEID"] is None and sites.get(row["TRANSFER_ID"]):
            for site in sites[row["TRANSFER_ID"]]:
                out.append(row | {"SITEID": site, "MESSAGE": f"site {site}, {row['MESSAGE']}"})
        else:  # no site known (e.g. a linked transfer folder): kept, fails the build
            out.append(row)
    return out


def as_polars(report: pd.DataFrame):
    """The report as a polars frame with a fixed schema (an empty report keeps its types)."""
    import polars as pl

    ints = {"ROW", "UNEXPECTED_COUNT"}
    schema = {c: (pl.Int64 if c in ints else pl.String) for c in report.columns}
    data = {
        c: [
            None
            if (v is None or (not isinstance(v, str) and pd.isna(v)))
            else (int(v) if c in ints else str(v))
            for v in report[c].tolist()
        ]
        for c in report.columns
    }
    return pl.DataFrame(data, schema=schema)


# =============================================================================== ADaM
ADAM_COLUMNS = [
    "SUITE",
    "CHECK_ID",
    "DATASET",
    "SITEID",
    "USUBJID",
    "COLUMN_NAME",
    "MESSAGE",
    "UNEXPECTED_COUNT",
    "EXAMPLES",
]
ADAM_DATASETS = ("adsl", "adrs", "adtte", "adae", "adex")
SITE_PATTERN = r"-([0-9]{3})-[0-9]{3}$"  # USUBJID = STUDYID-SITE-NNN
ALL_ROWS = "_N__rows"  # frame column: rows of the site (a witness)


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(float(value))


def _site_of(frame: pd.DataFrame) -> pd.Series:
    """SITEID of each row: the column when the frame has it, else from USUBJID (vectorised)."""
    if "SITEID" in frame.columns:
        return frame["SITEID"].astype(object)
    if "USUBJID" in frame.columns:
        return frame["USUBJID"].astype("string").str.extract(SITE_PATTERN, expand=False).astype(object)
    return pd.Series(None, index=frame.index, dtype=object)


def _site_sql(columns) -> str:
    """SQL of a row's SITEID: the column when the dataset has it, else from USUBJID."""
    if "SITEID" in columns:
        return 'cast("SITEID" as varchar)'
    if "USUBJID" in columns:
        return f"nullif(regexp_extract(cast(\"USUBJID\" as varchar), '{SITE_PATTERN}', 1), '')"
    return "cast(null as varchar)"


def adam_helpers(dataset: str, columns, rules: pd.DataFrame) -> dict[str, str]:
    """SQL of the helper columns some adam_rules compare (documented in
    seeds/_validation__seeds.yml): adrs.AVALC_N (position of AVALC in the adrs AVALC list),
    adtte.AVAL_FROM_DATES (ADT - STARTDT + 1), adex.RDI_AVAL (AVAL of the RDI rows)."""
    have = set(columns)
    helpers = {}
    if dataset == "adrs" and "AVALC" in have:
        order = rules[(rules.CHECK_KIND == "in_set") & (rules.VARIABLE == "AVALC")]
        codes = str(order.VALUE_SET.iloc[0]).split("|") if len(order) else []
        helpers["AVALC_N"] = (
            f'list_position([{", ".join(_lit(c) for c in codes)}]::varchar[], cast("AVALC" as varchar))'
            if codes
            else "cast(null as integer)"
        )
    if dataset == "adtte" and {"ADT", "STARTDT"} <= have:
        helpers["AVAL_FROM_DATES"] = 'date_diff(\'day\', cast("STARTDT" as date), cast("ADT" as date)) + 1'
    if dataset == "adex" and {"PARAMCD", "AVAL"} <= have:
        helpers["RDI_AVAL"] = 'case when "PARAMCD" = \'RDI\' then "AVAL" end'
    return {name: sql for name, sql in helpers.items() if name not in have}


def _rule_keys(kind: str, columns: list[str], other: str | None, lo, hi) -> list[str]:
    """SQL of what one row's outcome in a rule depends on: rows with equal keys (per site) pass
    or fail the rule together, so one of them can stand for all. Mirrors the GX semantics of
    expectations.suites.rule_expectation: nulls are skipped by in_set / between / pair rules,
    between is inclusive, a pair rule skips a row with either value missing."""
    c = _q(columns[0])
    if kind in ("not_null", "integer"):  # integer: a null turns the column type
        return [f"{c} is null"]
    if kind == "in_set":
        return [c]
    if kind == "between":
        outside = ([f"{c} < {_lit(lo)}"] if lo is not None else []) + (
            [f"{c} > {_lit(hi)}"] if hi is not None else []
        )
        return [f"case when {' or '.join(outside)} then {c} end"] if outside else []
    if kind in ("not_before", "equal") and other:
        o = _q(other)
        bad = f"{c} < {o}" if kind == "not_before" else f"{c} <> {o}"
        return [f"case when {bad} then {c} end", f"case when {bad} then {o} end"]
    return []


def _adam_table(con, name: str, data) -> tuple[str, str | None]:
    """(SQL name of a base table holding ``data``, temp table to drop afterwards). ``data``: a
    table name, a DuckDB relation (dbt-duckdb's ``dbt.ref()`` is ``select * from <table>``:
    the table itself is used, for its rowid) or a pandas frame (copied into a temp table)."""
    import re

    import duckdb

    if isinstance(data, str):
        return data, None
    if not isinstance(data, pd.DataFrame):
        match = re.fullmatch(r"\s*select\s+\*\s+from\s+(\S+)\s*", data.sql_query(), flags=re.IGNORECASE)
        if match:
            try:
                con.sql(f"select rowid from {match.group(1)} limit 0").fetchall()
                return match.group(1), None
            except duckdb.Error:
                pass
    temp = f"_adam_check_{name}"
    if isinstance(data, pd.DataFrame):
        con.register(f"{temp}_df", data)
        con.execute(f"create or replace temp table {temp} as select * from {temp}_df")
        con.unregister(f"{temp}_df")
    else:
        con.execute(f"create or replace temp table {temp} as {data.sql_query()}")
    return temp, temp


def adam_frame(con, table: str, dataset: str, rules: pd.DataFrame) -> pd.DataFrame:
    """The frame the GX suite of one ADaM dataset validates, reduced in DuckDB.

    Not every row: per site, for every rule (seed adam_rules), one row for each distinct key
    the rule's outcome depends on (``_rule_keys``: the value for in_set, null or not for
    not_null, the out-of-range value for between, the offending pair for not_before / equal;
    every other row of the site shares one key), the first of the rows with that key
    (lowest rowid). ``unique``: the first two rows of every duplicated key. Plus the first row
    of each site. The rows are the dataset's own (all columns, same types, helpers and
    ``_SITEID`` added, ``_ROWID`` the table's rowid, in table order), so GX fails exactly the
    rules the whole dataset fails, on the same first subject per site. Column ``_N__<rule>``
    (``suites.adam_count_column``) holds how many rows of the dataset a row stands for in that
    rule (0/null: it is in the frame for another rule): the report's UNEXPECTED_COUNT sums it.
    The frame grows with the distinct values and the sites, not with the dataset's rows.
    """
    import numpy as np
    import pyarrow.compute as pc

    from expectations.suites import _cell, adam_count_column

    columns = con.sql(f"select * from {table} limit 0").columns
    helpers = adam_helpers(dataset, columns, rules)
    have = set(columns) | set(helpers)
    src = (
        "(select rowid as _ROWID, *"
        + "".join(f", {sql} as {_q(name)}" for name, sql in helpers.items())
        + f", {_site_sql(columns)} as _SITEID from {table}) as src"
    )
    keyed: dict[str, list[str]] = {}
    unique: dict[str, list[str]] = {}
    for r in rules.itertuples(index=False):
        kind, variable, other = _cell(r.CHECK_KIND), _cell(r.VARIABLE), _cell(r.OTHER_VARIABLE)
        if not kind or not variable:
            continue
        names = variable.split("|")
        if not set(names + ([other] if other else [])) <= have:
            continue  # GX reports that the check could not run
        count = adam_count_column(kind, variable, other) or f"_N__{kind}__{variable}"
        lo = None if pd.isna(r.MIN_VALUE) else float(r.MIN_VALUE)
        hi = None if pd.isna(r.MAX_VALUE) else float(r.MAX_VALUE)
        if kind == "unique":
            unique[count] = [_q(n) for n in names]
        else:
            keyed[count] = _rule_keys(kind, names, other, lo, hi)
    aliases: dict[str, str] = {}
    for keys in keyed.values():
        for key in keys:
            aliases.setdefault(key, f"_K{len(aliases)}")
    # one pass over the dataset in DuckDB: its rows grouped by site and every rule's key at
    # once (first rowid, rows); the per-rule groupings of that small result run in pandas
    pre = con.sql(
        "select _SITEID"
        + "".join(f", {key} as {alias}" for key, alias in aliases.items())
        + f", min(_ROWID) as _R, count(*) as _N from {src} group by all "
        "order by _R"
    ).to_arrow_table()
    codes = {
        c: pc.dictionary_encode(pre[c], null_encoding="encode")
        .combine_chunks()
        .indices.to_numpy(zero_copy_only=False)
        .astype(np.int64)
        for c in ["_SITEID", *aliases.values()]
    }  # (no Python object per value)
    rowid, rows = pre["_R"].to_numpy(), pre["_N"].to_numpy()
    reps = []
    for count, keys in {ALL_ROWS: [], **keyed}.items():
        group = codes["_SITEID"].copy()
        for key in keys:  # one integer per combination (pre is sorted by _R:
            code = codes[aliases[key]]  # the first occurrence is the lowest rowid)
            group = group * (int(code.max(initial=0)) + 1) + code
        _, first, inverse = np.unique(group, return_index=True, return_inverse=True)
        reps.append(
            pd.DataFrame(
                {"_W": count, "_ROWID": rowid[first], "_N": np.bincount(inverse.ravel(), weights=rows)}
            )
        )
    for count, keys in unique.items():
        on = " and ".join(f"src.{k} is not distinct from dup.{k}" for k in keys)
        within = ", ".join(f"src.{k}" for k in keys)
        reps.append(
            con.sql(
                f"select '{count}' as _W, _ROWID, case when _K = 1 then _C - 1 else 1 end as _N "
                f"from (select src._ROWID, row_number() over (partition by {within} order by "
                f"src._ROWID) as _K, count(*) over (partition by {within}) as _C from {src} "
                f"inner join (select {', '.join(keys)} from {table} group by all "
                f"having count(*) > 1) as dup on {on}) where _K <= 2"
            ).df()
        )
    weights = [ALL_ROWS, *keyed, *unique]
    reps = pd.concat(reps, ignore_index=True)
    counts = (
        reps.pivot_table(index="_ROWID", columns="_W", values="_N", aggfunc="sum")
        .reindex(columns=weights)
        .rename_axis(columns=None)
        .reset_index()
    )
    rowids = ", ".join(str(int(i)) for i in counts["_ROWID"]) or "null"
    frame = con.sql(f"select * from {src} where _ROWID in ({rowids}) order by _ROWID").df()
    return frame.merge(counts, on="_ROWID", how="left").reset_index(drop=True)


def _counted(rows: list[dict], validation, frame: pd.DataFrame, group_by: list[str], unit: str) -> list[dict]:
    """Report rows of a frame whose rows stand for several rows each: for an expectation with
    a meta ``count_column``, UNEXPECTED_COUNT (and the message's "(and N more ...)") becomes
    the sum of that column over the group's failing frame rows. Walks the failures in the
    order gx_project.report_rows wrote ``rows`` (same grouping)."""
    from expectations.gx_project import expectation_failures

    totals: list[int | None] = []
    for meta, _result, indices in expectation_failures(validation):
        if not indices:
            totals.append(None)
            continue
        bad = frame.loc[indices]
        keys = [c for c in group_by if c in bad.columns]
        groups = bad.groupby(keys, sort=True, dropna=False) if keys else [((), bad)]
        column = meta.get("count_column")
        for _, group in groups:
            if column and column in group.columns:
                total = int(pd.to_numeric(group[column], errors="coerce").fillna(0).sum())
                totals.append((max(total, 1), len(group)))
            else:
                totals.append(None)
    if len(totals) != len(rows):  # (never: the same walk as report_rows)
        return rows
    out = []
    for row, counted in zip(rows, totals):
        if counted is not None:
            total, framed = counted
            message = row["MESSAGE"]
            for label in ("row", "subject", "value"):
                suffix = f" (and {framed - 1} more {label}(s))"
                if framed > 1 and message.endswith(suffix):
                    message = message[: -len(suffix)]
                    break
            more = f" (and {total - 1} more {unit}(s))" if total > 1 else ""
            row = row | {"UNEXPECTED_COUNT": total, "MESSAGE": message + more}
        out.append(row)
    return out


def run_adam_checks(
    datasets: dict,
    variables: pd.DataFrame,
    rules: pd.DataFrame,
    run_name: str,
    gx_root: Path | None = None,
    con=None,
    *,
    codelists: pd.DataFrame,
) -> pd.DataFrame:
    """ADaM conformance of every dataset; one row per failed check and site.

    ``datasets``: per dataset a DuckDB relation or table name on ``con`` (the dbt session), or a
    pandas frame (then ``con`` may be None: an in-memory DuckDB is used). Each is reduced in
    DuckDB first (``adam_frame``); UNEXPECTED_COUNT counts the dataset's offending rows.
    ``variables``: seed adam_variables (DATASET, VARIABLE, VARNUM, CODELIST); ``rules``: seed
    adam_rules; ``codelists``: seed adam_codelists, the terms of the in_set rules
    (expectations.suites.adam_value_sets)."""
    try:
        import duckdb

        from expectations.suites import adam_suite, adam_value_sets, adam_variables_of

        rules = adam_value_sets(rules, variables, codelists)

        own = con is None
        con = duckdb.connect() if own else con
        temps = []
        try:
            frames = {}
            for dataset in ADAM_DATASETS:
                table, temp = _adam_table(con, dataset, datasets[dataset])
                temps += [temp] if temp else []
                frames[dataset] = adam_frame(con, table, dataset, rules[dataset == rules.DATASET])
        finally:
            for temp in temps:
                con.execute(f"drop table if exists {temp}")
            if own:
                con.close()
        rows: list[dict] = []
        with GxProject(gx_root) as gxp:
            for dataset in ADAM_DATASETS:
                frame = frames[dataset]
                suite = adam_suite(
                    dataset, adam_variables_of(variables, dataset), rules[dataset == rules.DATASET]
                )
                result = gxp.run(suite, frame, run_name)
                found = report_rows(
                    suite.name,
                    result,
                    frame,
                    group_by=["_SITEID"],
                    site_col="_SITEID",
                    subject_col="USUBJID" if "USUBJID" in frame else None,
                    dataset=f"adam.{dataset}",
                )
                rows += _counted(found, result, frame, ["_SITEID"], unit="row")
            gxp.prune()
            gxp.build_docs()
        return _frame(rows, ADAM_COLUMNS)
    except Exception as err:
        return _error_row("adam", err, gx_root, ADAM_COLUMNS)


# ========================================================================== study rules
STUDY_COLUMNS = [
    "SUITE",
    "CHECK_ID",
    "SITEID",
    "USUBJID",
    "TRANSFER_ID",
    "FILE",
    "ROW",
    "COLUMN_NAME",
    "MESSAGE",
    "UNEXPECTED_COUNT",
    "EXAMPLES",
]


def _study_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A study-rule frame as GX compares it: ``_SITEID``; dates (datetime.date objects, as a
    pandas caller may pass them) as timestamps - the type is read from the first value of
    each column, not from every row."""
    import datetime as dt

    frame = frame.reset_index(drop=True).copy()
    frame["_SITEID"] = _site_of(frame)
    for column in frame.columns:
        if frame[column].dtype == object:
            values = frame[column].dropna()
            if (
                len(values)
                and isinstance(values.iloc[0], dt.date)
                and not isinstance(values.iloc[0], dt.datetime)
            ):
                frame[column] = pd.to_datetime(frame[column])
    return frame


def run_study_rule_checks(
    frames: dict[str, pd.DataFrame], rules: pd.DataFrame, run_name: str, gx_root: Path | None = None
) -> pd.DataFrame:
    """Study rules (queries): one row per rule and site (per file for record-level rules).

    ``frames``: subjects (validation.study_rule_subjects, one row per subject) and records
    (validation.study_rule_records, one row per subject, domain and file, reduced in SQL);
    UNEXPECTED_COUNT of a record rule is the sum of its COUNT_VARIABLE (N_AFTER: the
    offending records) over the failing rows."""
    try:
        from expectations.suites import study_rules_suite

        frames = {name: _study_frame(frame) for name, frame in frames.items()}
        rows: list[dict] = []
        with GxProject(gx_root) as gxp:  # (the GX lock: frames are ready before)
            for name, frame in frames.items():
                suite = study_rules_suite(name, rules[name == rules.FRAME])
                result = gxp.run(suite, frame, run_name)
                if "SOURCE_FILE" in frame:
                    located = dict(
                        group_by=["_SITEID", "SOURCE_FILE"],
                        transfer_col="TRANSFER_ID",
                        file_col="SOURCE_FILE",
                        default_row_col="SOURCE_ROW",
                    )
                else:
                    located = dict(group_by=["_SITEID"])
                found = report_rows(
                    suite.name, result, frame, site_col="_SITEID", subject_col="USUBJID", **located
                )
                rows += _counted(found, result, frame, located["group_by"], unit="row")
            gxp.prune()
            gxp.build_docs()
        return _frame(rows, STUDY_COLUMNS)
    except Exception as err:
        return _error_row("study_rules", err, gx_root, STUDY_COLUMNS)
