"""File level of a delivery: every file of every transfer under the extract root.

Nothing here may raise on a bad file: whatever is wrong with a file becomes a value in the
files frame, which the ``delivery_files`` suite then expects to be right. The data rows
themselves are NOT parsed here: the warehouse already read every file once into the base
tables ``staging.base_edc__<form>`` (DuckDB ``read_csv``, all text, ``ignore_errors``); the
row-level checks run over those (:mod:`expectations.delivery_rows`).

Each file's bytes are read once (a small thread pool: hashing and reading release the GIL):

- SHA-256, byte-order mark, UTF-8 validity (``bytes.isascii()`` fast path, else a strict
  decode), the header (only the first record is parsed), the physical line count
  (``bytes.count(b"\\n")``, a missing final newline counted);
- the **fast path** holds when the file is UTF-8, has no NUL byte, no carriage return outside
  CRLF, no line longer than DuckDB's limit, a header without duplicates, and every line that
  contains a quote is one complete CSV record on its own (so no record spans lines). Then the
  file has exactly ``lines - 1`` data records; if DuckDB read exactly that many rows of it
  (its count in the base table), every line was a record DuckDB could read and the base
  table's ``SOURCE_ROW`` is the file's data row;
- otherwise (or when the counts differ) the **exact path** parses that one file with the csv
  module (:func:`parse_csv_bytes`, RFC 4180) to say which row and column are wrong.

``files`` frame - one row per file found on disk or listed in a manifest, plus one row per
``manifest.csv``: TRANSFER_ID, SITE_FOLDER (None for the manifest), FORM, FILE (relative to
the transfer folder), SOURCE_FILE (relative to the extract root), ON_DISK, IN_MANIFEST,
KNOWN_FILE, DECLARED_ROWS, ACTUAL_ROWS, DECLARED_SHA256, ACTUAL_SHA256, LISTED_AS (the path
the manifest row's SITEID and FORM imply), UTF8_OK, BAD_UTF8_ROW, BAD_UTF8_COLUMN, HAS_BOM,
CSV_ERROR, CSV_ERROR_ROW, MISSING_COLUMNS, EXTRA_COLUMNS, MANIFEST_ERROR.

A known data file that is not UTF-8 or not valid CSV is *unusable*: its rows (as far as
DuckDB could read them) take no part in the row-level checks (the file is reported and its
site transfer quarantined anyway).
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expectations.contract import Contract

MANIFEST_COLUMNS = ["SITEID", "FORM", "FILE", "ROWS", "SHA256"]
MAX_LINE_BYTES = 2_000_000          # DuckDB's CSV reader refuses longer lines (2,097,152)
BOM = b"\xef\xbb\xbf"
READ_THREADS = 2                    # file reads + SHA-256 (both release the GIL)
csv.field_size_limit(16 * MAX_LINE_BYTES)

FILE_COLUMNS = [
    "TRANSFER_ID", "SITE_FOLDER", "FORM", "FILE", "SOURCE_FILE", "ON_DISK", "IN_MANIFEST",
    "KNOWN_FILE", "DECLARED_ROWS", "ACTUAL_ROWS", "DECLARED_SHA256", "ACTUAL_SHA256",
    "LISTED_AS", "UTF8_OK", "BAD_UTF8_ROW", "BAD_UTF8_COLUMN", "HAS_BOM", "CSV_ERROR",
    "CSV_ERROR_ROW", "MISSING_COLUMNS", "EXTRA_COLUMNS", "MANIFEST_ERROR",
]


@dataclass
class ParsedFile:
    """What reading one file found (never raises). ``exact``: parsed with the csv module."""

    header: list[str] | None = None
    records: list[list[str]] = field(default_factory=list)
    rows: int | None = None
    sha256: str | None = None
    has_bom: bool = False
    utf8_ok: bool = True
    bad_utf8_row: int | None = None
    bad_utf8_column: str | None = None
    csv_error: str | None = None
    csv_error_row: int | None = None
    exact: bool = True

    @property
    def usable(self) -> bool:
        return self.utf8_ok and self.csv_error is None and self.header is not None


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def parse_csv_bytes(data: bytes, keep_records: bool = True) -> ParsedFile:
    """The exact path: hash, decode (strict UTF-8) and parse (RFC 4180) one file's bytes."""
    out = ParsedFile(sha256=hashlib.sha256(data).hexdigest(), has_bom=data.startswith(BOM))
    body = data[len(BOM):] if out.has_bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        out.utf8_ok = False
        text = body.decode("utf-8", errors="surrogateescape")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as err:
        out.csv_error = f"not valid CSV ({err})"
        return out
    if not records or not records[0]:
        out.csv_error = "no header row"
        out.rows = 0
        return out
    out.header = records[0]
    out.records = records[1:]
    out.rows = len(out.records)
    if not out.utf8_ok:                      # locate the first field with undecodable bytes
        for k, record in enumerate(records):
            for j, value in enumerate(record):
                if _has_surrogate(value):
                    out.bad_utf8_row = k or None
                    out.bad_utf8_column = (out.header[j] if k and j < len(out.header)
                                           else "(header)")
                    break
            if out.bad_utf8_column:
                break
    duplicated = sorted({c for c in out.header if out.header.count(c) > 1})
    if duplicated:
        out.csv_error = f"duplicate column(s) in the header: {', '.join(duplicated)}"
    else:
        width = len(out.header)
        for k, record in enumerate(out.records, start=1):
            if len(record) != width:
                out.csv_error = (f"row {k} has {len(record)} field(s), the header has {width}"
                                 if record else f"row {k} is an empty line")
                out.csv_error_row = k
                break
    if out.csv_error is None and len(data) > MAX_LINE_BYTES and any(
            len(line) > MAX_LINE_BYTES for line in data.split(b"\n")):
        out.csv_error = f"a line is longer than {MAX_LINE_BYTES} bytes"
    if not keep_records:
        out.records = []
    return out


