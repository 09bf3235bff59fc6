"""The GX expectation suites of the warehouse (reviewed like code).

Every expectation carries a ``meta`` that says what a data manager is told when it fails:

- ``check``    short id of the check (the CHECK column of the validation tables);
- ``column``   the spec/ADaM column the check is about (None for file-level checks);
- ``message``  a ``str.format`` template over the offending row's columns plus ``value``
  (the offending value) and ``column``;
- ``value``    frame column holding the value to show (default: the expectation's column);
- ``row``      frame column holding the row to report (default SOURCE_ROW; None = no row);
- ``column_from`` frame column holding the reported column name (e.g. MISSING_COLUMNS);
- ``report``   ``later_duplicates``: of a duplicated key, report every occurrence but the first;
- ``count`` / ``examples`` (delivery_records, delivery_dates) frame columns holding the number
  of offending rows of the file and examples (the frame row stands for a whole file).

Suites
------
``delivery_files``   one row per file / manifest (frame from expectations.delivery): manifest,
                     hash, row count, UTF-8, BOM, CSV structure, missing / extra columns.
``delivery_common``  the columns every form shares, all forms (distinct values per column,
                     stacked; ``_PART`` names the column): required values, types, codes,
                     SITEID vs folder, SUBJID pattern / site / in dm.
``delivery_<form>``  one per form, its own columns (distinct values per column, stacked):
                     types, dates (format, calendar, partial only where allowed), codes,
                     ranges, lab results/units.
``delivery_records`` per file: duplicate (RECID, RECVER) rows, RECVER going backwards.
``delivery_dates``   per file and date column: dates vs the transfer date and informed consent
                     (own precision).
(expectations.delivery_rows says how DuckDB reduces the rows to these frames.)
``adam_<dataset>``   ADaM content rules (seeds/adam_spec/, seeds/adam_rules.csv).
``adam_<dataset>_columns``, ``adam_<dataset>_conformance``, ``adam_spec``
                     ADaM conformance to the spec (expectations.conformance).
``study_rules``      protocol rules a data manager queries a site about (warnings).
"""

from __future__ import annotations

import re

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.expectations.row_conditions import Column as RowColumn

from expectations.contract import Contract


def full_match(regex: str) -> str:
    """Anchor a seed regex so that it must match the whole value (no trailing newline); its
    groups become non-capturing (pandas warns about capturing groups in str.contains)."""
    plain = re.sub(r"(?<!\\)\((?!\?)", "(?:", regex)
    return rf"\A(?:{plain})\Z"


def _meta(check: str, message: str, column: str | None = None, **extra) -> dict:
    return {"check": check, "column": column, "message": message, **extra}


def _suite(name: str, description: str, expectations: list) -> gx.ExpectationSuite:
    # expectations passed to the constructor: add_expectation() would look each one up in
    # the project's store (slow, and it needs an open context)
    return gx.ExpectationSuite(name=name, meta={"description": description}, expectations=expectations)


