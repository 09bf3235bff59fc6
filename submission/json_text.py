"""Dataset-JSON row text, column at a time: the bytes ``json.dumps`` writes, without a Python call per value.

`row_texts` turns a batch of a polars frame into one JSON array text per row, exactly as
``json.dumps(row, ensure_ascii=False, separators=(",", ":"))`` spells the row of Python values
that `submission.dataset_json.json_value` makes of it. Each column takes a vectorised path
only where that path provably gives the same characters (the preconditions are checked on the
batch, not assumed); any other column batch — an unusual dtype, a value the writer must refuse,
a number Python would spell in exponent form — goes through the per-value reference converter,
which also raises the writer's error naming dataset, variable and row.

`row_pattern` is the JSON grammar of such a row (an array of scalars with a given number of
values, no whitespace), used by the streaming validator to check written rows with a
vectorised regular expression instead of parsing them into Python objects.

References
----------
.. [1] CDISC, "Dataset-JSON v1.1 Specification", 2024 ("rows": one array of values per
   record, in column order; "Missing values": null).
.. [2] T. Bray (ed.), "The JavaScript Object Notation (JSON) Data Interchange Format",
   RFC 8259, 2017, sections 6 (numbers) and 7 (strings: quotation mark, reverse solidus and
   U+0000-U+001F must be escaped).
.. [3] Python ``json`` module: ``encode_basestring`` escapes exactly ``"``, ``\\``, ``\\n``,
   ``\\r``, ``\\t``, ``\\b``, ``\\f`` and other U+0000-U+001F as ``\\u00XX`` when
   ``ensure_ascii=False``; floats are written with ``float.__repr__``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl

__all__ = ["JSON_SCALAR", "row_pattern", "row_texts"]

# RFC 8259 grammar [2]_, for text with no insignificant whitespace (what the writer emits).
_STRING = r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"'
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
JSON_SCALAR = rf"(?:{_STRING}|{_NUMBER}|true|false|null)"
"""One JSON string, number, ``true``, ``false`` or ``null`` (RFC 8259), no whitespace."""

# json.dumps' escapes with ensure_ascii=False [3]_: these seven, then \u00XX for the rest of C0.
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_ESCAPES = {
    **_SHORT_ESCAPES,
    **{chr(c): f"\\u{c:04x}" for c in range(0x20) if chr(c) not in _SHORT_ESCAPES},
}
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
# float.__repr__ writes fixed notation for 1e-4 <= |x| < 1e16 (and 0): exactly the range
# where polars' Float64 -> String cast gives the same shortest round-trip digits.
_FIXED_LOW, _FIXED_HIGH = 1e-4, 1e16
_INT64_LIMIT = 2.0**63


def row_pattern(width: int) -> str:
    """Regular expression of one row's values without the brackets: ``width`` JSON scalars.

    Parameters
    ----------
    width : int
        Number of columns.

    Returns
    -------
    str
        Unanchored pattern; ``""`` matches only the empty text for ``width == 0``.
    """
    if width == 0:
        return ""
    return JSON_SCALAR + (rf"(?:,{JSON_SCALAR}){{{width - 1}}}" if width > 1 else "")


def _escaped(values: pl.Expr) -> pl.Expr:
    # backslash first, so the backslashes the later escapes add are not doubled again
    for char, escape in _ESCAPES.items():
        values = values.str.replace_all(char, escape, literal=True)
    return values


def _string_cells(series: pl.Series, length: int | None) -> pl.Series | None:
    if series.dtype != pl.String:
        return None
    if length is not None and bool((series.str.len_chars() > length).any()):
        return None  # the reference converter names the row
    frame = series.to_frame("v")
    needs_escape = bool(series.str.contains(_NEEDS_ESCAPE).any())
    text = _escaped(pl.col("v")) if needs_escape else pl.col("v")
    return frame.select(pl.concat_str(pl.lit('"'), text, pl.lit('"'))).to_series()


def _integer_cells(series: pl.Series) -> pl.Series | None:
    dtype = series.dtype
    if dtype.is_integer():
        return series.cast(pl.String)
    if dtype.is_float():
        values = series.cast(pl.Float64).fill_nan(None)
        # int(x) of a finite integral double; beyond Int64 the reference converter writes it
        exact = values.is_finite() & (values == values.floor()) & (values.abs() < _INT64_LIMIT)
        if not bool(exact.fill_null(True).all()):
            return None
        return values.cast(pl.Int64).cast(pl.String)
    return None


def _double_cells(series: pl.Series) -> pl.Series | None:
    dtype = series.dtype
    if not (dtype.is_float() or dtype.is_integer()):
        return None
    # float(v) in Python: an Int or Float32 value widened to a double first, as here
    values = series.cast(pl.Float64).fill_nan(None)
    magnitude = values.abs()
    fixed = (magnitude == 0) | ((magnitude >= _FIXED_LOW) & (magnitude < _FIXED_HIGH))
    if not bool(fixed.fill_null(True).all()):
        return None  # an exponent form (or an infinity to refuse): reference converter
    return values.cast(pl.String)


def _date_cells(series: pl.Series) -> pl.Series | None:
    if series.dtype != pl.Date:
        return None
    years = series.dt.year()
    if series.null_count() < series.len() and not (years.min() >= 1000 and years.max() <= 9999):
        return None  # date.isoformat pads years to four digits; strftime %Y may not
    text = series.dt.to_string("%Y-%m-%d")
    return text.to_frame("v").select(pl.concat_str(pl.lit('"'), pl.col("v"), pl.lit('"'))).to_series()


def fast_cells(series: pl.Series, data_type: str, length: int | None) -> pl.Series | None:
    """JSON text of each value (no nulls filled yet), or None when the fast path does not apply.

    Parameters
    ----------
    series : polars.Series
        One column of a batch.
    data_type : str
        The column's Dataset-JSON ``dataType``.
    length : int or None
        The column's ``length`` (strings).

    Returns
    -------
    polars.Series or None
        String series, null where the value is missing (null or NaN); None to use the
        reference converter for this batch.
    """
    if series.dtype == pl.Null:
        return pl.Series(series.name, [None] * series.len(), dtype=pl.String)
    if data_type in ("string", "URI"):
        return _string_cells(series, length)
    if data_type == "integer":
        return _integer_cells(series)
    if data_type in ("float", "double"):
        return _double_cells(series)
    if data_type == "date":
        return _date_cells(series)
    return None  # decimal, boolean, datetime, time: the reference converter


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def reference_cells(series: pl.Series, convert: Callable[[object, int], object]) -> pl.Series:
    """JSON text of each value through the per-value converter ``convert(value, row)``."""
    return pl.Series(series.name, [_dumps(convert(v, i)) for i, v in enumerate(series)], dtype=pl.String)


def row_texts(
    batch: pl.DataFrame,
    columns: list[tuple[str, str, int | None]],
    convert: Callable[[str, object, int], object],
) -> pl.Series:
    """One JSON array text per row of ``batch``, as ``json.dumps`` writes the converted row.

    Parameters
    ----------
    batch : polars.DataFrame
        Rows to write, columns in ``columns`` order.
    columns : list of (name, dataType, length)
        Column metadata.
    convert : callable
        ``convert(name, value, row)``: the reference per-value converter (row 0-based in the
        batch); it returns the JSON-ready value or raises the writer's error.

    Returns
    -------
    polars.Series
        String series of ``[v1,v2,...]`` texts, one per row.
    """
    if not columns:
        return pl.Series("row", ["[]"] * batch.height, dtype=pl.String)
    cells = []
    for name, data_type, length in columns:
        series = batch[name]
        text = fast_cells(series, data_type, length)
        if text is None:
            text = reference_cells(series, lambda v, i, name=name: convert(name, v, i))
        cells.append(text.fill_null("null").alias(name))
    frame = pl.DataFrame(cells)
    row = pl.concat_str(pl.lit("["), pl.concat_str(pl.all(), separator=","), pl.lit("]"))
    return frame.select(row.alias("row")).to_series()