def _one_record(line: bytes) -> list[str] | None:
    """``line`` (no line break) as one complete CSV record, or None when it is not one
    (an open quote, a quote inside a field, bytes that are not UTF-8)."""
    try:
        records = list(csv.reader([line.decode("utf-8")], strict=True))
    except (csv.Error, UnicodeDecodeError):
        return None
    return records[0] if len(records) == 1 else None


def _has_long_line(data, start: int) -> bool:
    """True when a line may be longer than MAX_LINE_BYTES: some aligned half-window of that
    size holds no line break (a longer line always covers one). Cheap: one find per window."""
    if len(data) - start <= MAX_LINE_BYTES:
        return False
    step = MAX_LINE_BYTES // 2
    return any(data.find(b"\n", at, at + step) < 0
               for at in range(start, len(data) - step, step))


def inspect_bytes(data) -> ParsedFile:
    """The fast path (see the module docstring) over a file's bytes (``bytes`` or a
    ``bytearray`` holding exactly the file); falls back to :func:`parse_csv_bytes` when the
    file's lines are not plainly one record each. ``rows`` of a fast result is the number of
    data lines; the caller confirms it against DuckDB's count."""
    has_bom = data.startswith(BOM)
    start = len(BOM) if has_bom else 0
    size = len(data)
    if size == start or data.find(b"\x00", start) >= 0 or not _utf8(data, start) \
            or (data.find(b"\r", start) >= 0
                and data.count(b"\r", start) != data.count(b"\r\n", start)) \
            or _has_long_line(data, start):
        return parse_csv_bytes(bytes(data), keep_records=False)
    end = data.find(b"\n", start)
    first = bytes(data[start: end if end >= 0 else size]).removesuffix(b"\r")
    header = _one_record(first)
    if not header or len(set(header)) != len(header):
        return parse_csv_bytes(bytes(data), keep_records=False)
    width = len(header)
    lines = data.count(b"\n", start) + (0 if data.endswith(b"\n") else 1)
    quote = data.find(b'"', start + len(first))
    while quote >= 0:                        # every line holding a quote: one whole record
        begin = data.rfind(b"\n", start, quote) + 1
        stop = data.find(b"\n", quote)
        stop = size if stop < 0 else stop
        record = _one_record(bytes(data[max(begin, start):stop]).removesuffix(b"\r"))
        if record is None or len(record) != width:
            return parse_csv_bytes(bytes(data), keep_records=False)
        quote = data.find(b'"', stop)
    return ParsedFile(header=header, rows=lines - 1, sha256=hashlib.sha256(data).hexdigest(),
                      has_bom=has_bom, exact=False)


def _utf8(data, start: int) -> bool:
    if data.isascii():
        return True
    try:
        codecs.utf_8_decode(memoryview(data)[start:], "strict", True)
    except UnicodeDecodeError:
        return False
    return True


def _read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    try:
        return path.read_bytes(), None
    except OSError as err:
        return None, f"cannot read the file ({err.strerror or err})"


