"""Streaming read of a Dataset-JSON file's rows: counted and checked without a document in memory.

The validator of `submission.dataset_json` needs from the rows only what the official schema
and its content checks say about them: the JSON form's ``rows`` is an array whose items are
arrays (``$defs/Row`` has ``"type": "array"``; its ``properties``/``additionalProperties``
apply to objects only, so they constrain no array), each row must hold one value per column,
and ``records`` must equal the number of rows. The scanners here read the file in blocks and
test each row's text with one regular expression, run vectorised by polars, for "an array of
exactly ``width`` JSON scalars" (`submission.json_text.row_pattern`, the RFC 8259 grammar
without whitespace). A row that matches is a valid row of the right width, so the schema and the
content checks have nothing to say about it. A row that does not match is parsed by Python's
``json`` (exactly as the in-memory validator parses it) and returned, with its index, for the
caller to judge; anything the scanners cannot place — invalid UTF-8 or JSON, whitespace
between rows, ``rows`` not the last key, a metadata line that is not an object — raises
:class:`Undecided`, and the caller falls back to the in-memory validator, so the verdict and
messages are always those of the whole-document check.

References
----------
.. [1] CDISC, "Dataset-JSON v1.1 Specification", 2024 (JSON and NDJSON forms).
.. [2] CDISC, "Dataset-JSON v1.1 JSON Schema" (``dataset.schema.json``), ``$defs/Row``.
.. [3] RFC 8259, "The JavaScript Object Notation (JSON) Data Interchange Format".
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from submission.json_text import row_pattern

__all__ = ["CHUNK_BYTES", "Undecided", "scan_json_form", "scan_ndjson_form"]

CHUNK_BYTES = 32 << 20
"""Bytes read at a time; memory holds about one block of row texts."""
MAX_IRREGULAR_ROWS = 1000
"""Rows not matching the fast pattern that are parsed and kept for the caller; more: `Undecided`."""
_ROWS_KEY = ',"rows":['
_WHITESPACE = " \t\n\r"  # JSON insignificant whitespace (RFC 8259 section 2)
_SEPARATOR = "],["
_DECODER = json.JSONDecoder()


class Undecided(Exception):
    """The streaming scan cannot judge this file; the in-memory validator must."""


def _matches(texts: list[str], pattern: str) -> pl.Series:
    return pl.Series(texts, dtype=pl.String).str.contains(f"^(?:{pattern})$")


def _leading_true(flags: pl.Series) -> int:
    """Number of leading True values."""
    failed = (~flags).arg_true()
    return int(failed[0]) if failed.len() else flags.len()


class _Text:
    """UTF-8 text of a binary file, block by block (strict decoding; an error is `Undecided`)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.eof = False

    def read(self) -> str:
        block = self._handle.read(CHUNK_BYTES)
        self.eof = not block
        try:
            return self._decoder.decode(block, final=self.eof)
        except UnicodeDecodeError:
            raise Undecided from None


def _skip_space(buf: str, pos: int) -> int:
    while pos < len(buf) and buf[pos] in _WHITESPACE:
        pos += 1
    return pos


def _json_header(text: _Text) -> tuple[dict[str, Any], str]:
    """The document without ``rows`` and the text just after ``"rows":[``.

    The writer puts ``rows`` last; ``,"rows":[`` cannot occur inside a JSON string (a quote
    there is escaped), so its first occurrence ends the other members, which must then parse
    as an object on their own.
    """
    buf = ""
    while _ROWS_KEY not in buf:
        more = text.read()
        if not more:
            raise Undecided
        buf += more
    cut = buf.index(_ROWS_KEY)
    try:
        header = json.loads(buf[:cut] + "}")
    except json.JSONDecodeError:
        raise Undecided from None
    if not isinstance(header, dict) or "rows" in header or not isinstance(header.get("columns"), list):
        raise Undecided
    return header, buf[cut + len(_ROWS_KEY) :]


def _regular_rows(buf: str, pos: int, pattern: str) -> tuple[int, int]:
    """From a row's ``[`` at ``pos``: how many following rows match, and where the next row starts.

    Rows are cut at ``],[``. A cut inside a string makes the pieces around it fail the pattern
    (they hold an unterminated string), so only a prefix of true rows is ever counted; the
    caller parses the first failing row properly.
    """
    cut = buf.rfind(_SEPARATOR, pos)
    if cut <= pos:
        return 0, pos
    pieces = buf[pos + 1 : cut].split(_SEPARATOR)
    good = _leading_true(_matches(pieces, pattern))
    return good, pos + sum(len(piece) + len(_SEPARATOR) for piece in pieces[:good])


def _irregular(value: Any, width: int) -> bool:
    # what the content check reports (the schema adds its own message for a non-array)
    return not (isinstance(value, list) and len(value) == width)


def _keep(irregular: list[tuple[int, Any]], index: int, value: Any) -> None:
    irregular.append((index, value))
    if len(irregular) > MAX_IRREGULAR_ROWS:
        raise Undecided  # a file this far from the writer's layout: the whole-document check


