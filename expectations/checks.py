"""Entry points the dbt Python models in ``models/validation/`` call.

Each returns a pandas frame of report rows (``gx_project.REPORT_COLUMNS`` + extras) and never
raises: an unexpected error becomes one ``validation_error`` row (no traceback in the build
output; the traceback goes to ``expectations/gx/uncommitted/last_error.txt``), which fails the
build through the tests on the report models but stops nothing else.
"""
from __future__ import annotations

import time
import traceback
from pathlib import Path

import pandas as pd

from expectations.contract import Contract
from expectations.gx_project import REPORT_COLUMNS, GxProject, clean_text, report_rows

# The GX project folder (expectations/gx lives here); the package is installed editable.
GX_ROOT = Path(__file__).resolve().parent

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
        folder = (gx_root or GxProject().root) / "gx" / "uncommitted"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "last_error.txt").write_text(
            "".join(traceback.format_exception(err)), encoding="utf-8")
    except OSError:
        pass
    return _frame([{"SUITE": stage, "CHECK_ID": "validation_error", "MESSAGE": message,
                    "UNEXPECTED_COUNT": 1}], columns)


# =============================================================================== delivery
def run_delivery_checks(root: Path, contract_frames: dict[str, pd.DataFrame], run_name: str,
                        gx_root: Path | None = None) -> pd.DataFrame:
    """Validate every file of every transfer under ``root``; one row per failed check and
    file (per site of the transfer for a transfer-level failure)."""
    try:
        from expectations.delivery import read_delivery
        from expectations.suites import delivery_suites

        contract = Contract.from_frames(**contract_frames)
        started = time.perf_counter()
        delivery = read_delivery(Path(root), contract)
        rows: list[dict] = []
        with GxProject(gx_root) as gxp:
            suites = delivery_suites(contract)     # (GX needs its context to build suites)
            located = dict(group_by=["SOURCE_FILE"], site_col="SITE_FOLDER",
                           transfer_col="TRANSFER_ID", file_col="SOURCE_FILE")
            files = delivery.files.reset_index(drop=True)
            if len(files):
                result = gxp.run(suites["delivery_files"], files, run_name)
                rows += report_rows("delivery_files", result, files, **located)
            common, occurrences = delivery.common_frame()
            if len(common):
                result = gxp.run(suites["delivery_common"], common, run_name)
                rows += report_rows("delivery_common", result, common, occurrences=occurrences,
                                    default_row_col="SOURCE_ROW", **located)
            records = delivery.records_frame()
            if len(records):
                result = gxp.run(suites["delivery_records"], records, run_name)
                rows += report_rows("delivery_records", result, records,
                                    default_row_col="SOURCE_ROW", **located)
            dates, occurrences = delivery.dates_frame()
            if len(dates):
                result = gxp.run(suites["delivery_dates"], dates, run_name)
                rows += report_rows("delivery_dates", result, dates, occurrences=occurrences,
                                    default_row_col="SOURCE_ROW", **located)
            for form in delivery.forms:
                if not len(delivery.forms[form]):
                    continue
                values, occurrences = delivery.value_frame(form)
                result = gxp.run(suites[f"delivery_{form}"], values, run_name)
                rows += report_rows(f"delivery_{form}", result, values, occurrences=occurrences,
                                    default_row_col="SOURCE_ROW", **located)
            gxp.prune()
            gxp.build_docs()
        rows = _expand_transfer_level(rows, delivery.site_transfers)
        report = _frame(rows, DELIVERY_COLUMNS)
        report.attrs["seconds"] = time.perf_counter() - started
        return report
    except Exception as err:                       # never a traceback in the build
        return _error_row("delivery", err, gx_root, DELIVERY_COLUMNS)


def _expand_transfer_level(rows: list[dict], site_transfers: pd.DataFrame) -> list[dict]:
    """A failure without a site (manifest, transfer folder) concerns every site of the
    transfer: one row per site, so that each site's transfer is quarantined."""
    out = []
    sites = site_transfers.groupby("TRANSFER_ID")["SITEID"].apply(sorted).to_dict()
    for row in rows:
        if row["SITEID"] is None and row["TRANSFER_ID"] is not None:
            for site in sites.get(row["TRANSFER_ID"], []):
                out.append(row | {"SITEID": site, "MESSAGE": f"site {site}, {row['MESSAGE']}"})
        else:
            out.append(row)
    return out


def as_polars(report: pd.DataFrame):
    """The report as a polars frame with a fixed schema (an empty report keeps its types)."""
    import polars as pl

    ints = {"ROW", "UNEXPECTED_COUNT"}
    schema = {c: (pl.Int64 if c in ints else pl.String) for c in report.columns}
    data = {c: [None if (v is None or (not isinstance(v, str) and pd.isna(v)))
                else (int(v) if c in ints else str(v)) for v in report[c].tolist()]
            for c in report.columns}
    return pl.DataFrame(data, schema=schema)