_buffers = threading.local()


def _inspect_path(path: Path) -> ParsedFile:
    """Read ``path`` into this thread's buffer (files come largest first, so the buffer
    only shrinks: no new pages per file) and inspect it."""
    try:
        with open(path, "rb", buffering=0) as fh:
            size = os.fstat(fh.fileno()).st_size
            buf = getattr(_buffers, "buf", None)
            if buf is None or len(buf) < size:
                buf = _buffers.buf = bytearray(size)
            else:
                del buf[size:]
            view = memoryview(buf)
            got = 0
            while got < size:
                n = fh.readinto(view[got:])
                if not n:
                    break
                got += n
            view.release()
            if got < size:
                del buf[got:]
            extra = fh.read()                # the file grew meanwhile
    except OSError as err:
        return ParsedFile(csv_error=f"cannot read the file ({err.strerror or err})")
    if extra:
        return inspect_bytes(bytes(buf) + extra)
    return inspect_bytes(buf)


def _exact_path(path: Path) -> ParsedFile:
    data, error = _read_bytes(path)
    if data is None:
        return ParsedFile(csv_error=error)
    return parse_csv_bytes(data, keep_records=False)


# ---------------------------------------------------------------------------- manifest
def read_manifest(path: Path) -> tuple[dict[str, dict], str | None]:
    """FILE -> manifest entry; and an error text when the manifest itself is unusable."""
    if not path.is_file():
        return {}, "manifest.csv is missing"
    data, error = _read_bytes(path)
    if error:
        return {}, error
    parsed = parse_csv_bytes(data)
    if not parsed.utf8_ok:
        return {}, "manifest.csv is not UTF-8"
    if parsed.csv_error:
        return {}, f"manifest.csv: {parsed.csv_error}"
    missing = [c for c in MANIFEST_COLUMNS if c not in parsed.header]
    if missing:
        return {}, f"manifest.csv lacks column(s) {', '.join(missing)}"
    entries: dict[str, dict] = {}
    duplicates = []
    for k, record in enumerate(parsed.records, start=1):
        entry = dict(zip(parsed.header, record)) | {"MANIFEST_ROW": k}
        name = entry["FILE"]
        if name in entries:
            duplicates.append(name)
        entries[name] = entry
    if duplicates:
        return entries, f"manifest.csv lists {', '.join(sorted(set(duplicates)))} more than once"
    return entries, None


# ---------------------------------------------------------------------------- the delivery
@dataclass
class DeliveryFiles:
    """The file level of a delivery (see the module docstring)."""

    root: Path
    files: pd.DataFrame
    unusable: set[str] = field(default_factory=set)        # SOURCE_FILEs (known data files)
    manifest_sites: set = field(default_factory=set, repr=False)
    exact_files: int = 0                                    # files that took the exact path

    @property
    def site_transfers(self) -> pd.DataFrame:
        """Every (SITEID, TRANSFER_ID) the delivery mentions (site folders and manifests)."""
        rows = {(r.SITE_FOLDER, r.TRANSFER_ID) for r in self.files.itertuples(index=False)
                if r.SITE_FOLDER is not None}
        rows |= set(self.manifest_sites)
        return pd.DataFrame(sorted(rows), columns=["SITEID", "TRANSFER_ID"])

    @property
    def data_files(self) -> pd.DataFrame:
        """Usable known data files: SOURCE_FILE, TRANSFER_ID, SITE_FOLDER, FORM."""
        known = self.files[self.files["KNOWN_FILE"].astype(bool)
                           & self.files["ON_DISK"].astype(bool)
                           & self.files["SITE_FOLDER"].notna()          # not a manifest
                           & ~self.files["SOURCE_FILE"].isin(self.unusable)]
        return known[["SOURCE_FILE", "TRANSFER_ID", "SITE_FOLDER", "FORM"]] \
            .reset_index(drop=True)

    def multi_transfer_sites(self) -> list[str]:
        """Sites with data files in more than one transfer (RECVER can go backwards)."""
        files = self.data_files
        counts = files.groupby("SITE_FOLDER")["TRANSFER_ID"].nunique()
        return sorted(counts[counts > 1].index)


