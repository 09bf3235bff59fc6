"""CDISC Dataset-JSON v1.1 writer and validator (JSON and NDJSON forms).

The writer turns a polars frame plus its metadata (one :class:`Column` per variable, from the
ADaM specification / Define-XML) into a Dataset-JSON v1.1 file. It never reads the clock: every
datetime it writes is passed in, so identical input gives byte-identical output. Values are
converted per the column's ``dataType``; a value that cannot be written faithfully (a string
longer than its declared length, a non-integral number in an ``integer`` column, an infinite
number) raises :class:`DatasetJSONError` naming dataset, variable and row, never a mangled value.

References
----------
.. [1] CDISC, "Dataset-JSON v1.1 Specification", 2024 (top-level attributes, column
   attributes, data types, ``targetDataType``, NDJSON representation).
.. [2] CDISC, "Dataset-JSON v1.1 JSON Schema" (``dataset.schema.json``) and
   "Dataset-JSON v1.1 NDJSON Schema" (``dataset-ndjson-schema.json``), shipped in
   ``standards/dataset-json-1.1/schema/`` (see ``standards/README.md``).
.. [3] CDISC, "Define-XML v2.1 Specification", section 4.3 (ItemDef DataType, Length,
   def:DisplayFormat), the source of the column metadata.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import jsonschema
import polars as pl

from submission.json_stream import Undecided, scan_json_form, scan_ndjson_form
from submission.json_text import row_texts

__all__ = [
    "DATASET_JSON_VERSION",
    "Column",
    "DatasetJSONError",
    "DatasetMeta",
    "dataset_json_bytes",
    "dataset_ndjson_bytes",
    "validate_dataset_json",
    "write_dataset_json",
    "write_dataset_json_files",
    "write_dataset_ndjson",
]

DATASET_JSON_VERSION = "1.1.0"

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "standards" / "dataset-json-1.1" / "schema"
JSON_SCHEMA_PATH = SCHEMA_DIR / "dataset.schema.json"
NDJSON_SCHEMA_PATH = SCHEMA_DIR / "dataset-ndjson-schema.json"

# Dataset-JSON v1.1 dataType values ([1], "Data types"); the schema's DataTypesEnum.
DATA_TYPES = frozenset(
    {"string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time", "URI"}
)
TARGET_DATA_TYPES = frozenset({"integer", "decimal"})
BATCH_ROWS = 100_000
"""Rows converted and written at a time: memory stays bounded by a batch, not the dataset."""

# The schema's own datetime pattern for datasetJSONCreationDateTime / dbLastModifiedDateTime.
_DATETIME_RE = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(([+-]([01]\d|2[0-3]):[0-5]\d)|Z)?$"
)


class DatasetJSONError(ValueError):
    """A frame or its metadata cannot be written as Dataset-JSON without changing a value."""


@dataclass(frozen=True)
class Column:
    """Metadata of one variable, as Dataset-JSON v1.1 column attributes ([1], "Column").

    Parameters
    ----------
    item_oid, name, label : str
        ``itemOID`` (the Define-XML ItemDef OID), variable name and label.
    data_type : str
        Dataset-JSON ``dataType``: one of :data:`DATA_TYPES`. A SAS date (numeric with a
        DATE9. format) is ``"date"`` with ``target_data_type="integer"``, as the CDISC pilot does.
    length : int, optional
        Maximum length of a ``string`` value, in characters; required for strings (it is what
        XPT and Define-XML declare), omitted for numbers as in the CDISC pilot.
    display_format : str, optional
        SAS display format, e.g. ``"DATE9."`` or ``"8.2"``.
    key_sequence : int, optional
        Position of the variable in the dataset key (Define-XML ItemRef/@KeySequence).
    target_data_type : str, optional
        ``"integer"`` or ``"decimal"``: the logical type in the submission (XPT) form.
    """

    item_oid: str
    name: str
    label: str
    data_type: str
    length: int | None = None
    display_format: str | None = None
    key_sequence: int | None = None
    target_data_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Column attributes in the order of the Dataset-JSON v1.1 specification [1]_."""
        out: dict[str, Any] = {
            "itemOID": self.item_oid,
            "name": self.name,
            "label": self.label,
            "dataType": self.data_type,
        }
        optional = (
            ("targetDataType", self.target_data_type),
            ("length", self.length),
            ("displayFormat", self.display_format),
            ("keySequence", self.key_sequence),
        )
        out.update({key: value for key, value in optional if value is not None})
        return out