# =============================================================================== delivery
def delivery_files_suite(contract: Contract) -> gx.ExpectationSuite:
    """File-level contract: one row per file (see expectations.delivery FILE_COLUMNS)."""
    siteid = contract.type_regex["siteid"]
    E = []
    E.append(
        gxe.ExpectColumnValuesToMatchRegex(
            column="TRANSFER_ID",
            regex=full_match(r"[0-9]{8}T[0-9]{4}"),
            meta=_meta(
                "transfer_folder",
                "the transfer folder {value!r} is not a transfer id YYYYMMDDTHHMM",
                row=None,
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeNull(
            column="MANIFEST_ERROR", meta=_meta("manifest", "{MANIFEST_ERROR}", row=None)
        )
    )
    E.append(
        gxe.ExpectColumnValuesToMatchRegex(
            column="SITE_FOLDER",
            regex=full_match(siteid),
            meta=_meta("site_folder", "the folder site_{value} is not a study site's folder", row=None),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeNull(
            column="PATH_ERROR", meta=_meta("path", "{PATH_ERROR}", row=None, value="FILE")
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="MANIFEST_COUNT",
            value_set=[1],
            meta=_meta(
                "manifest_entry_twice",
                "the manifest lists this file {MANIFEST_COUNT} times (once expected)",
                row=None,
                value="FILE",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="KNOWN_FILE",
            value_set=[True],
            meta=_meta(
                "unexpected_file",
                "unexpected file: not site_<SITEID>/<form>.csv of one of the 14 forms",
                row=None,
                value="FILE",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="IN_MANIFEST",
            value_set=[True],
            meta=_meta(
                "not_in_manifest", "file is not in the manifest (not to be trusted)", row=None, value="FILE"
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="ON_DISK",
            value_set=[True],
            meta=_meta("missing_file", "file listed in the manifest is missing", row=None, value="FILE"),
        )
    )
    E.append(
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="FILE",
            column_B="LISTED_AS",
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "manifest_entry",
                "the manifest lists this file with SITEID/FORM of {LISTED_AS}",
                row=None,
                value="FILE",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="ACTUAL_ROWS",
            column_B="DECLARED_ROWS",
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "row_count",
                "row count {ACTUAL_ROWS} disagrees with the manifest (ROWS {DECLARED_ROWS})",
                column="ROWS",
                row=None,
                value="ACTUAL_ROWS",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="ACTUAL_SHA256",
            column_B="DECLARED_SHA256",
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "sha256",
                "SHA-256 hash disagrees with the manifest (file {ACTUAL_SHA256}, manifest {DECLARED_SHA256})",
                column="SHA256",
                row=None,
                value="ACTUAL_SHA256",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="UTF8_OK",
            value_set=[True],
            meta=_meta(
                "encoding",
                "file is not UTF-8 (first undecodable bytes in row {BAD_UTF8_ROW}, column {BAD_UTF8_COLUMN})",
                row="BAD_UTF8_ROW",
                column_from="BAD_UTF8_COLUMN",
                value="FILE",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="HAS_BOM",
            value_set=[False],
            meta=_meta(
                "bom",
                "file starts with a UTF-8 byte-order mark (the spec says no BOM)",
                row=None,
                value="FILE",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeNull(
            column="CSV_ERROR", meta=_meta("csv", "{CSV_ERROR}", row="CSV_ERROR_ROW")
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeNull(
            column="MISSING_COLUMNS",
            meta=_meta(
                "missing_column",
                "missing column(s) {MISSING_COLUMNS}",
                row=None,
                column_from="MISSING_COLUMNS",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeNull(
            column="EXTRA_COLUMNS",
            meta=_meta(
                "extra_column",
                "extra column(s) {EXTRA_COLUMNS} (not in the spec)",
                row=None,
                column_from="EXTRA_COLUMNS",
            ),
        )
    )
    return _suite(
        "delivery_files",
        "Delivery contract, file level: manifest (listed, row "
        "count, SHA-256), UTF-8 without BOM, RFC 4180 CSV, columns (missing/extra).",
        E,
    )


def delivery_form_suite(contract: Contract, form: str) -> gx.ExpectationSuite:
    """Values of one form's own columns (frame: expectations.delivery_rows, one row per
    distinct value of a column, _PART names the column)."""
    E = []
    for col in contract.form_columns(form):
        E.extend(_value_expectations(contract, col))
    if form == "lb":
        E.extend(_lab_expectations(contract))
    return _suite(
        f"delivery_{form}",
        f"Delivery contract of form {form}, values of its own "
        "columns (spec section 4): one row per distinct value of a column in every "
        "transfer (_PART names the column).",
        E,
    )


def delivery_common_suite(contract: Contract) -> gx.ExpectationSuite:
    """The columns every form shares (spec section 3), for all forms at once (frame:
    expectations.delivery_rows, one row per distinct value of a column - with the site
    folder for SITEID and SUBJID - _PART names the column; IN_DM rows: one per transfer,
    site and subject of every form but dm)."""
    E = []
    for col in contract.common:
        E.extend(_value_expectations(contract, col))
    E.append(
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="SITEID",
            column_B="SITE_FOLDER",
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "siteid_folder",
                "SITEID {value} differs from the folder site_{SITE_FOLDER}",
                "SITEID",
                value="SITEID",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="SUBJID_SITE",
            column_B="SITE_FOLDER",
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "subjid_site",
                "SUBJID {value} is not a subject of the folder's site {SITE_FOLDER}",
                "SUBJID",
                value="SUBJID",
            ),
        )
    )
    E.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="IN_DM",
            value_set=[True],
            meta=_meta(
                "subjid_in_dm",
                "SUBJID not in dm: {value} has no record in the site's dm file of this transfer",
                "SUBJID",
                value="IN_DM_SUBJID",
            ),
        )
    )
    return _suite(
        "delivery_common",
        "Delivery contract, the columns common to every form "
        "(spec section 3): one row per distinct value of a column (with the site "
        "folder for SITEID, SUBJID) of every form and transfer; SITEID vs the folder, "
        "SUBJID of the site and present in dm.",
        E,
    )


def _value_expectations(contract: Contract, col) -> list:
    """Required, type, calendar, code, range expectations of one contract column."""
    E = []
    lists = contract.codelists
    name = col.name
    if col.required:  # the frame stacks columns: only this column's rows count
        E.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=name,
                row_condition=RowColumn("_PART") == name,
                meta=_meta("required", "required value is missing", name),
            )
        )
    regex = contract.type_regex.get(col.type_key)
    expected = contract.type_expected.get(col.type_key, "")
    if regex:
        E.append(
            gxe.ExpectColumnValuesToMatchRegex(
                column=name,
                regex=full_match(regex),
                meta=_meta(f"type_{col.type_key}", f"{{value!r}} {expected}", name),
            )
        )
    if col.is_date:
        E.append(
            gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=f"{name}__ISO",
                strftime_format="%Y-%m-%d",
                meta=_meta("date_calendar", "{value!r} is not a valid date (no such day)", name, value=name),
            )
        )
    if col.type == "timestamp":
        E.append(
            gxe.ExpectColumnValuesToMatchStrftimeFormat(
                column=name,
                strftime_format="%Y-%m-%dT%H:%M:%S",
                meta=_meta("timestamp_calendar", "{value!r} is not a valid timestamp", name),
            )
        )
    if col.type == "code":
        E.append(
            gxe.ExpectColumnValuesToBeInSet(
                column=name,
                value_set=lists[col.codelist],
                meta=_meta("code", f"code {{value!r}} is outside its list {col.codelist}", name),
            )
        )
    if col.type == "code_list":
        one = "|".join(re.escape(c) for c in lists[col.codelist])
        E.append(
            gxe.ExpectColumnValuesToMatchRegex(
                column=name,
                regex=full_match(f"(?:{one})(?:;(?:{one}))*"),
                meta=_meta(
                    "code",
                    f"{{value!r}} has a code outside its list {col.codelist} (;-separated codes expected)",
                    name,
                ),
            )
        )
    if col.min_value is not None or col.max_value is not None:
        lo = "" if col.min_value is None else f"{col.min_value:g}"
        hi = "" if col.max_value is None else f"{col.max_value:g}"
        E.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=f"{name}__NUM",
                min_value=col.min_value,
                max_value=col.max_value,
                meta=_meta("range", f"{{value!r}} is outside the range {lo}..{hi}", name, value=name),
            )
        )
    return E


def delivery_dates_suite() -> gx.ExpectationSuite:
    """Dates vs the transfer date and informed consent, at each date's own precision (frame:
    expectations.delivery_rows.Dates, one row per file and date column holding the extreme
    values: if they pass, every row of the column passes)."""
    E = [
        # after the transfer date when even the earliest day the (partial) date can mean is:
        # LATEST = the latest such day in the column
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="TRANSFER_BOUND",
            column_B="LATEST",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "after_transfer",
                "{COLUMN} {VALUE} is after the transfer date {TRANSFER_BOUND}",
                column_from="COLUMN",
                value="VALUE",
                row="FIRST_ROW",
                count="N",
                examples="EXAMPLES",
            ),
        ),
        # before consent only when even the latest day it can mean is (2017-03 is not
        # before a consent on 2017-03-20): the value earliest relative to its subject's
        # consent (ON_STUDY_HI) and that consent
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ON_STUDY_HI",
            column_B="ICDT_ON_STUDY",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "before_consent",
                "{COLUMN} {VALUE} is before informed consent ({ICDT}) of subject {SUBJID}",
                column_from="COLUMN",
                value="VALUE",
                row="FIRST_ROW",
                count="N",
                examples="EXAMPLES",
            ),
        ),
        # history dates (mh, pt) must be before consent: after it when even the earliest
        # day they can mean is; HISTORY_LO = the value latest relative to the consent
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ICDT_HISTORY",
            column_B="HISTORY_LO",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "history_after_consent",
                "{COLUMN} {VALUE} is after informed consent "
                "({ICDT}) of subject {SUBJID}; history dates must be before it",
                column_from="COLUMN",
                value="VALUE",
                row="FIRST_ROW",
                count="N",
                examples="EXAMPLES",
            ),
        ),
    ]
    return _suite(
        "delivery_dates",
        "Delivery contract, date order: no date after the "
        "transfer's date, on-study dates not before informed consent, history dates "
        "(mh, pt) not after it; partial dates compared at their own precision. One "
        "row per file and date column with its extreme values.",
        E,
    )


