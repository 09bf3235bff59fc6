"""One delivery check run: file level (expectations.delivery) and row level
(expectations.delivery_rows) prepared side by side, validated by the GX delivery suites,
failures turned into report rows that name site, transfer, file, row and column.

Order (at 100,000 subjects the file reads and DuckDB's scans take seconds each, so they
overlap): two worker threads run the DuckDB scans (date bounds per file and subject plus the
distinct values; the single-threaded record-order pass on a cursor of its own) while the main
thread reads and hashes every file (a small pool); then the per-file frames (they exclude the
files found unusable), the GX runs (one per suite, one GX context), and the lookups of where
the failures occur.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expectations.contract import Contract
from expectations.delivery import DeliveryFiles, confirm
from expectations.delivery_rows import (
    EXAMPLES,
    OCCURRENCE_COLUMNS,
    Base,
    Dates,
    Part,
    Records,
    ValueFrames,
    ValueReducer,
    occurrences,
)
from expectations.gx_project import _locate, clean_text, expectation_failures, format_message, report_rows


@dataclass
class DeliveryRun:
    files: DeliveryFiles | None = None
    rows: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def check_delivery(
    root: Path,
    contract: Contract,
    con,
    raw: dict[str, str],
    files_table: str,
    gxp,
    suites: dict,
    run_name: str,
    inventory_frame: pd.DataFrame,
    temp_tables: bool = False,
) -> DeliveryRun:
    """Validate the delivery under ``root`` whose rows DuckDB (``con``) holds in the raw
    tables ``raw`` (form -> raw_edc__<form>) with their files in ``files_table``
    (base_edc__files); ``inventory_frame``: the file inventory made before the raw read
    (expectations.delivery.inventory); ``gxp``: an open GxProject. ``temp_tables``: the raw
    tables are ``con``'s temporary tables (the nightly's new transfers only), which another
    connection cannot see: the order pass then runs on ``con`` after the scans."""
    run = DeliveryRun()
    clock = time.perf_counter()
    base = Base(con, raw, files_table, contract)
    reducer = ValueReducer(base, contract)
    dates = Dates(base, contract)
    records = Records(base, contract)
    try:
        # ---- DuckDB scans (two worker threads) while the files are read (this thread)
        failure: list[BaseException] = []

        def guarded(fn):
            def work():
                try:
                    fn()
                except BaseException as err:
                    failure.append(err)

            return work

        counts = base.row_counts()  # (con is the scan worker's from here on)
        cursor = con.cursor()  # the order pass streams on one core
        if temp_tables:
            workers = [
                threading.Thread(
                    target=guarded(
                        lambda: (dates.subject_bounds(), reducer.scan(), records.order_breaks(con))
                    ),
                    name="delivery-scan",
                )
            ]
        else:
            workers = [
                threading.Thread(target=guarded(lambda: records.order_breaks(cursor)), name="delivery-order"),
                threading.Thread(
                    target=guarded(lambda: (dates.subject_bounds(), reducer.scan())), name="delivery-scan"
                ),
            ]
        for worker in workers:
            worker.start()
        try:
            run.files = files = confirm(root, inventory_frame, contract, counts)
            run.timings["files"] = time.perf_counter() - clock
        finally:
            for worker in workers:
                worker.join()
            cursor.close()
        if failure:
            raise failure[0]
        run.timings["scans"] = time.perf_counter() - clock

        # ---- frames
        base.set_unusable(files.unusable)
        data_files = files.data_files
        dm_files = data_files[data_files["FORM"] == "dm"]
        values = reducer.frames(set(zip(dm_files["TRANSFER_ID"], dm_files["SITE_FOLDER"])))
        date_frame = dates.frame()
        record_frame = records.frame(data_files, files.multi_transfer_sites())
        run.timings["frames"] = time.perf_counter() - clock

        # ---- GX
        located = dict(
            group_by=["SOURCE_FILE"],
            site_col="SITE_FOLDER",
            transfer_col="TRANSFER_ID",
            file_col="SOURCE_FILE",
        )
        frame = files.files.reset_index(drop=True)
        frame = frame.drop(columns=[c for c in ("EXACT", "READ_OK", "READ_PATH") if c in frame.columns])
        if len(frame):
            result = gxp.run(suites["delivery_files"], frame, run_name)
            run.rows += report_rows("delivery_files", result, frame, **located)
        order = ["delivery_common", *[f"delivery_{f}" for f in contract.forms]]
        for name in order:
            frame = values.frames.get(name)
            if frame is None or not len(frame):
                continue
            result = gxp.run(suites[name], frame, run_name)
            run.rows += value_report(name, result, frame, values, reducer, base, gxp, suites[name], run_name)
        if len(record_frame):
            result = gxp.run(suites["delivery_records"], record_frame, run_name)
            run.rows += aggregate_report("delivery_records", result, record_frame)
        if len(date_frame):
            result = gxp.run(suites["delivery_dates"], date_frame, run_name)
            run.rows += dates_report(result, date_frame, dates)
        run.timings["gx"] = time.perf_counter() - clock
    finally:
        run.timings |= {f"sql_{k}": round(v, 3) for k, v in base.timings.items()}
        base.close()
    return run


# =============================================================================== reports
def _report_row(
    suite: str, meta: dict, first: dict, count: int, examples: list, site, transfer, source_file, row
) -> dict:
    """One report row (the columns of gx_project.REPORT_COLUMNS) for one file."""
    check = meta.get("check", "unknown")
    column = meta.get("column")
    if meta.get("column_from"):
        column = first.get(meta["column_from"]) or column
    value_col = meta.get("value")
    values = first | {"value": first.get(value_col) if value_col else None, "column": column}
    detail = format_message(meta.get("message", check), values)
    row = None if row is None or pd.isna(row) else int(row)
    where = {"SITEID": site, "TRANSFER_ID": transfer, "FILE": source_file, "ROW": row, "COLUMN_NAME": column}
    more = f" (and {count - 1} more row(s))" if count > 1 else ""
    shown = "; ".join(f"row {int(r)}: {clean_text(v, 60)}" for r, v in examples[:EXAMPLES])
    return {
        "SUITE": suite,
        "CHECK_ID": check,
        **where,
        "MESSAGE": f"{_locate(where)}: {detail}{more}",
        "UNEXPECTED_COUNT": int(count),
        "EXAMPLES": shown,
    }


def value_report(
    suite_name: str,
    validation,
    frame: pd.DataFrame,
    values: ValueFrames,
    reducer: ValueReducer,
    base: Base,
    gxp,
    suite,
    run_name: str,
) -> list[dict]:
    """Report rows of a value suite: failing distinct values, located in the base tables.
    Failing timestamp groups are first re-validated value by value (second GX run)."""
    groups: dict[int, tuple[Part, list]] = {}
    kept = []
    for meta, _result, idx in expectation_failures(validation):
        exact = []
        for i, key in zip(idx, frame.loc[idx, "_KEY"].tolist() if idx else []):
            part, group, key_values = values.keys[int(key)]
            if group in ("date", "time"):
                groups.setdefault(id(part), (part, []))[1].append((group, key_values["_G"]))
            else:
                exact.append(i)
        if exact or not idx:
            kept.append((meta, frame, exact))
    for part, wanted in groups.values():
        refined = reducer.refine(part, sorted(set(wanted)))
        if not len(refined):
            continue
        refined = refined.reindex(columns=list(dict.fromkeys([*frame.columns, *refined.columns])))
        refined = refined.reset_index(drop=True)
        result = gxp.run(suite, refined, run_name)
        kept += [(meta, refined, idx) for meta, _r, idx in expectation_failures(result) if idx]
    # where every failing key occurs (one lookup per part)
    failing = {}
    for _meta, fr, idx in kept:
        for key in fr.loc[idx, "_KEY"].tolist() if idx else []:
            part, _group, key_values = values.keys[int(key)]
            failing[int(key)] = (int(key), part, key_values)
    found = occurrences(base, list(failing.values())) if failing else pd.DataFrame(columns=OCCURRENCE_COLUMNS)
    found = found.assign(FIRST=[int(r[0]) for r in found["ROWS"]])
    rows: list[dict] = []
    for meta, fr, idx in kept:
        if not idx:  # the check itself could not run (e.g. a column is missing)
            rows.append(_report_row(suite_name, meta, {}, 1, [], None, None, None, None))
            continue
        bad = fr.loc[idx]
        position = dict(zip(bad["_KEY"].astype(int).tolist(), range(len(bad))))
        value_col = meta.get("value") if meta.get("value") in bad.columns else None
        shown = bad[value_col].tolist() if value_col else [None] * len(bad)
        hits = found[found["KEY_ID"].isin(position)].sort_values(["SOURCE_FILE", "FIRST"])
        for source, group in hits.groupby("SOURCE_FILE", sort=True):
            # the 5 smallest rows are among the rows of the 5 keys that occur first
            head = group.head(EXAMPLES)
            examples = sorted(
                (int(r), shown[position[int(k)]]) for k, rws in zip(head["KEY_ID"], head["ROWS"]) for r in rws
            )
            first_key = int(head["KEY_ID"].iloc[0])
            first = _with_context(bad.iloc[position[first_key]].to_dict(), values.keys[first_key][0])
            top = head.iloc[0]
            rows.append(
                _report_row(
                    suite_name,
                    meta,
                    first,
                    int(group["N"].sum()),
                    examples,
                    top["SITE_FOLDER"],
                    top["TRANSFER_ID"],
                    source,
                    int(top["FIRST"]),
                )
            )
    return rows


def _with_context(row: dict, part: Part) -> dict:
    """A frame row plus its part's key columns under their spec names (LBORRES__LBTESTCD
    -> LBTESTCD) for the message template."""
    out = dict(row)
    for frame_col in part.frame_cols:
        if "__" in frame_col and frame_col in row:
            out.setdefault(frame_col.split("__", 1)[1], row[frame_col])
    return out


def aggregate_report(suite_name: str, validation, frame: pd.DataFrame) -> list[dict]:
    """Report rows of a per-file suite (delivery_records): the frame row of a file carries
    the count, first row and examples of its offending rows (meta count/row/examples)."""
    rows = []
    for meta, _result, idx in expectation_failures(validation):
        if not idx:
            rows.append(_report_row(suite_name, meta, {}, 1, [], None, None, None, None))
            continue
        for i in idx:
            first = frame.loc[i].to_dict()
            count = first.get(meta.get("count")) if meta.get("count") else None
            count = 1 if count is None or pd.isna(count) or int(count) < 1 else int(count)
            examples = _examples(first.get(meta.get("examples")))
            rows.append(
                _report_row(
                    suite_name,
                    meta,
                    first,
                    count,
                    examples,
                    first.get("SITE_FOLDER"),
                    first.get("TRANSFER_ID"),
                    first.get("SOURCE_FILE"),
                    first.get(meta.get("row")),
                )
            )
    return rows


def _examples(value) -> list[tuple[int, object]]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    out = []
    for item in list(value):
        if isinstance(item, dict):
            out.append((int(item["row"]), item["value"]))
        else:
            out.append((int(item[0]), item[1]))
    return out


def dates_report(validation, frame: pd.DataFrame, dates: Dates) -> list[dict]:
    """Report rows of delivery_dates: the failing (file, column) rows' offending rows are
    looked up (count, first row and its value, subject, consent, examples); one report row
    per check and file (its first offending row)."""
    rows = []
    for meta, _result, idx in expectation_failures(validation):
        if not idx:
            rows.append(_report_row("delivery_dates", meta, {}, 1, [], None, None, None, None))
            continue
        failing = frame.loc[idx]
        details = dates.details(meta["check"], failing)
        merged = failing.merge(details, on=["SOURCE_FILE", "COLUMN"], how="left")
        for source, group in merged.groupby("SOURCE_FILE", sort=True):
            group = group.sort_values("FIRST_ROW", na_position="last")
            first = group.iloc[0].to_dict()
            examples = sorted(
                e for r in group.itertuples(index=False) for e in _examples(getattr(r, "EXAMPLES", None))
            )
            count = int(group["N"].fillna(1).sum()) if "N" in group else len(group)
            rows.append(
                _report_row(
                    "delivery_dates",
                    meta,
                    first,
                    count,
                    examples,
                    first.get("SITE_FOLDER"),
                    first.get("TRANSFER_ID"),
                    source,
                    first.get("FIRST_ROW"),
                )
            )
    return rows