@dataclass(frozen=True)
class DatasetMeta:
    """Dataset-level metadata of one Dataset-JSON file ([1], "Dataset-JSON top-level").

    Parameters
    ----------
    name, label, item_group_oid : str
        Dataset name, label and Define-XML ItemGroupDef OID.
    columns : sequence of Column
        One per frame column, in frame order.
    creation_datetime : str
        ``datasetJSONCreationDateTime``, ISO 8601 (``YYYY-MM-DDThh:mm:ss`` with optional
        fraction and offset). Passed in, never read from the clock, so output is reproducible.
    file_oid, db_last_modified_datetime, originator, study_oid, metadata_version_oid, metadata_ref
        Optional top-level attributes; omitted from the file when ``None``.
    source_system : tuple of (str, str), optional
        ``sourceSystem`` name and version.
    """

    name: str
    label: str
    item_group_oid: str
    columns: Sequence[Column]
    creation_datetime: str
    file_oid: str | None = None
    db_last_modified_datetime: str | None = None
    originator: str | None = None
    source_system: tuple[str, str] | None = None
    study_oid: str | None = None
    metadata_version_oid: str | None = None
    metadata_ref: str | None = None


def check_meta(frame: pl.DataFrame, meta: DatasetMeta) -> None:
    """Raise :class:`DatasetJSONError` if ``meta`` does not describe ``frame`` column for column."""
    names = [column.name for column in meta.columns]
    if names != frame.columns:
        missing = [n for n in frame.columns if n not in names]
        extra = [n for n in names if n not in frame.columns]
        raise DatasetJSONError(
            f"{meta.name}: metadata columns {names} do not match the frame's {frame.columns}"
            f" (not described: {missing}; described but absent: {extra})"
        )
    for stamp_name, stamp in (
        ("creation_datetime", meta.creation_datetime),
        ("db_last_modified_datetime", meta.db_last_modified_datetime),
    ):
        if stamp is not None and not _DATETIME_RE.match(stamp):
            raise DatasetJSONError(
                f"{meta.name}: {stamp_name} {stamp!r} is not an ISO 8601 datetime YYYY-MM-DDThh:mm:ss"
            )
    for column in meta.columns:
        where = f"{meta.name}.{column.name}"
        if column.data_type not in DATA_TYPES:
            raise DatasetJSONError(
                f"{where}: dataType {column.data_type!r} is not one of {sorted(DATA_TYPES)}"
            )
        if column.target_data_type is not None and column.target_data_type not in TARGET_DATA_TYPES:
            raise DatasetJSONError(
                f"{where}: targetDataType {column.target_data_type!r} is not one of {sorted(TARGET_DATA_TYPES)}"
            )
        if column.data_type == "string" and column.length is None:
            raise DatasetJSONError(f"{where}: a string column needs a length")


def _where(meta: DatasetMeta, column: Column, row: int) -> str:
    return f"{meta.name}.{column.name} row {row + 1}"