def delivery_records_suite() -> gx.ExpectationSuite:
    """Record keys (frame: expectations.delivery_rows.Records, one row per data file)."""
    E = [
        gxe.ExpectColumnValuesToBeBetween(
            column="DUPLICATE_ROWS",
            min_value=0,
            max_value=0,
            meta=_meta(
                "duplicate_record",
                "duplicate (RECID, RECVER) ({DUPLICATE_RECID}, "
                "{DUPLICATE_RECVER}): the same record version is already in row "
                "{DUPLICATE_OF_ROW}",
                "RECID",
                value="DUPLICATE_RECID",
                row="FIRST_DUPLICATE_ROW",
                count="DUPLICATE_ROWS",
                examples="DUPLICATE_EXAMPLES",
            ),
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="WORST_RECVER",
            column_B="WORST_PREV_RECVER",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "recver_backwards",
                "RECVER {value} of record {BACKWARDS_RECID} went "
                "backwards (RECVER {BACKWARDS_PREV_RECVER:g} in an earlier transfer of "
                "the site)",
                "RECVER",
                value="BACKWARDS_RECVER",
                row="FIRST_BACKWARDS_ROW",
                count="BACKWARDS_ROWS",
                examples="BACKWARDS_EXAMPLES",
            ),
        ),
    ]
    return _suite(
        "delivery_records",
        "Delivery contract, record versions, one row per data "
        "file: no (RECID, RECVER) twice in a file (DUPLICATE_ROWS = 0); RECVER never "
        "lower than in the site's earlier transfers (the row furthest below, "
        "WORST_RECVER, is not below its earlier WORST_PREV_RECVER).",
        E,
    )