def _fill(text: _Text, buf: str, pos: int) -> tuple[str, int]:
    """Drop the consumed text and keep at least a block ahead of ``pos``."""
    if not text.eof and len(buf) - pos < CHUNK_BYTES:
        return buf[pos:] + text.read(), 0
    return buf, pos


def _parse_value(text: _Text, buf: str, pos: int) -> tuple[Any, str, int]:
    """One JSON value at ``pos`` as ``json`` parses it, reading on until it is complete."""
    while True:
        try:
            value, end = _DECODER.raw_decode(buf, pos)
        except json.JSONDecodeError:
            if text.eof:
                raise Undecided from None
            end = len(buf)  # incomplete: read on
        if end < len(buf) or text.eof:
            return value, buf, end
        if len(buf) - pos > 4 * CHUNK_BYTES:
            raise Undecided  # no row is this long
        buf, pos = buf[pos:] + text.read(), 0


def _end_of_document(text: _Text, rest: str) -> None:
    """After the rows' ``]``: the document's closing ``}`` and nothing but whitespace."""
    while not text.eof and len(rest) <= CHUNK_BYTES:
        rest += text.read()
    if not text.eof or rest.strip(_WHITESPACE) != "}":
        raise Undecided


def scan_json_form(path: Path) -> tuple[dict[str, Any], int, list[tuple[int, Any]]]:
    """Scan the JSON form: the document without ``rows``, the row count and the irregular rows.

    Parameters
    ----------
    path : Path
        A Dataset-JSON file, JSON form.

    Returns
    -------
    header : dict
        The top-level object without ``rows``.
    count : int
        Number of rows.
    irregular : list of (int, Any)
        Rows that are not an array of ``len(columns)`` values, with their 0-based index, as
        ``json`` parses them.

    Raises
    ------
    Undecided
        The layout is not the writer's (see the module docstring).
    """
    with path.open("rb") as handle:
        text = _Text(handle)
        header, buf = _json_header(text)
        width = len(header["columns"])
        pattern = row_pattern(width)
        count, pos, irregular = 0, 0, []
        buf, pos = _fill(text, buf, pos)
        pos = _skip_space(buf, pos)
        expecting_value = not buf.startswith("]", pos)  # "rows":[] has no value
        while True:
            buf, pos = _fill(text, buf, pos)
            pos = _skip_space(buf, pos)
            if expecting_value:
                if buf.startswith("[", pos):
                    good, pos = _regular_rows(buf, pos, pattern)
                    count += good
                    if good:
                        continue
                value, buf, pos = _parse_value(text, buf, pos)
                if _irregular(value, width):
                    _keep(irregular, count, value)
                count += 1
                expecting_value = False
            elif buf.startswith(",", pos):
                pos += 1
                expecting_value = True
            elif buf.startswith("]", pos):
                _end_of_document(text, buf[pos + 1 :])
                return header, count, irregular
            else:
                raise Undecided


def scan_ndjson_form(path: Path) -> tuple[dict[str, Any], int, list[tuple[int, Any]]]:
    """Scan the NDJSON form: the metadata (line 1), the row count and the irregular rows.

    Lines are split on ``\\n`` and blank lines skipped, as the whole-document check does; row
    indexes count the non-blank row lines from 0 (line ``index + 2`` in its messages).

    Raises
    ------
    Undecided
        Invalid UTF-8 or JSON, a carriage return (the whole-document check reads with universal
        newlines), or a first line that is not an object with a ``columns`` list.
    """
    with path.open("rb") as handle:
        try:
            metadata = json.loads(handle.readline().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Undecided from None
        if not isinstance(metadata, dict) or not isinstance(metadata.get("columns"), list):
            raise Undecided
        width = len(metadata["columns"])
        pattern = rf"\[{row_pattern(width)}\]"
        count, irregular, rest = 0, [], b""
        while True:
            block = handle.read(CHUNK_BYTES)
            data, eof = rest + block, not block
            cut = len(data) if eof else data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            data, rest = data[:cut], data[cut + 1 :]
            try:
                lines = data.decode("utf-8").split("\n")
            except UnicodeDecodeError:
                raise Undecided from None
            flags = _matches(lines, pattern)
            if bool(flags.all()):
                count += len(lines)
            else:
                count = _irregular_lines(lines, flags, width, count, irregular)
            if eof:
                return metadata, count, irregular


def _irregular_lines(
    lines: list[str], flags: pl.Series, width: int, count: int, irregular: list[tuple[int, Any]]
) -> int:
    """Count a block's lines one by one where some did not match: skip blanks, parse the rest."""
    for line, regular in zip(lines, flags.to_list(), strict=True):
        if regular:
            count += 1
            continue
        if not line.strip():
            continue
        if "\r" in line:
            raise Undecided
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            raise Undecided from None
        if _irregular(value, width):
            _keep(irregular, count, value)
        count += 1
    return count