def _iso_date(value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        raise DatasetJSONError(f"{where}: {value!r} has a time part in a date column")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        return value  # ISO 8601 date, possibly partial (ADaM *DTC style)
    raise DatasetJSONError(f"{where}: {value!r} is not a date or an ISO 8601 date string")


def _iso_datetime(value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value  # ISO 8601 character variable (*DTC), written as stored
    raise DatasetJSONError(f"{where}: {value!r} is not a datetime or an ISO 8601 string")


def _iso_time(value: Any, where: str) -> str:
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise DatasetJSONError(f"{where}: {value!r} is not a time or an ISO 8601 string")


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise DatasetJSONError(f"{where}: boolean {value!r} in an integer column")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    raise DatasetJSONError(f"{where}: {value!r} is not an integer")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        raise DatasetJSONError(f"{where}: {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise DatasetJSONError(f"{where}: {value!r} cannot be written in JSON")
    return number


def _decimal(value: Any, where: str) -> str:
    # Dataset-JSON v1.1 writes decimal values as strings so no precision is lost ([1], "decimal").
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, str):
        try:
            if decimal.Decimal(value).is_finite():
                return value
        except decimal.InvalidOperation:
            pass
    raise DatasetJSONError(f"{where}: {value!r} is not a finite decimal (polars Decimal or numeric string)")


def _string(value: Any, column: Column, where: str) -> str:
    if not isinstance(value, str):
        raise DatasetJSONError(f"{where}: {value!r} is not a string")
    if column.length is not None and len(value) > column.length:
        raise DatasetJSONError(
            f"{where}: {value!r} is {len(value)} characters, longer than length {column.length}"
        )
    return value


def _boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise DatasetJSONError(f"{where}: {value!r} is not a boolean")


def json_value(value: Any, column: Column, where: str) -> Any:
    """One cell as Dataset-JSON writes it for ``column.data_type``; ``None`` (and NaN) is null.

    Parameters
    ----------
    value : Any
        The frame's Python value (polars ``to_list`` form).
    column : Column
        Its column metadata.
    where : str
        ``DATASET.VARIABLE row N``, prefixed to every error message.

    Returns
    -------
    Any
        A JSON-ready value: str, int, float, bool or None.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None  # SAS/ADaM missing numeric, written as null ([1], "Missing values")
    kind = column.data_type
    if kind in ("string", "URI"):
        return _string(value, column, where)
    if kind == "integer":
        return _integer(value, where)
    if kind in ("float", "double"):
        return _number(value, where)
    if kind == "decimal":
        return _decimal(value, where)
    if kind == "boolean":
        return _boolean(value, where)
    if kind == "date":
        return _iso_date(value, where)
    if kind == "datetime":
        return _iso_datetime(value, where)
    return _iso_time(value, where)


def json_rows(frame: pl.DataFrame, meta: DatasetMeta) -> Iterator[list[Any]]:
    """Yield the frame's rows as Dataset-JSON value lists, in frame order (the reference form)."""
    check_meta(frame, meta)
    converted = [
        [json_value(value, column, _where(meta, column, row)) for row, value in enumerate(frame[column.name])]
        for column in meta.columns
    ]
    yield from (list(row) for row in zip(*converted))


def row_text_batches(
    frame: pl.DataFrame, meta: DatasetMeta, batch_rows: int | None = None
) -> Iterator[pl.Series]:
    """Yield the rows as JSON array texts, ``batch_rows`` rows at a time (default `BATCH_ROWS`; bounded memory).

    Each text is what ``json.dumps`` writes for the row `json_rows` yields (compact separators,
    UTF-8 kept, NaN refused), produced column at a time by `submission.json_text.row_texts`;
    a value the writer must refuse raises :class:`DatasetJSONError` naming dataset, variable
    and row, as `json_value` does.
    """
    check_meta(frame, meta)
    by_name = {column.name: column for column in meta.columns}
    spec = [(c.name, c.data_type, c.length) for c in meta.columns]
    size = batch_rows or BATCH_ROWS
    for offset in range(0, frame.height, size):

        def convert(name: str, value: Any, row: int, offset: int = offset) -> Any:
            column = by_name[name]
            return json_value(value, column, _where(meta, column, offset + row))

        yield row_texts(frame.slice(offset, size), spec, convert)


def header(meta: DatasetMeta, records: int) -> dict[str, Any]:
    """Top-level attributes in the order of the specification [1]_; ``None`` ones left out."""
    source = {"name": meta.source_system[0], "version": meta.source_system[1]} if meta.source_system else None
    pairs = (
        ("datasetJSONCreationDateTime", meta.creation_datetime),
        ("datasetJSONVersion", DATASET_JSON_VERSION),
        ("fileOID", meta.file_oid),
        ("dbLastModifiedDateTime", meta.db_last_modified_datetime),
        ("originator", meta.originator),
        ("sourceSystem", source),
        ("studyOID", meta.study_oid),
        ("metaDataVersionOID", meta.metadata_version_oid),
        ("metaDataRef", meta.metadata_ref),
        ("itemGroupOID", meta.item_group_oid),
        ("records", records),
        ("name", meta.name),
        ("label", meta.label),
        ("columns", [column.to_json() for column in meta.columns]),
    )
    return {key: value for key, value in pairs if value is not None}


def _dumps(obj: Any) -> str:
    # Compact like the CDISC pilot; UTF-8 kept verbatim (ensure_ascii=False); NaN refused.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _json_head(meta: DatasetMeta, records: int) -> str:
    # the header object with its closing brace replaced by the opening of "rows" (the last key)
    return _dumps(header(meta, records))[:-1] + ',"rows":['


def _write_json_form(out: BinaryIO, frame: pl.DataFrame, meta: DatasetMeta) -> None:
    out.write(_json_head(meta, frame.height).encode("utf-8"))
    for index, rows in enumerate(row_text_batches(frame, meta)):
        out.write((("," if index else "") + rows.str.join(",").item()).encode("utf-8"))
    out.write(b"]}\n")


def _write_ndjson_form(out: BinaryIO, frame: pl.DataFrame, meta: DatasetMeta) -> None:
    out.write((_dumps(header(meta, frame.height)) + "\n").encode("utf-8"))
    for rows in row_text_batches(frame, meta):
        out.write((rows.str.join("\n").item() + "\n").encode("utf-8"))


def _write_both_forms(
    json_out: BinaryIO, ndjson_out: BinaryIO, frame: pl.DataFrame, meta: DatasetMeta
) -> None:
    json_out.write(_json_head(meta, frame.height).encode("utf-8"))
    ndjson_out.write((_dumps(header(meta, frame.height)) + "\n").encode("utf-8"))
    for index, rows in enumerate(row_text_batches(frame, meta)):
        json_out.write((("," if index else "") + rows.str.join(",").item()).encode("utf-8"))
        ndjson_out.write((rows.str.join("\n").item() + "\n").encode("utf-8"))
    json_out.write(b"]}\n")


@contextlib.contextmanager
def _removed_on_error(*paths: Path) -> Iterator[None]:
    # rows are written as they are converted: a refused value must not leave half a file
    try:
        yield
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise


def dataset_json_bytes(frame: pl.DataFrame, *, meta: DatasetMeta) -> bytes:
    """The Dataset-JSON v1.1 JSON form of ``frame`` as UTF-8 bytes (see :func:`write_dataset_json`)."""
    buffer = io.BytesIO()
    _write_json_form(buffer, frame, meta)
    return buffer.getvalue()


def dataset_ndjson_bytes(frame: pl.DataFrame, *, meta: DatasetMeta) -> bytes:
    """The NDJSON form: the metadata object on line 1, then one JSON array per row ([1], "NDJSON")."""
    buffer = io.BytesIO()
    _write_ndjson_form(buffer, frame, meta)
    return buffer.getvalue()


def write_dataset_json(frame: pl.DataFrame, path: str | Path, *, meta: DatasetMeta) -> Path:
    """Write ``frame`` as a Dataset-JSON v1.1 file (JSON form), streaming in row batches.

    The document is ``json.dumps(header | {"rows": rows}, ensure_ascii=False,
    separators=(",", ":"))`` plus a newline, written batch by batch (`row_text_batches`) so
    no Python object of the whole document is built.

    Parameters
    ----------
    frame : polars.DataFrame
        The dataset, columns in ``meta.columns`` order.
    path : str or Path
        Output file (conventionally ``<dataset>.json``, lower case).
    meta : DatasetMeta
        Dataset and column metadata; every datetime in it is passed in (no clock).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    DatasetJSONError
        Metadata not matching the frame, or a value not writable as its ``dataType``; the
        message names dataset, variable and row.
    """
    out = Path(path)
    with _removed_on_error(out), out.open("wb") as handle:
        _write_json_form(handle, frame, meta)
    return out


def write_dataset_ndjson(frame: pl.DataFrame, path: str | Path, *, meta: DatasetMeta) -> Path:
    """Write ``frame`` as Dataset-JSON v1.1 NDJSON (``<dataset>.ndjson``); see :func:`write_dataset_json`."""
    out = Path(path)
    with _removed_on_error(out), out.open("wb") as handle:
        _write_ndjson_form(handle, frame, meta)
    return out


def write_dataset_json_files(
    frame: pl.DataFrame, json_path: str | Path, ndjson_path: str | Path, *, meta: DatasetMeta
) -> tuple[Path, Path]:
    """Write both forms in one pass over the rows: the same bytes as `write_dataset_json` and
    `write_dataset_ndjson`, each row's text made once and written to both files."""
    json_out, ndjson_out = Path(json_path), Path(ndjson_path)
    with (
        _removed_on_error(json_out, ndjson_out),
        json_out.open("wb") as json_handle,
        ndjson_out.open("wb") as ndjson_handle,
    ):
        _write_both_forms(json_handle, ndjson_handle, frame, meta)
    return json_out, ndjson_out


@cache
def json_schema() -> dict[str, Any]:
    """The official Dataset-JSON v1.1 JSON Schema [2]_."""
    return json.loads(JSON_SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def ndjson_schema() -> dict[str, Any]:
    """The official NDJSON metadata-line schema [2]_, with the definitions it lacks filled in.

    The shipped ``dataset-ndjson-schema.json`` is UTF-16 and refers to ``#/$defs/Column`` and
    ``#/$defs/SourceSystem`` without defining them (they sit nested under
    ``DatasetMetadata``); a JSON Schema validator cannot resolve those references. The missing
    definitions are copied, unchanged, from the JSON-form schema of the same release, so the
    metadata line is checked by the same column rules as the JSON form.
    """
    raw = NDJSON_SCHEMA_PATH.read_bytes()
    schema = json.loads(
        raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")
    )
    definitions = schema.setdefault("$defs", {})
    for name, definition in json_schema()["$defs"].items():
        definitions.setdefault(name, definition)
    return schema


def _schema_errors(
    instance: Any, schema: dict[str, Any], at: tuple[str, ...] = ()
) -> list[tuple[list[str], str]]:
    """(path, message) of every schema error, the path as a list of strings, ``at`` in front."""
    validator = jsonschema.Draft201909Validator(schema)
    return [
        ([*at, *(str(p) for p in error.absolute_path)], error.message)
        for error in validator.iter_errors(instance)
    ]


def _messages(errors: list[tuple[list[str], str]], prefix: str) -> list[str]:
    # sorted by JSON path as strings, as they have always been reported
    ordered = sorted(errors, key=lambda error: error[0])
    return [f"{prefix}{'/'.join(path) or '(top level)'}: {message}" for path, message in ordered]


def _schema_messages(instance: Any, schema: dict[str, Any], prefix: str) -> list[str]:
    return _messages(_schema_errors(instance, schema), prefix)


@cache
def _row_schema() -> dict[str, Any]:
    """The official schema's ``$defs/Row``, with the definitions it may refer to [2]_."""
    return {"$ref": "#/$defs/Row", "$defs": json_schema()["$defs"]}


def _row_messages(
    rows: Iterable[tuple[int, Any]], width: int, prefix: str, first_row_line: int | None
) -> list[str]:
    # The schema's Row definition constrains nothing for an array (its "properties" apply to
    # objects only), so row shape is checked here: each row an array with one value per column.
    messages = []
    for index, row in rows:
        where = f"line {first_row_line + index}" if first_row_line else f"rows/{index}"
        if not isinstance(row, list):
            messages.append(f"{prefix}{where}: a row must be an array, got {type(row).__name__}")
        elif len(row) != width:
            messages.append(f"{prefix}{where}: {len(row)} values for {width} columns")
    return messages


def _content_messages(
    document: dict[str, Any],
    rows: Iterable[tuple[int, Any]],
    count: int,
    prefix: str,
    first_row_line: int | None,
) -> list[str]:
    """Row width and record count; ``rows`` (index, row) may leave out rows known to be regular."""
    columns = document.get("columns")
    messages = []
    if isinstance(columns, list):
        messages += _row_messages(rows, len(columns), prefix, first_row_line)
    records = document.get("records")
    if isinstance(records, int) and records != count:
        messages.append(f"{prefix}records: says {records} but the file has {count} rows")
    return messages


def _validate_json_form_in_memory(path: Path) -> list[str]:
    prefix = f"{path.name}: "
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [f"{prefix}not UTF-8 JSON: {error}"]
    messages = _schema_messages(document, json_schema(), prefix)
    if isinstance(document, dict) and isinstance(document.get("rows", []), list):
        rows = document.get("rows", [])
        messages += _content_messages(document, enumerate(rows), len(rows), prefix, None)
    return messages


def _validate_json_form(path: Path) -> list[str]:
    """Streaming first (`scan_json_form`); the whole document in memory when it cannot decide.

    Equal verdict and messages: ``rows`` is optional in the schema and constrained only by
    ``$defs/Row`` (``"type": "array"``), so the schema errors of the document are those of the
    document without ``rows`` plus, for each row, that row's errors against ``$defs/Row`` under
    ``rows/<index>``; the scan returns every row that is not an array of one value per column
    (all others have no Row error and no content message), and the errors are sorted by path
    as before.
    """
    prefix = f"{path.name}: "
    try:
        header, count, irregular = scan_json_form(path)
    except Undecided:
        return _validate_json_form_in_memory(path)
    errors = _schema_errors(header, json_schema())
    for index, row in irregular:
        errors += _schema_errors(row, _row_schema(), ("rows", str(index)))
    return _messages(errors, prefix) + _content_messages(header, irregular, count, prefix, None)


def _validate_ndjson_form_in_memory(path: Path) -> list[str]:
    prefix = f"{path.name}: "
    try:
        lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
        parsed = [json.loads(line) for line in lines]
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [f"{prefix}not UTF-8 NDJSON: {error}"]
    if not parsed or not isinstance(parsed[0], dict):
        return [f"{prefix}line 1: the first line must be the metadata object"]
    metadata, rows = parsed[0], parsed[1:]
    return _ndjson_messages(metadata, enumerate(rows), len(rows), prefix)


def _ndjson_messages(
    metadata: dict[str, Any], rows: Iterable[tuple[int, Any]], count: int, prefix: str
) -> list[str]:
    messages = _schema_messages(metadata, ndjson_schema(), f"{prefix}line 1: ")
    if "rows" in metadata:
        messages.append(f"{prefix}line 1: rows belong on their own lines in NDJSON, not in the metadata")
    return messages + _content_messages(metadata, rows, count, prefix, 2)


def _validate_ndjson_form(path: Path) -> list[str]:
    """Streaming first (`scan_ndjson_form`); all lines in memory when it cannot decide.

    The NDJSON schema judges the metadata line only; rows get the content checks, which the
    scan's irregular rows carry in full (every other row line is an array of one value per
    column).
    """
    try:
        metadata, count, irregular = scan_ndjson_form(path)
    except Undecided:
        return _validate_ndjson_form_in_memory(path)
    return _ndjson_messages(metadata, irregular, count, f"{path.name}: ")


def validate_dataset_json(path: str | Path) -> list[str]:
    """Validate a Dataset-JSON v1.1 file against the official schema [2]_.

    The form is chosen by the file name: ``.ndjson`` is the NDJSON form (metadata object on the
    first line, checked with the NDJSON schema; one array per following line), anything else
    the JSON form (checked with ``dataset.schema.json``). Beyond the schema, each row must hold
    one value per column and ``records`` must equal the number of rows.

    The rows are read in blocks (`submission.json_stream`): the metadata is checked against the
    schema on its own and each row's text against the grammar of an array of one JSON value per
    column, so a file of a gigabyte is never held as Python objects; a file the scan cannot
    place is checked whole, in memory. Both give the same messages (see `_validate_json_form`).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    list of str
        One message per problem, each naming the file, the location (JSON path or line) and the
        rule broken; empty when the file is valid.
    """
    file = Path(path)
    return _validate_ndjson_form(file) if file.suffix == ".ndjson" else _validate_json_form(file)