def delivery_reconciliation_suite() -> gx.ExpectationSuite:
    """A site transfer against the site's last accepted one (frame:
    expectations.reconciliation, one row per compared site transfer and form, plus one per
    site transfer for the ledger of accepted transfers)."""
    E = [
        gxe.ExpectColumnValuesToBeInSet(
            column="N_MISSING",
            value_set=[0],
            meta=_meta(
                "record_missing",
                "record {MISSING_RECID} (subject {MISSING_SUBJID}, "
                "RECVER {MISSING_RECVER}) of the site's last accepted transfer "
                "{ACCEPTED_TRANSFER_ID} is missing, and no later version deletes it",
                "RECID",
                value="MISSING_RECID",
                row=None,
                count="N_MISSING",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="N_CHANGED",
            value_set=[0],
            meta=_meta(
                "record_changed",
                "record {CHANGED_RECID} changed under the same RECVER "
                "{CHANGED_RECVER}: {CHANGED_COLUMN} was {CHANGED_FROM!r} in the accepted "
                "transfer {ACCEPTED_TRANSFER_ID}, is {CHANGED_TO!r} now (a correction "
                "needs RECVER + 1)",
                "RECVER",
                value="CHANGED_RECID",
                column_from="CHANGED_COLUMN",
                row="CHANGED_ROW",
                count="N_CHANGED",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="N_OTHER_SUBJECT",
            value_set=[0],
            meta=_meta(
                "recid_other_subject",
                "record {OTHER_SUBJECT_RECID} belonged to subject "
                "{OTHER_SUBJECT_FROM} in the accepted transfer {ACCEPTED_TRANSFER_ID} "
                "and belongs to {OTHER_SUBJECT_TO} now (a RECID never moves)",
                "SUBJID",
                value="OTHER_SUBJECT_RECID",
                row="OTHER_SUBJECT_ROW",
                count="N_OTHER_SUBJECT",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="N_OTHER_FORM",
            value_set=[0],
            meta=_meta(
                "recid_other_form",
                "record {OTHER_FORM_RECID} was in form "
                "{OTHER_FORM_FROM} in the accepted transfer {ACCEPTED_TRANSFER_ID} and is "
                "in form {FORM} now (a RECID never moves)",
                "RECID",
                value="OTHER_FORM_RECID",
                row="OTHER_FORM_ROW",
                count="N_OTHER_FORM",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="NOT_LATER",
            value_set=[False],
            meta=_meta(
                "transfer_not_later",
                "transfer {TRANSFER_ID} is not later than the "
                "site's last accepted transfer {LAST_ACCEPTED_TRANSFER_ID} (transfer ids "
                "increase)",
                value="TRANSFER_ID",
                row=None,
            ),
        ),
        gxe.ExpectColumnValuesToBeNull(
            column="LEDGER_CHANGE",
            meta=_meta(
                "accepted_transfer_changed",
                "transfer {TRANSFER_ID} of site "
                "{SITE_FOLDER} was accepted by an earlier build and has changed since "
                "(transfers are never edited): {LEDGER_CHANGE}",
                value="TRANSFER_ID",
                row=None,
                count="LEDGER_CHANGES",
            ),
        ),
    ]
    return _suite(
        "delivery_reconciliation",
        "A site transfer against what the warehouse "
        "already accepted from the site: every record of the last accepted "
        "transfer still there (or deleted by a new version), no change under the "
        "same RECVER, no RECID moving subject or form, transfer ids increasing, an "
        "accepted transfer never changed.",
        E,
    )


def _lab_expectations(contract: Contract) -> list:
    labs = contract.lab_tests
    results = "|".join(f"{re.escape(r.LBTESTCD)}:(?:{r.RESULT_REGEX})" for r in labs.itertuples(index=False))
    units = sorted(f"{r.LBTESTCD}:{'' if pd.isna(r.UNIT) else r.UNIT}" for r in labs.itertuples(index=False))
    return [
        # the row's test code is the frame column <column>__LBTESTCD (the frame's LBTESTCD
        # column holds the values of LBTESTCD's own checks, empty on these rows); "||"
        # separates the wordings for an empty test code or unit (format_message)
        gxe.ExpectColumnValuesToMatchRegex(
            column="LBRES_KEY",
            regex=full_match(results),
            meta=_meta(
                "lab_result",
                "LBORRES {value!r} is not a result of test "
                "{LBORRES__LBTESTCD} (see seeds/extract_lab_tests.csv)"
                "||LBORRES {value!r} has no test code: LBTESTCD is empty",
                "LBORRES",
                value="LBORRES",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="LBUNIT_KEY",
            value_set=units,
            meta=_meta(
                "lab_unit",
                "unit {value!r} is not the spec's unit of test "
                "{LBORRESU__LBTESTCD}"
                "||LBORRESU is empty, but test {LBORRESU__LBTESTCD} has a unit "
                "(see seeds/extract_lab_tests.csv)"
                "||unit {value!r} has no test code: LBTESTCD is empty"
                "||no unit and no test code: LBORRESU and LBTESTCD are empty",
                "LBORRESU",
                value="LBORRESU",
            ),
        ),
    ]


def delivery_suites(contract: Contract) -> dict[str, gx.ExpectationSuite]:
    suites = {
        "delivery_files": delivery_files_suite(contract),
        "delivery_common": delivery_common_suite(contract),
        "delivery_records": delivery_records_suite(),
        "delivery_dates": delivery_dates_suite(),
        "delivery_reconciliation": delivery_reconciliation_suite(),
    }
    for form in contract.forms:
        suites[f"delivery_{form}"] = delivery_form_suite(contract, form)
    return suites


# ======================================================================== ADaM and study rules
def _number_or_text(text: str):
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _cell(value):
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def rule_expectation(
    kind: str,
    variable: str,
    other: str | None = None,
    value_set: str | None = None,
    min_value=None,
    max_value=None,
    *,
    check: str,
    message: str | None = None,
    **meta,
):
    """One GX expectation for a row of seeds adam_rules / study_rules (CHECK_KIND vocabulary).

    ``message`` defaults to a description of the rule; ``check`` is the reported CHECK_ID.
    """
    lo = None if min_value is None or pd.isna(min_value) else float(min_value)
    hi = None if max_value is None or pd.isna(max_value) else float(max_value)
    columns = variable.split("|")
    rng = f"{'' if lo is None else f'{lo:g}'}..{'' if hi is None else f'{hi:g}'}"
    defaults = {
        "unique": f"{', '.join(columns)} not unique (value {{value}})",
        "not_null": f"{variable} is missing",
        "in_set": f"{variable} {{value!r}} is not one of {value_set}",
        "between": f"{variable} {{value}} is outside {rng}",
        "integer": f"{variable} is not an integer column (type {{value}})",
        "not_before": f"{variable} {{value}} is before {other} {{{other}}}",
        "equal": f"{variable} {{value}} differs from {other} {{{other}}}",
    }
    m = _meta(check, message or defaults[kind], columns[0], value=columns[0], **meta)
    if kind == "unique":
        if len(columns) == 1:
            return gxe.ExpectColumnValuesToBeUnique(column=variable, meta=m)
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=columns, meta=m)
    if kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=variable, meta=m)
    if kind == "in_set":
        if not value_set:  # an empty list would fail every value, silently meaning nothing
            raise ValueError(f"in_set rule on {variable} has no value set")
        values = [_number_or_text(v) for v in value_set.split("|")]
        return gxe.ExpectColumnValuesToBeInSet(column=variable, value_set=values, meta=m)
    if kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(column=variable, min_value=lo, max_value=hi, meta=m)
    if kind == "integer":
        return gxe.ExpectColumnValuesToBeInTypeList(
            column=variable,
            meta=m | {"value": None},
            type_list=[
                "int8",
                "int16",
                "int32",
                "int64",
                "Int8",
                "Int16",
                "Int32",
                "Int64",
                "uint8",
                "uint16",
                "uint32",
                "uint64",
            ],
        )
    if kind == "not_before":
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=variable, column_B=other, or_equal=True, ignore_row_if="either_value_is_missing", meta=m
        )
    if kind == "equal":
        return gxe.ExpectColumnPairValuesToBeEqual(
            column_A=variable, column_B=other, ignore_row_if="either_value_is_missing", meta=m
        )
    raise ValueError(f"unknown rule kind {kind!r}")


def adam_count_column(kind: str, variable: str, other: str | None = None) -> str | None:
    """Frame column that holds, on a row of the reduced ADaM frame, how many dataset rows that
    row stands for in this rule (expectations.checks.adam_frame); None for ``integer`` (a
    column-type check). The report's UNEXPECTED_COUNT sums it over the failing rows."""
    if kind == "integer":
        return None
    parts = [kind, *variable.split("|"), *([other] if other else [])]
    return "_N__" + "__".join(parts)


def codelist_terms(codelists: pd.DataFrame) -> dict[str, list[str]]:
    """Terms of each codelist of the ADaM specification (seed adam_codelists), in TERM_ORDER."""
    rows = codelists.assign(_ORDER=pd.to_numeric(codelists["TERM_ORDER"]))
    rows = rows.sort_values(["CODELIST", "_ORDER"], kind="stable")
    return {str(c): [str(t) for t in g["TERM"]] for c, g in rows.groupby("CODELIST", sort=False)}


def adam_value_sets(rules: pd.DataFrame, variables: pd.DataFrame, codelists: pd.DataFrame) -> pd.DataFrame:
    """Seed adam_rules with the VALUE_SET of every in_set rule filled from the specification.

    The terms of a value list have one home, the codelist of the variable (seed adam_variables
    CODELIST -> seed adam_codelists); the rule row leaves VALUE_SET empty. Raises ValueError
    when an in_set rule gives a VALUE_SET of its own, or its variable has no codelist, or the
    codelist has no terms (a rule that would check nothing).

    Returns
    -------
    pandas.DataFrame
        A copy of ``rules``, VALUE_SET ``|``-joined terms on the in_set rows.
    """
    terms = codelist_terms(codelists)
    codelist_of = {
        (str(r.DATASET), str(r.VARIABLE)): _cell(r.CODELIST) for r in variables.itertuples(index=False)
    }
    out = rules.copy()
    out["VALUE_SET"] = out["VALUE_SET"].astype(object) if "VALUE_SET" in out else None
    problems = []
    for i, r in out.iterrows():
        if _cell(r["CHECK_KIND"]) != "in_set":
            continue
        where = f"{r['DATASET']}.{r['VARIABLE']}"
        if _cell(r["VALUE_SET"]):
            problems.append(f"{where}: VALUE_SET given in the rule (its terms belong in seed adam_codelists)")
            continue
        codelist = codelist_of.get((str(r["DATASET"]), str(r["VARIABLE"])))
        if not codelist or not terms.get(codelist):
            problems.append(
                f"{where}: no CODELIST with terms in seeds/adam_spec (adam_variables -> adam_codelists)"
            )
            continue
        out.at[i, "VALUE_SET"] = "|".join(terms[codelist])
    if problems:
        raise ValueError("in_set rule(s) of seed adam_rules without one codelist: " + "; ".join(problems))
    return out


def adam_variables_of(variables: pd.DataFrame, dataset: str) -> list[str]:
    """The variables of one ADaM dataset in seed adam_variables, in their VARNUM order."""
    rows = variables[dataset == variables.DATASET]
    order = pd.to_numeric(rows["VARNUM"]).sort_values(kind="stable").index
    return rows.loc[order, "VARIABLE"].tolist()


def adam_suite(dataset: str, variables: list[str], rules: pd.DataFrame) -> gx.ExpectationSuite:
    """ADaM conformance of one dataset (seeds adam_variables, adam_rules; the in_set rules'
    terms filled by ``adam_value_sets``), validated on the
    dataset's reduced frame (expectations.checks.adam_frame): each rule's meta
    ``count_column`` names the frame column with the dataset rows each frame row stands for.

    ``variables`` must all be present (a set: the frame adds helper columns; their order and
    no extra column are suite adam_<dataset>_columns of validation.adam_conformance)."""
    E = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=list(variables),
            exact_match=False,
            meta=_meta(
                "required_variables",
                "required variable(s) missing: {missing} (seeds/adam_spec/adam_variables.csv)",
            ),
        )
    ]
    for r in rules.itertuples(index=False):
        kind, variable, other = _cell(r.CHECK_KIND), _cell(r.VARIABLE), _cell(r.OTHER_VARIABLE)
        count = adam_count_column(kind, variable, other)
        E.append(
            rule_expectation(
                kind,
                variable,
                other,
                _cell(r.VALUE_SET),
                r.MIN_VALUE,
                r.MAX_VALUE,
                check=kind,
                description=_cell(r.DESCRIPTION),
                **({"count_column": count} if count else {}),
            )
        )
    return _suite(
        f"adam_{dataset}",
        f"ADaM conformance of adam.{dataset}: the variables of "
        "seeds/adam_spec/adam_variables.csv and the content rules of seeds/adam_rules.csv "
        "(value lists: seeds/adam_spec/adam_codelists.csv), "
        "validated on the dataset's rows that stand for every distinct value a rule "
        "looks at (per site). Every failure blocks publication of new results.",
        E,
    )


