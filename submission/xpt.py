"""SAS XPORT version 5 (``.xpt``) writer and reader for ADaM datasets.

The header records (library, member, namestr) are written by ReadStat through
``pyreadstat.write_xport(file_format_version=5)``; the observation records, ReadStat's Python
loop per row, are written here column at a time in batches (fixed-width blank-padded ASCII and
IBM doubles, `ibm_doubles`), byte for byte what ReadStat writes. ReadStat does not enforce the version 5 limits: it silently truncates variable names longer
than 8 and labels longer than 40 characters, does not limit character values to 200 bytes
and writes whatever bytes it is given although the format is US-ASCII only. This module
therefore checks every limit first (`check_xpt`) and refuses with an `XptError` naming the
dataset, the variable and, for values, the first offending row; a refused dataset leaves no
file behind.

What the writer adds on top of ReadStat:

* character lengths from the metadata: ReadStat sizes a character variable to its longest
  value, so each value is blank-padded to the declared length (in XPORT a character value
  is stored blank-padded to the variable length anyway, so the stored bytes are those SAS
  writes for that length);
* polars ``Date`` columns become SAS dates (days since 1960-01-01) carrying their display
  format (``DATE9.``);
* byte-identical output: ReadStat stamps the library and member headers with the local
  clock time; the four 16-byte created/modified fields are overwritten with the
  ``created`` datetime passed in (default 01JAN60:00:00:00, the SAS epoch).

References
----------
.. [1] SAS Institute, "The Record Layout of a Data Set in SAS Transport (XPORT) Format",
   Technical Support document TS-140 (library, member, namestr and observation records;
   IBM floating point; 8-character names, 40-character labels).
.. [2] CDISC, "A Short History of CDISC and SAS Transport Files" (the 8/40/200 limits and
   US-ASCII for submissions).
.. [3] FDA, "Study Data Technical Conformance Guide", section 3.3 (SAS XPORT version 5 as
   the transport format for study data).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import polars as pl
import pyreadstat

__all__ = [
    "DatasetMeta",
    "VariableMeta",
    "XptError",
    "check_xpt",
    "read_xpt",
    "read_xpt_batches",
    "sas_datetime_text",
    "write_xpt",
    "xpt_path",
]

NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
"""Dataset and variable names in XPORT v5: 1-8 characters, upper case, letter first [1]_, [2]_."""
FORMAT_PATTERN = re.compile(r"(\$?(?:[A-Z_](?:[A-Z0-9_]*[A-Z_])?)?)(\d*)\.(\d*)")
"""A SAS format such as ``DATE9.``, ``E8601DA10.``, ``$12.``, ``8.2`` or ``3.``: name, width, decimals."""
MAX_LABEL = 40
MAX_CHAR_BYTES = 200
NUM_LENGTH = 8
SAS_EPOCH = dt.date(1960, 1, 1)
DEFAULT_CREATED = dt.datetime(1960, 1, 1)
# IBM System/360 double: 7 exponent bits base 16, 56-bit fraction [1]_. Its range is narrower
# than IEEE's; inside it every IEEE double is represented exactly (>= 53 significant bits).
IBM_MAX = 16.0**63 * (1 - 16.0**-14)
IBM_MIN = 16.0**-65
MAX_EXACT_INT = 2**53

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_RECORD = 80
# (record number, byte offset in record) of the 16-byte created/modified datetimes [1]_:
# first/second real header of the library (records 1, 2) and of the member (records 5, 6).
_DATETIME_FIELDS = ((1, 64), (2, 0), (5, 64), (6, 0))
_HEADER_MARKS = {
    0: b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!",
    3: b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!",
    4: b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!",
}
_SAS_DATETIME = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
_OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
_SAS_MISSING = np.uint64(0x2E << 56)  # "." then seven zero bytes: the SAS missing value [1]_
BATCH_ROWS = 100_000
"""Observations converted and written at a time: memory stays bounded by a batch."""


class XptError(ValueError):
    """A dataset, variable or value that SAS XPORT v5 cannot hold; nothing was written."""


@dataclass(frozen=True)
class VariableMeta:
    """One variable of an XPORT dataset.

    Parameters
    ----------
    name : str
        Variable name, ``[A-Z][A-Z0-9_]{0,7}``.
    label : str
        Variable label, ASCII, at most 40 characters.
    type : {'Char', 'Num'}
        SAS type: character or numeric (IBM double).
    length : int
        Bytes stored per value: 1-200 for ``Char``; 8 for ``Num`` (ReadStat always writes
        8-byte numerics, so a shorter numeric length is refused rather than ignored).
    display_format : str or None
        SAS format, e.g. ``'DATE9.'``; ``None`` for none.
    """

    name: str
    label: str
    type: Literal["Char", "Num"]
    length: int
    display_format: str | None = None


@dataclass(frozen=True)
class DatasetMeta:
    """Dataset-level metadata read back from an XPORT file.

    Parameters
    ----------
    name : str
        Member (dataset) name.
    label : str
        Dataset label; ``''`` when the file has none.
    variables : tuple of VariableMeta
        Variables in file order.
    """

    name: str
    label: str
    variables: tuple[VariableMeta, ...]


def xpt_path(folder: str | os.PathLike[str], dataset: str) -> Path:
    """Path of a dataset's transport file: the lower-case dataset name, e.g. ``adsl.xpt``.

    Parameters
    ----------
    folder : path-like
        Folder of the file.
    dataset : str
        Dataset name, e.g. ``'ADSL'``.

    Returns
    -------
    pathlib.Path
        ``folder / f"{dataset.lower()}.xpt"``.
    """
    return Path(folder) / f"{dataset.lower()}.xpt"


def sas_datetime_text(value: dt.datetime) -> bytes:
    """Render a datetime as the 16-byte XPORT header field ``ddMMMyy:hh:mm:ss`` [1]_.

    Parameters
    ----------
    value : datetime.datetime
        Naive datetime; seconds are truncated to whole seconds.

    Returns
    -------
    bytes
        16 ASCII bytes, e.g. ``b'01JAN60:00:00:00'``.
    """
    text = f"{value.day:02d}{_MONTHS[value.month - 1]}{value.year % 100:02d}:{value:%H:%M:%S}"
    return text.encode("ascii")


def _where(dataset: str, variable: str | None = None, row: int | None = None) -> str:
    parts = [f"dataset {dataset}"]
    if variable is not None:
        parts.append(f"variable {variable}")
    if row is not None:
        parts.append(f"row {row}")
    return ", ".join(parts)


def _check_label(text: str, where: str) -> None:
    if not text.isascii():
        raise XptError(f"{where}: label {text!r} is not ASCII (XPORT v5 is US-ASCII only)")
    if len(text) > MAX_LABEL:
        raise XptError(f"{where}: label {text!r} has {len(text)} characters, more than {MAX_LABEL}")


def _check_format(var: VariableMeta, where: str) -> None:
    if var.display_format is None:
        return
    match = FORMAT_PATTERN.fullmatch(var.display_format)
    if match is None or len(match.group(1)) > 8:
        raise XptError(f"{where}: display format {var.display_format!r} is not a SAS format name.w.d")
    if match.group(1).startswith("$") != (var.type == "Char"):
        raise XptError(f"{where}: display format {var.display_format!r} does not fit type {var.type}")


def _check_variable(var: VariableMeta, dataset: str) -> None:
    where = _where(dataset, var.name)
    if not NAME_PATTERN.fullmatch(var.name):
        raise XptError(f"{where}: name {var.name!r} is not [A-Z][A-Z0-9_]{{0,7}} (at most 8 characters)")
    _check_label(var.label, where)
    if var.type == "Char":
        if not 1 <= var.length <= MAX_CHAR_BYTES:
            raise XptError(f"{where}: character length {var.length} is not in 1..{MAX_CHAR_BYTES}")
    elif var.type == "Num":
        if var.length != NUM_LENGTH:
            raise XptError(f"{where}: numeric length {var.length} is not {NUM_LENGTH} (ReadStat writes 8)")
    else:
        raise XptError(f"{where}: type {var.type!r} is not 'Char' or 'Num'")
    _check_format(var, where)


def _first_row(mask: pl.Series) -> int:
    return int(mask.arg_true()[0])


def _check_char_values(values: pl.Series, var: VariableMeta, dataset: str) -> None:
    if values.dtype == pl.Null:
        return
    if values.dtype != pl.String:
        raise XptError(f"{_where(dataset, var.name)}: type Char but column is {values.dtype}")
    not_ascii = ~values.str.contains(r"^[\x00-\x7F]*$").fill_null(True)
    if not_ascii.any():
        row = _first_row(not_ascii)
        raise XptError(
            f"{_where(dataset, var.name, row)}: value {values[row]!r} is not ASCII "
            f"(XPORT v5 is US-ASCII only; {int(not_ascii.sum())} row(s))"
        )
    limit = min(var.length, MAX_CHAR_BYTES)
    too_long = (values.str.len_bytes() > limit).fill_null(False)
    if too_long.any():
        row = _first_row(too_long)
        raise XptError(
            f"{_where(dataset, var.name, row)}: value {values[row]!r} has {len(values[row].encode())} bytes, "
            f"more than the length {limit} ({int(too_long.sum())} row(s))"
        )


def _check_num_values(values: pl.Series, var: VariableMeta, dataset: str) -> None:
    dtype = values.dtype
    if dtype in (pl.Null, pl.Date):
        return
    if not dtype.is_numeric() or dtype.is_decimal():
        raise XptError(f"{_where(dataset, var.name)}: type Num but column is {dtype}")
    if dtype.is_integer():
        # widened first: 2**53 does not fit an Int32 column's type (polars refuses the comparison)
        bad = (values.cast(pl.Int64).abs() > MAX_EXACT_INT).fill_null(False)
        reason = "beyond 2**53, not exact as a double"
    else:
        magnitude = values.fill_nan(None).abs()  # NaN is written as missing; polars orders it above inf
        bad = ((magnitude > IBM_MAX) | ((magnitude > 0) & (magnitude < IBM_MIN))).fill_null(False)
        reason = "outside the IBM double range of XPORT"
    if bad.any():
        row = _first_row(bad)
        raise XptError(f"{_where(dataset, var.name, row)}: value {values[row]!r} is {reason}")


def check_xpt(
    frame: pl.DataFrame, *, dataset: str, dataset_label: str, variables: list[VariableMeta]
) -> None:
    """Check a dataset against the SAS XPORT v5 limits; raise on the first violation.

    Parameters
    ----------
    frame : polars.DataFrame
        The data; its columns must be exactly the variables, in any order.
    dataset : str
        Dataset name, ``[A-Z][A-Z0-9_]{0,7}``.
    dataset_label : str
        Dataset label, ASCII, at most 40 characters.
    variables : list of VariableMeta
        Variables in output order.

    Raises
    ------
    XptError
        Naming dataset, variable and (for values) the first offending row, 0-based.

    Notes
    -----
    Limits from TS-140 [1]_ and CDISC's transport-file history [2]_: names of 1-8 upper-case
    letters, digits or underscores starting with a letter; labels of at most 40 ASCII
    characters; character values ASCII, at most 200 bytes and at most the declared length;
    numeric values finite and inside the IBM double range, integers exact as doubles.
    """
    if not NAME_PATTERN.fullmatch(dataset):
        raise XptError(f"dataset {dataset!r}: name is not [A-Z][A-Z0-9_]{{0,7}} (at most 8 characters)")
    _check_label(dataset_label, _where(dataset))
    names = [v.name for v in variables]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise XptError(f"{_where(dataset)}: duplicate variables {duplicates}")
    missing = [n for n in names if n not in frame.columns]
    extra = [c for c in frame.columns if c not in names]
    if missing or extra:
        raise XptError(f"{_where(dataset)}: columns without data {missing}, data without metadata {extra}")
    for var in variables:
        _check_variable(var, dataset)
        if var.type == "Char":
            _check_char_values(frame[var.name], var, dataset)
        else:
            _check_num_values(frame[var.name], var, dataset)


def _sas_date_days(column: str) -> pl.Expr:
    return (pl.col(column) - pl.lit(SAS_EPOCH)).dt.total_days().cast(pl.Float64)


def _to_storage(frame: pl.DataFrame, variables: list[VariableMeta]) -> pl.DataFrame:
    """Frame as ReadStat should store it: blank-padded characters, numerics as Float64."""
    exprs = []
    for var in variables:
        dtype = frame.schema[var.name]
        if var.type == "Char":
            expr = pl.col(var.name).cast(pl.String).fill_null("").str.pad_end(var.length)
        elif dtype == pl.Date:
            expr = _sas_date_days(var.name)
        else:
            expr = pl.col(var.name).cast(pl.Float64).fill_nan(None)
        exprs.append(expr.alias(var.name))
    return frame.select(exprs)


def _stamp_headers(data: bytearray, created: dt.datetime, path: str) -> None:
    """Overwrite the created/modified fields of the library and member headers in place."""
    for record, mark in _HEADER_MARKS.items():
        start = record * _RECORD
        if data[start : start + len(mark)] != mark:
            raise XptError(f"{path}: record {record} is not the XPORT v5 header {mark!r}; layout changed?")
    stamp = sas_datetime_text(created)
    for record, offset in _DATETIME_FIELDS:
        start = record * _RECORD + offset
        if not _SAS_DATETIME.fullmatch(bytes(data[start : start + 16])):
            raise XptError(f"{path}: no header datetime at byte {start}; layout changed?")
        data[start : start + 16] = stamp


def ibm_doubles(values: np.ndarray) -> np.ndarray:
    """IEEE doubles as 8-byte IBM System/360 doubles, big-endian, NaN as the SAS missing value.

    value = 0.F x 16**(E - 64): the IEEE exponent p (value = m x 2**p, 0.5 <= m < 1) is
    rounded up to a multiple of 4 and the 53-bit mantissa shifted right by the difference
    (0-3 bits) into the 56-bit fraction, so every double inside the IBM range (`check_xpt`)
    converts exactly [1]_, as ReadStat does; zero (either sign) is eight zero bytes.

    Parameters
    ----------
    values : numpy.ndarray
        Float64 values, NaN for missing.

    Returns
    -------
    numpy.ndarray
        ``>u8`` array, one IBM double per value.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    bits = x.view(np.uint64)
    sign = bits >> np.uint64(63)
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1022
    mantissa = (bits & np.uint64((1 << 52) - 1)) | np.uint64(1 << 52)
    hex_exponent = -((-exponent) // 4)  # ceil(p / 4)
    shift = (3 - (4 * hex_exponent - exponent)).astype(np.uint64)
    ibm = (
        (sign << np.uint64(63))
        | ((hex_exponent + 64).astype(np.uint64) << np.uint64(56))
        | (mantissa << shift)
    )
    ibm = np.where(x == 0, np.uint64(0), ibm)
    return np.where(np.isnan(x), _SAS_MISSING, ibm).astype(">u8")


def _observation_bytes(storage: pl.DataFrame, variables: list[VariableMeta]) -> bytes:
    """Observation records of a batch: per row each variable's stored bytes, in order [1]_."""
    fields = []
    for var in variables:
        column = storage[var.name]
        if var.type == "Char":
            # `_to_storage` padded every value to exactly the length; US-ASCII, one byte each
            text = column.str.join("").item().encode("ascii")
            fields.append(np.frombuffer(text, dtype=np.uint8).reshape(storage.height, var.length))
        else:
            values = column.fill_null(float("nan")).to_numpy()
            fields.append(ibm_doubles(values).view(np.uint8).reshape(storage.height, NUM_LENGTH))
    return np.hstack(fields).tobytes() if fields else b""


def _record_padding(size: int) -> bytes:
    return b" " * (-size % _RECORD)  # the last observation record is blank-filled to 80 bytes


def _readstat_header(
    storage: pl.DataFrame, tmp: str, dataset: str, dataset_label: str, variables: list[VariableMeta]
) -> bytearray:
    """The header records ReadStat writes for these variables (library to OBS header).

    ``storage`` is the first row at most (`_to_storage` form). ReadStat writes it as a file and
    its observation record is cut off. Every header field is the same as for the whole frame:
    the character lengths are the declared ones (each value is padded to them) and XPORT v5
    headers do not count observations.
    """
    pyreadstat.write_xport(
        storage.head(1),
        tmp,
        file_label=dataset_label,
        column_labels={v.name: v.label for v in variables},
        table_name=dataset,
        file_format_version=5,
        variable_format={v.name: v.display_format for v in variables if v.display_format},
    )
    data = Path(tmp).read_bytes()
    row_width = sum(v.length for v in variables) * storage.height
    header = bytearray(data[: len(data) - row_width - len(_record_padding(row_width))])
    if len(header) % _RECORD or not header[-_RECORD:].startswith(_OBS_HEADER):
        raise XptError(f"{tmp}: ReadStat's header does not end with the OBS header record; layout changed?")
    return header


def write_xpt(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    dataset: str,
    dataset_label: str,
    variables: list[VariableMeta],
    created: dt.datetime = DEFAULT_CREATED,
) -> Path:
    """Write one dataset as a SAS XPORT version 5 file, after checking every v5 limit.

    Parameters
    ----------
    frame : polars.DataFrame
        The data. ``Char`` columns are strings (null is written as blanks, so it reads back
        as ``''``: SAS has no other missing character value); ``Num`` columns are integers,
        floats (NaN is written as the SAS missing value ``.``) or ``Date`` (days since
        1960-01-01).
    path : path-like
        Output file; see `xpt_path`.
    dataset : str
        Dataset (member) name, e.g. ``'ADSL'``.
    dataset_label : str
        Dataset label, at most 40 ASCII characters.
    variables : list of VariableMeta
        Variables in output order, with labels, types, lengths and formats.
    created : datetime.datetime, optional
        Written into the created and modified fields of the headers (two-digit year, whole
        seconds). Default 1960-01-01 00:00:00, so identical input gives identical bytes.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    XptError
        From `check_xpt`; no file is created or replaced.

    Notes
    -----
    The file is written to a temporary file beside ``path`` and moved over it only when
    complete, so a failure leaves neither a partial file nor a damaged older one.
    Zero-row datasets: ReadStat derives character lengths from the values, so without rows
    the declared lengths cannot be set; they are refused.
    """
    check_xpt(frame, dataset=dataset, dataset_label=dataset_label, variables=variables)
    if frame.height == 0 and any(v.type == "Char" for v in variables):
        raise XptError(f"{_where(dataset)}: no rows, so ReadStat cannot set the character lengths")
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        header = _readstat_header(
            _to_storage(frame.head(1), variables), tmp, dataset, dataset_label, variables
        )
        _stamp_headers(header, created, str(target))
        with open(tmp, "wb") as out:
            out.write(header)
            # converted batch by batch: the padded copy of a whole dataset is never held
            for offset in range(0, frame.height, BATCH_ROWS):
                out.write(
                    _observation_bytes(_to_storage(frame.slice(offset, BATCH_ROWS), variables), variables)
                )
            out.write(_record_padding(frame.height * sum(v.length for v in variables)))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _variable_meta(meta: pyreadstat.metadata_container, name: str) -> VariableMeta:
    kind = "Char" if meta.readstat_variable_types[name] == "string" else "Num"
    return VariableMeta(
        name=name,
        label=meta.column_names_to_labels.get(name) or "",
        type=kind,
        length=int(meta.variable_storage_width[name]),
        display_format=meta.original_variable_types.get(name),
    )


def read_xpt(path: str | os.PathLike[str]) -> tuple[pl.DataFrame, DatasetMeta]:
    """Read a SAS XPORT (v5 or v8) file with its metadata.

    Parameters
    ----------
    path : path-like
        The ``.xpt`` file.

    Returns
    -------
    frame : polars.DataFrame
        Character variables as ``String`` (blank values as ``''``, trailing blanks removed by
        ReadStat), numerics as ``Float64`` (SAS missing as null), numerics with a date format
        such as ``DATE9.`` as ``Date``. A numeric column whose values are all missing is
        ``Float64``, not polars ``Null``.
    meta : DatasetMeta
        Dataset name and label, and per variable its label, type, stored length and format.
    """
    frame, meta = pyreadstat.read_xport(str(path), output_format="polars")
    variables = tuple(_variable_meta(meta, name) for name in meta.column_names)
    return _typed(frame, variables), _dataset_meta(meta, variables)


def _typed(frame: pl.DataFrame, variables: tuple[VariableMeta, ...]) -> pl.DataFrame:
    # an all-missing column comes back as polars Null: give it its SAS type
    return frame.with_columns(
        pl.col(v.name).cast(pl.String if v.type == "Char" else pl.Float64)
        for v in variables
        if frame.schema[v.name] == pl.Null
    )


def _dataset_meta(meta: pyreadstat.metadata_container, variables: tuple[VariableMeta, ...]) -> DatasetMeta:
    return DatasetMeta(name=meta.table_name or "", label=meta.file_label or "", variables=variables)


def _data_start(handle: BinaryIO, path: str) -> int:
    """Byte offset of the first observation: just after the OBS header record [1]_."""
    record, offset = handle.read(_RECORD), 0
    while record:
        offset += _RECORD
        if record.startswith(_OBS_HEADER):
            return offset
        record = handle.read(_RECORD)
    raise XptError(f"{path}: no OBS header record; not an XPORT file?")


def read_xpt_batches(
    path: str | os.PathLike[str], rows: int = BATCH_ROWS
) -> tuple[DatasetMeta, Iterator[pl.DataFrame]]:
    """Read a SAS XPORT file as `read_xpt` does, ``rows`` observations at a time.

    Each batch is read by ReadStat from the file's own header records followed by that batch's
    observation records (fixed width, so a batch is a byte range), blank-filled to a whole
    record as a file ends; ReadStat's ``row_offset`` would re-read every earlier row for each
    batch.

    Parameters
    ----------
    path : path-like
        The ``.xpt`` file.
    rows : int, optional
        Observations per batch (default `BATCH_ROWS`): memory holds one batch, not the file.

    Returns
    -------
    meta : DatasetMeta
        As `read_xpt` returns it (read from the headers alone).
    batches : iterator of polars.DataFrame
        Consecutive row batches, typed as `read_xpt` types them.
    """
    _, header = pyreadstat.read_xport(str(path), metadataonly=True)
    variables = tuple(_variable_meta(header, name) for name in header.column_names)
    width = sum(v.length for v in variables)

    def batches() -> Iterator[pl.DataFrame]:
        with open(path, "rb") as handle:
            start = _data_start(handle, str(path))
            handle.seek(0)
            head = handle.read(start)
            while chunk := handle.read(rows * width):
                data = io.BytesIO(head + chunk + _record_padding(len(chunk)))
                frame, _ = pyreadstat.read_xport(data, output_format="polars")
                yield _typed(frame, variables)

    return _dataset_meta(header, variables), batches()