# =============================================================================== ADaM
ADAM_COLUMNS = ["SUITE", "CHECK_ID", "DATASET", "SITEID", "USUBJID", "COLUMN_NAME", "MESSAGE",
                "UNEXPECTED_COUNT", "EXAMPLES"]
ADAM_DATASETS = ("adsl", "adrs", "adtte", "adae", "adex")


def _site_of(frame: pd.DataFrame) -> pd.Series:
    """SITEID of each row: the column when the dataset has it, else from USUBJID."""
    if "SITEID" in frame.columns:
        return frame["SITEID"].astype(object)
    if "USUBJID" in frame.columns:
        return frame["USUBJID"].astype("string").str.extract(r"-([0-9]{3})-[0-9]{3}$",
                                                             expand=False).astype(object)
    return pd.Series(None, index=frame.index, dtype=object)


def adam_helpers(dataset: str, frame: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Helper columns some adam_rules compare (documented in seeds/_validation__seeds.yml)."""
    frame = frame.copy()
    frame["_SITEID"] = _site_of(frame)
    if dataset == "adrs" and "AVALC" in frame:
        order = rules[(rules.CHECK_KIND == "in_set") & (rules.VARIABLE == "AVALC")]
        codes = str(order.VALUE_SET.iloc[0]).split("|") if len(order) else []
        frame["AVALC_N"] = frame["AVALC"].map({c: i + 1 for i, c in enumerate(codes)})
    if dataset == "adtte" and {"ADT", "STARTDT"} <= set(frame.columns):
        days = (pd.to_datetime(frame["ADT"]) - pd.to_datetime(frame["STARTDT"])).dt.days + 1
        frame["AVAL_FROM_DATES"] = days
    if dataset == "adex" and {"PARAMCD", "AVAL"} <= set(frame.columns):
        frame["RDI_AVAL"] = frame["AVAL"].where(frame["PARAMCD"] == "RDI")
    for column in frame.columns:                      # DATE columns as timestamps
        if frame[column].dtype == object and len(frame) and \
                frame[column].map(lambda v: v is not None and type(v).__name__ == "date").any():
            frame[column] = pd.to_datetime(frame[column])
    return frame


def run_adam_checks(datasets: dict[str, pd.DataFrame], required: pd.DataFrame,
                    rules: pd.DataFrame, run_name: str,
                    gx_root: Path | None = None) -> pd.DataFrame:
    """ADaM conformance of every dataset; one row per failed check and site."""
    try:
        from expectations.suites import adam_suite

        rows: list[dict] = []
        with GxProject(gx_root) as gxp:
            for dataset in ADAM_DATASETS:
                frame = adam_helpers(dataset, datasets[dataset],
                                     rules[rules.DATASET == dataset])
                suite = adam_suite(dataset,
                                   required.loc[required.DATASET == dataset, "VARIABLE"].tolist(),
                                   rules[rules.DATASET == dataset])
                result = gxp.run(suite, frame.reset_index(drop=True), run_name)
                rows += report_rows(suite.name, result, frame.reset_index(drop=True),
                                    group_by=["_SITEID"], site_col="_SITEID",
                                    subject_col="USUBJID" if "USUBJID" in frame else None,
                                    dataset=f"adam.{dataset}")
            gxp.prune()
            gxp.build_docs()
        return _frame(rows, ADAM_COLUMNS)
    except Exception as err:
        return _error_row("adam", err, gx_root, ADAM_COLUMNS)


# ========================================================================== study rules
STUDY_COLUMNS = ["SUITE", "CHECK_ID", "SITEID", "USUBJID", "TRANSFER_ID", "FILE", "ROW",
                 "COLUMN_NAME", "MESSAGE", "UNEXPECTED_COUNT", "EXAMPLES"]


def run_study_rule_checks(frames: dict[str, pd.DataFrame], rules: pd.DataFrame, run_name: str,
                          gx_root: Path | None = None) -> pd.DataFrame:
    """Study rules (queries): one row per rule and site (per file for record-level rules)."""
    try:
        from expectations.suites import study_rules_suite

        rows: list[dict] = []
        with GxProject(gx_root) as gxp:
            for name, frame in frames.items():
                frame = adam_helpers("", frame, rules).reset_index(drop=True)
                suite = study_rules_suite(name, rules[rules.FRAME == name])
                result = gxp.run(suite, frame, run_name)
                if "SOURCE_FILE" in frame:
                    located = dict(group_by=["_SITEID", "SOURCE_FILE"], transfer_col="TRANSFER_ID",
                                   file_col="SOURCE_FILE", default_row_col="SOURCE_ROW")
                else:
                    located = dict(group_by=["_SITEID"])
                rows += report_rows(suite.name, result, frame, site_col="_SITEID",
                                    subject_col="USUBJID", **located)
            gxp.prune()
            gxp.build_docs()
        return _frame(rows, STUDY_COLUMNS)
    except Exception as err:
        return _error_row("study_rules", err, gx_root, STUDY_COLUMNS)