def study_rules_suite(frame_name: str, rules: pd.DataFrame) -> gx.ExpectationSuite:
    """Study rules over one frame (seed study_rules); failures are queries, not blockers.
    COUNT_VARIABLE (optional seed column) becomes the meta ``count_column``: the frame column
    whose sum over the failing rows is the report's UNEXPECTED_COUNT (a row of
    validation.study_rule_records stands for a subject's records)."""
    E = []
    for r in rules.itertuples(index=False):
        count = _cell(getattr(r, "COUNT_VARIABLE", None))
        E.append(
            rule_expectation(
                _cell(r.CHECK_KIND),
                _cell(r.VARIABLE),
                _cell(r.OTHER_VARIABLE),
                _cell(r.VALUE_SET),
                r.MIN_VALUE,
                r.MAX_VALUE,
                check=_cell(r.RULE_ID),
                message=_cell(r.MESSAGE),
                **({"count_column": count} if count else {}),
            )
        )
    return _suite(
        f"study_rules_{frame_name}",
        f"Study rules ({frame_name}) a data manager "
        "queries a site about (seeds/study_rules.csv); warnings, not blockers.",
        E,
    )


# ============================================================================ ADaM conformance
# Generated from the ADaM specification (seeds/adam_spec/; expectations.adam_spec), validated on
# the frames expectations.conformance.measure builds in DuckDB. Meta ``count``: the frame column
# holding the offending rows of the dataset; ``key``: the one holding the first offending row's
# key (docs/VALIDATION.md "ADaM conformance").
def adam_columns_suite(dataset: str, variables: list[str]) -> gx.ExpectationSuite:
    """The dataset's columns are ``variables`` (adam_variables, VARNUM order), only those."""
    return _suite(
        f"adam_{dataset}_columns",
        f"Columns of adam.{dataset}: the variables of seeds/adam_spec/adam_variables.csv, only "
        "those, in VARNUM order. Every failure blocks publication.",
        [
            gxe.ExpectTableColumnsToMatchOrderedList(
                column_list=list(variables),
                meta=_meta("variables", "columns are not the spec's variables in VARNUM order"),
            )
        ],
    )