def scan_files(root: Path, contract: Contract, row_counts=None) -> DeliveryFiles:
    """Every transfer folder under ``root``.

    ``row_counts``: SOURCE_FILE -> data rows DuckDB read into the base tables (a dict, or a
    callable returning one; it is called after the files were read, so the base-table query
    can run meanwhile). Without it every file takes the exact path.
    """
    root = Path(root)
    known_forms = set(contract.forms)
    transfers = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    file_rows: list[dict] = []
    manifest_sites: set = set()
    to_read: dict[str, Path] = {}
    for tdir in transfers:
        transfer = tdir.name
        entries, manifest_error = read_manifest(tdir / "manifest.csv")
        file_rows.append({
            "TRANSFER_ID": transfer, "SITE_FOLDER": None, "FORM": "manifest",
            "FILE": "manifest.csv", "SOURCE_FILE": f"{transfer}/manifest.csv",
            "ON_DISK": (tdir / "manifest.csv").is_file(), "IN_MANIFEST": True,
            "KNOWN_FILE": True, "MANIFEST_ERROR": manifest_error,
        })
        on_disk = {}
        for folder, _dirs, names in os.walk(tdir):
            for name in names:
                path = Path(folder) / name
                rel = path.relative_to(tdir).as_posix()
                if rel != "manifest.csv":
                    on_disk[rel] = path
        for name in sorted(set(on_disk) | set(entries)):
            parts = name.split("/")
            site = (parts[0].removeprefix("site_")
                    if len(parts) == 2 and parts[0].startswith("site_") else None)
            form = parts[-1].removesuffix(".csv") if parts[-1].endswith(".csv") else None
            entry = entries.get(name)
            row = {
                "TRANSFER_ID": transfer, "SITE_FOLDER": site, "FORM": form, "FILE": name,
                "SOURCE_FILE": f"{transfer}/{name}", "ON_DISK": name in on_disk,
                "IN_MANIFEST": entry is not None,
                "KNOWN_FILE": site is not None and form in known_forms,
            }
            if entry is not None:
                manifest_sites.add((entry.get("SITEID"), transfer))
                # as text: compared as text with the file's (a non-number never matches)
                row["DECLARED_ROWS"] = (entry.get("ROWS") or "").strip()
                row["DECLARED_SHA256"] = (entry.get("SHA256") or "").strip().lower()
                row["LISTED_AS"] = (f"site_{entry.get('SITEID')}/"
                                    f"{(entry.get('FORM') or '').lower()}.csv")
            if name in on_disk:
                to_read[row["SOURCE_FILE"]] = on_disk[name]
            file_rows.append(row)

    # read every file once (largest first, so the pool stays busy)
    order = sorted(to_read, key=lambda f: -_size(to_read[f]))
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        parsed = dict(zip(order, pool.map(lambda f: _inspect_path(to_read[f]), order)))
    counts = row_counts() if callable(row_counts) else (row_counts or {})

    unusable: set[str] = set()
    exact_files = 0
    for row in file_rows:
        source = row["SOURCE_FILE"]
        if source not in parsed:
            continue
        p = parsed[source]
        if row["KNOWN_FILE"] and p.usable:
            read = counts.get(source, 0)
            if not p.exact and read != p.rows:        # DuckDB skipped or split lines
                p = _exact_path(to_read[source])
            if p.usable and read != p.rows:
                p.csv_error = (f"the warehouse's CSV reader read {read} of the file's "
                               f"{p.rows} data rows")
        exact_files += p.exact
        row |= {
            "ACTUAL_ROWS": None if p.rows is None else str(p.rows),
            "ACTUAL_SHA256": p.sha256,
            "UTF8_OK": p.utf8_ok, "BAD_UTF8_ROW": p.bad_utf8_row,
            "BAD_UTF8_COLUMN": p.bad_utf8_column, "HAS_BOM": p.has_bom,
            "CSV_ERROR": p.csv_error, "CSV_ERROR_ROW": p.csv_error_row,
        }
        if row["KNOWN_FILE"] and p.header is not None:
            expected = contract.expected_header(row["FORM"])
            missing = [c for c in expected if c not in p.header]
            extra = [c for c in p.header if c not in expected]
            row["MISSING_COLUMNS"] = ", ".join(missing) or None
            row["EXTRA_COLUMNS"] = ", ".join(extra) or None
        if row["KNOWN_FILE"] and not p.usable:
            unusable.add(source)
    files = pd.DataFrame(file_rows, columns=FILE_COLUMNS).astype(object)
    files = files.where(files.notna(), None)
    return DeliveryFiles(root=root, files=files, unusable=unusable,
                         manifest_sites={(s, t) for s, t in manifest_sites if s},
                         exact_files=exact_files)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