def adam_conformance_suite(dataset: str) -> gx.ExpectationSuite:
    """Types, lengths and the key of one dataset, on its frame of measures (one row per
    variable, one key row; columns of expectations.conformance.FRAME_COLUMNS)."""
    from expectations.adam_spec import DUCKDB_TYPES, MAX_CHAR_LENGTH

    allowed = sorted(f"{t} {d}: {family}" for (t, d), families in DUCKDB_TYPES.items() for family in families)
    E = [
        gxe.ExpectColumnValuesToBeInSet(
            column="TYPE_KEY",
            value_set=allowed,
            meta=_meta(
                "type",
                "column type {DUCKDB_TYPE}, but the spec says {TYPE} ({DATA_TYPE}): expected {EXPECTED_TYPES}",
                variable="VARIABLE",
            ),
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="CHAR_LENGTH",
            column_B="MAX_BYTES",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "length",
                "{OVER_LENGTH_ROWS} value(s) longer than LENGTH {CHAR_LENGTH} bytes (longest {MAX_BYTES} "
                "bytes, UTF-8); first at {FIRST_KEY}",
                variable="VARIABLE",
                count="OVER_LENGTH_ROWS",
                key="FIRST_KEY",
            ),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="CHAR_LENGTH",
            min_value=1,
            max_value=MAX_CHAR_LENGTH,
            meta=_meta(
                "length_max",
                f"LENGTH {{CHAR_LENGTH}} is not 1..{MAX_CHAR_LENGTH} bytes (XPT v5 character limit)",
                variable="VARIABLE",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="KEYS_PRESENT",
            value_set=[True],
            meta=_meta(
                "key_variables",
                "key variable(s) {KEYS_MISSING} of KEYS ({KEYS}) missing: the key cannot be checked",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="DUPLICATE_KEY_ROWS",
            value_set=[0],
            meta=_meta(
                "unique_keys",
                "{DUPLICATE_KEY_ROWS} rows share their KEYS ({KEYS}) with another row; first duplicated key {FIRST_KEY}",
                count="DUPLICATE_KEY_ROWS",
                key="FIRST_KEY",
            ),
        ),
    ]
    return _suite(
        f"adam_{dataset}_conformance",
        f"Conformance of adam.{dataset} to seeds/adam_spec/: column types (TYPE / DATA_TYPE), "
        "character lengths in UTF-8 bytes (LENGTH, at most 200), the dataset's KEYS unique "
        "(adam_datasets.csv); measured over whole columns in DuckDB. Every failure blocks publication.",
        E,
    )


def adam_spec_suite() -> gx.ExpectationSuite:
    """The specification itself (expectations.conformance.spec_frame: a row per dataset and
    per variable)."""
    from expectations.conformance import DATASET_NAME, MAX_LABEL, VARIABLE_NAME

    E = [
        gxe.ExpectColumnValuesToMatchRegex(
            column="DATASET_NAME",
            regex=full_match(DATASET_NAME),
            meta=_meta("dataset_name", "dataset name {DATASET_NAME!r} is not 1-8 letters or digits"),
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="VARIABLE_NAME",
            regex=full_match(VARIABLE_NAME),
            meta=_meta(
                "variable_name",
                "variable name {VARIABLE_NAME!r} does not match ^"
                + VARIABLE_NAME.replace("{", "{{").replace("}", "}}")
                + "$ (at most 8 characters, letters and digits)",
                variable="VARIABLE",
            ),
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="LABEL",
            min_value=1,
            max_value=MAX_LABEL,
            meta=_meta(
                "label_length", f"label {{LABEL!r}} is not 1..{MAX_LABEL} characters", variable="VARIABLE"
            ),
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="LABEL",
            regex=full_match(r"[\x20-\x7E]*"),
            meta=_meta(
                "label_ascii",
                "label {LABEL!r} has a character that is not printable ASCII",
                variable="VARIABLE",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="IN_SET_RULES",
            value_set=[1],
            meta=_meta(
                "codelist_covered",
                "has CODELIST {CODELIST} but {IN_SET_RULES} in_set rule(s) in seeds/adam_rules.csv (one expected: "
                "validation.adam_checks compares its values with the codelist's terms)",
                variable="VARIABLE",
            ),
        ),
    ]
    return _suite(
        "adam_spec",
        "The ADaM specification seeds/adam_spec/: dataset and variable names, labels at most 40 "
        "printable ASCII characters, every variable with a codelist checked by one in_set rule.",
        E,
    )
