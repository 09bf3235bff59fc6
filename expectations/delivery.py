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
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expectations.contract import Contract

MANIFEST_COLUMNS = ["SITEID", "FORM", "FILE", "ROWS", "SHA256"]
MAX_LINE_BYTES = 2_000_000  # DuckDB's CSV reader refuses longer lines (2,097,152)
BOM = b"\xef\xbb\xbf"
READ_THREADS = 2  # file reads + SHA-256 (both release the GIL)
csv.field_size_limit(16 * MAX_LINE_BYTES)

FILE_COLUMNS = [
    "TRANSFER_ID",
    "SITE_FOLDER",
    "FORM",
    "FILE",
    "SOURCE_FILE",
    "ON_DISK",
    "IN_MANIFEST",
    "KNOWN_FILE",
    "DECLARED_ROWS",
    "ACTUAL_ROWS",
    "DECLARED_SHA256",
    "ACTUAL_SHA256",
    "LISTED_AS",
    "UTF8_OK",
    "BAD_UTF8_ROW",
    "BAD_UTF8_COLUMN",
    "HAS_BOM",
    "CSV_ERROR",
    "CSV_ERROR_ROW",
    "MISSING_COLUMNS",
    "EXTRA_COLUMNS",
    "MANIFEST_ERROR",
    "PATH_ERROR",
    "MANIFEST_SITEID",
    "MANIFEST_COUNT",
]
#: the inventory (validation.delivery_inventory): the file columns + how the reader reads it
INVENTORY_COLUMNS = [*FILE_COLUMNS, "EXACT", "READ_OK", "READ_PATH"]


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
    body = data[len(BOM) :] if out.has_bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        out.utf8_ok = False
        text = body.decode("utf-8", errors="surrogateescape")
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            records.append(record)
    except csv.Error as err:  # e.g. an unterminated quote: say where it starts
        out.csv_error = f"not valid CSV ({err})"
        out.csv_error_row = len(records) or None
        return out
    if not records or not records[0]:
        out.csv_error = "no header row"
        out.rows = 0
        return out
    out.header = records[0]
    out.records = records[1:]
    out.rows = len(out.records)
    if not out.utf8_ok:  # locate the first field with undecodable bytes
        for k, record in enumerate(records):
            for j, value in enumerate(record):
                if _has_surrogate(value):
                    out.bad_utf8_row = k or None
                    out.bad_utf8_column = out.header[j] if k and j < len(out.header) else "(header)"
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
                out.csv_error = (
                    f"row {k} has {len(record)} field(s), the header has {width}"
                    if record
                    else f"row {k} is an empty line"
                )
                out.csv_error_row = k
                break
    if out.csv_error is None and len(data) > MAX_LINE_BYTES:
        long_row = _first_long_record(records)
        if long_row is not None:
            out.csv_error = (
                f"a line is longer than {MAX_LINE_BYTES} bytes (the warehouse's CSV reader cannot read it)"
            )
            out.csv_error_row = long_row or None
    if not keep_records:
        out.records = []
    return out


def _first_long_record(records: list[list[str]]) -> int | None:
    """Index (0 = header) of the first record longer than MAX_LINE_BYTES in UTF-8 bytes, or
    None. A record (a quoted field may span lines) is what DuckDB's line limit applies to;
    bytes are counted only where the characters could reach the limit (<= 4 bytes each)."""
    for k, record in enumerate(records):
        chars = sum(map(len, record)) + 3 * len(record)  # fields, commas and quotes
        if (
            chars * 4 > MAX_LINE_BYTES
            and sum(len(f.encode("utf-8", "surrogateescape")) + 3 for f in record) > MAX_LINE_BYTES
        ):
            return k
    return None


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
    return any(data.find(b"\n", at, at + step) < 0 for at in range(start, len(data) - step, step))


def inspect_bytes(data) -> ParsedFile:
    """The fast path (see the module docstring) over a file's bytes (``bytes`` or a
    ``bytearray`` holding exactly the file); falls back to :func:`parse_csv_bytes` when the
    file's lines are not plainly one record each. ``rows`` of a fast result is the number of
    data lines; the caller confirms it against DuckDB's count."""
    has_bom = data.startswith(BOM)
    start = len(BOM) if has_bom else 0
    size = len(data)
    if (
        size == start
        or data.find(b"\x00", start) >= 0
        or not _utf8(data, start)
        or (data.find(b"\r", start) >= 0 and data.count(b"\r", start) != data.count(b"\r\n", start))
        or _has_long_line(data, start)
    ):
        return parse_csv_bytes(bytes(data), keep_records=False)
    end = data.find(b"\n", start)
    first = bytes(data[start : end if end >= 0 else size]).removesuffix(b"\r")
    header = _one_record(first)
    if not header or len(set(header)) != len(header):
        return parse_csv_bytes(bytes(data), keep_records=False)
    width = len(header)
    lines = data.count(b"\n", start) + (0 if data.endswith(b"\n") else 1)
    quote = data.find(b'"', start + len(first))
    while quote >= 0:  # every line holding a quote: one whole record
        begin = data.rfind(b"\n", start, quote) + 1
        stop = data.find(b"\n", quote)
        stop = size if stop < 0 else stop
        record = _one_record(bytes(data[max(begin, start) : stop]).removesuffix(b"\r"))
        if record is None or len(record) != width:
            return parse_csv_bytes(bytes(data), keep_records=False)
        quote = data.find(b'"', stop)
    return ParsedFile(
        header=header, rows=lines - 1, sha256=hashlib.sha256(data).hexdigest(), has_bom=has_bom, exact=False
    )


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
            extra = fh.read()  # the file grew meanwhile
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
    """FILE -> manifest entry (with ``MANIFEST_ROW`` and ``MANIFEST_COUNT``, how many rows
    list that file); and an error text when the manifest itself is unusable. A file listed
    twice is a finding of that file's site transfer (``MANIFEST_COUNT`` > 1), not of the
    whole transfer."""
    if path.is_symlink():
        return {}, "manifest.csv is a symbolic link: refused, not followed"
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
    for k, record in enumerate(parsed.records, start=1):
        entry = dict(zip(parsed.header, record)) | {"MANIFEST_ROW": k, "MANIFEST_COUNT": 1}
        name = entry["FILE"]
        if name in entries:  # the first row stands; count the others
            entries[name]["MANIFEST_COUNT"] += 1
            continue
        entries[name] = entry
    return entries, None


# ---------------------------------------------------------------------------- the walk
SITE_FOLDER = re.compile(r"site_([0-9]+)")  # exactly (no case, no spaces)
LOOSE_SITE_FOLDER = re.compile(r"(?i)\s*site[\s_-]*([0-9]+)\s*(?:\.[a-z0-9]+)?")
SYMLINK = "is a symbolic link: refused, not followed"


@dataclass
class _Found:
    """One path under a transfer folder (relative name, site it belongs to, why not read)."""

    name: str
    site: str | None
    path: Path | None = None  # set when it may be read
    error: str | None = None


def _site_of(folder: str) -> tuple[str | None, str | None]:
    """(site, error) of a folder directly under a transfer: ``site_103`` -> ('103', None);
    ``SITE_103`` or ``site_103 `` -> ('103', 'not named exactly site_103'); else (None, ...)."""
    exact = SITE_FOLDER.fullmatch(folder)
    if exact:
        return exact.group(1), None
    loose = LOOSE_SITE_FOLDER.fullmatch(folder)
    if loose:
        site = loose.group(1)
        return site, (f"folder {folder!r} is not named exactly site_{site}: its files are not read")
    return None, f"folder {folder!r} is not a site folder site_<SITEID>"


def _walk_transfer(tdir: Path) -> list[_Found]:
    """Every path under a transfer folder except manifest.csv, never following a link.

    Names are matched exactly (spec: ``site_<SITEID>/<form>.csv``); anything else is listed
    with the site it most plausibly belongs to (so that only that site's transfer is
    quarantined) and is not read."""
    found: list[_Found] = []
    try:
        entries = sorted(os.scandir(tdir), key=lambda e: e.name)
    except OSError as err:
        return [_Found(".", None, error=f"cannot list the transfer folder ({err.strerror})")]
    for entry in entries:
        if entry.name == "manifest.csv":
            continue
        site, folder_error = _site_of(entry.name)
        if entry.is_symlink():
            found.append(_Found(entry.name, site, error=f"{entry.name} {SYMLINK}"))
        elif entry.is_dir(follow_symlinks=False) and folder_error:
            found.append(_Found(entry.name, site, error=folder_error))  # never entered
        elif entry.is_dir(follow_symlinks=False):
            found += _walk_site(Path(entry.path), entry.name, site)
        else:
            found.append(
                _Found(
                    entry.name,
                    site,
                    error=None if site else f"{entry.name!r} is not a site folder site_<SITEID>",
                )
            )
    return found


def _walk_site(folder: Path, rel: str, site: str) -> list[_Found]:
    """Every file under a site folder ``site_<SITEID>``; a link is listed, not followed."""
    found: list[_Found] = []
    for current, dirs, names in os.walk(folder, followlinks=False):
        here = Path(current)
        for name in sorted(names) + sorted(d for d in dirs if (here / d).is_symlink()):
            path = here / name
            name_rel = f"{rel}/{path.relative_to(folder).as_posix()}"
            if path.is_symlink():
                found.append(_Found(name_rel, site, error=f"{name_rel} {SYMLINK}"))
            else:
                found.append(_Found(name_rel, site, path=path))
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink())
    return found


def transfer_folders(root: Path) -> list[tuple[str, Path, str | None]]:
    """(name, path, error) of every folder directly under the extract root; a symbolic link
    is listed with an error and never entered."""
    if not root.is_dir():
        return []
    out = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_symlink():
            out.append((entry.name, Path(entry.path), f"the transfer folder {SYMLINK}"))
        elif entry.is_dir(follow_symlinks=False):
            out.append((entry.name, Path(entry.path), None))
    return out


# ---------------------------------------------------------------------------- the inventory
def transfer_fingerprint(tdir: Path) -> str:
    """SHA-256 over the relative name, kind, size and modification time (ns) of every path
    under the transfer folder ``tdir`` (links listed, never followed), without reading a file.

    The nightly build inventories a transfer folder again only when this changes
    (docs/VALIDATION.md, "Incremental nightly"); a folder that cannot be listed gets a
    fingerprint of its own error, so it is inventoried (and reported) again."""
    digest = hashlib.sha256()
    try:
        for current, dirs, names in os.walk(tdir, followlinks=False):
            dirs.sort()
            here = Path(current)
            for name in [*dirs, *sorted(names)]:
                path = here / name
                st = path.lstat()
                kind = "l" if path.is_symlink() else ("d" if path.is_dir() else "f")
                size, mtime = (0, 0) if kind == "d" else (st.st_size, st.st_mtime_ns)
                rel = path.relative_to(tdir).as_posix()
                digest.update(f"{rel}\0{kind}\0{size}\0{mtime}\n".encode())
    except OSError as err:
        return f"unlisted: {err.strerror}"
    return digest.hexdigest()


def transfer_fingerprints(root: Path) -> dict[str, str]:
    """TRANSFER_ID -> :func:`transfer_fingerprint` of every folder under the extract root (a
    linked transfer folder: ``"link"``, never entered)."""
    return {
        name: "link" if error else transfer_fingerprint(tdir)
        for name, tdir, error in transfer_folders(Path(root))
    }


def inventory(
    root: Path,
    contract: Contract,
    read_root: str | None = None,
    transfers: set[str] | None = None,
) -> pd.DataFrame:
    """Every file of every transfer under ``root`` (found on disk or listed in a manifest),
    inspected from its bytes BEFORE the warehouse's CSV reader sees it. ``transfers``: only
    these transfer folders (the nightly build's new or changed ones); None: all.

    One row per file (columns :data:`INVENTORY_COLUMNS`). ``READ_OK`` says whether the raw
    read may read it: a manifest or a known data file ``site_<SITEID>/<form>.csv``, a regular
    file (no link), UTF-8, valid CSV with a header and no line longer than the reader's
    limit. Everything else is reported by the delivery checks and never reaches DuckDB, so
    no file can stop the read of the other sites' files. ``READ_PATH`` is the path the
    reader gets (``read_root`` - the extract root as the dbt sources spell it - joined with
    the file's place), so that lineage parses it as before.
    """
    root = Path(root)
    read_root = (read_root or str(root)).rstrip("/")
    known_forms = set(contract.forms)
    rows: list[dict] = []
    to_read: dict[str, Path] = {}
    for transfer, tdir, transfer_error in transfer_folders(root):
        if transfers is not None and transfer not in transfers:
            continue
        if transfer_error:
            rows.append(
                {
                    "TRANSFER_ID": transfer,
                    "FORM": "manifest",
                    "FILE": "manifest.csv",
                    "SOURCE_FILE": f"{transfer}/manifest.csv",
                    "ON_DISK": False,
                    "IN_MANIFEST": True,
                    "KNOWN_FILE": True,
                    "MANIFEST_ERROR": transfer_error,
                }
            )
            continue
        entries, manifest_error = read_manifest(tdir / "manifest.csv")
        manifest_ok = manifest_error is None
        rows.append(
            {
                "TRANSFER_ID": transfer,
                "SITE_FOLDER": None,
                "FORM": "manifest",
                "FILE": "manifest.csv",
                "SOURCE_FILE": f"{transfer}/manifest.csv",
                "ON_DISK": (tdir / "manifest.csv").is_file(),
                "IN_MANIFEST": True,
                "KNOWN_FILE": True,
                "MANIFEST_ERROR": manifest_error,
                "READ_OK": manifest_ok,
                "READ_PATH": f"{read_root}/{transfer}/manifest.csv" if manifest_ok else None,
            }
        )
        on_disk = {f.name: f for f in _walk_transfer(tdir)}
        for name in sorted(set(on_disk) | set(entries)):
            found = on_disk.get(name)
            parts = name.split("/")
            exact_site = (
                SITE_FOLDER.fullmatch(parts[0]).group(1)
                if len(parts) == 2 and SITE_FOLDER.fullmatch(parts[0])
                else None
            )
            site = found.site if found is not None else (exact_site or _site_of(parts[0])[0])
            form = parts[-1].removesuffix(".csv") if parts[-1].endswith(".csv") else None
            entry = entries.get(name)
            row = {
                "TRANSFER_ID": transfer,
                "SITE_FOLDER": site,
                "FORM": form,
                "FILE": name,
                "SOURCE_FILE": f"{transfer}/{name}",
                "ON_DISK": found is not None,
                "IN_MANIFEST": entry is not None,
                "KNOWN_FILE": exact_site is not None and form in known_forms,
                "PATH_ERROR": found.error if found is not None else None,
            }
            if row["PATH_ERROR"] and entry is None:  # the path error says all there is
                row["IN_MANIFEST"] = row["KNOWN_FILE"] = None
            if entry is not None:
                row["MANIFEST_SITEID"] = entry.get("SITEID") or None
                row["MANIFEST_COUNT"] = entry["MANIFEST_COUNT"]
                # as text: compared as text with the file's (a non-number never matches)
                row["DECLARED_ROWS"] = (entry.get("ROWS") or "").strip()
                row["DECLARED_SHA256"] = (entry.get("SHA256") or "").strip().lower()
                row["LISTED_AS"] = f"site_{entry.get('SITEID')}/{(entry.get('FORM') or '').lower()}.csv"
            if found is not None and found.path is not None:
                to_read[row["SOURCE_FILE"]] = found.path
            rows.append(row)

    # read every file once (largest first, so the pool stays busy)
    order = sorted(to_read, key=lambda f: -_size(to_read[f]))
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        parsed = dict(zip(order, pool.map(lambda f: _inspect_path(to_read[f]), order)))
    for row in rows:
        p = parsed.get(row["SOURCE_FILE"])
        if p is None:
            continue
        row |= _parsed_columns(p, contract, row)
        if row["KNOWN_FILE"] and p.usable:
            row["READ_OK"] = True
            row["READ_PATH"] = f"{read_root}/{row['SOURCE_FILE']}"
    frame = pd.DataFrame(rows, columns=INVENTORY_COLUMNS).astype(object)
    frame = frame.where(frame.notna(), None)
    frame["READ_OK"] = [bool(v) for v in frame["READ_OK"]]  # None: not read
    return frame


def _parsed_columns(p: ParsedFile, contract: Contract, row: dict) -> dict:
    out = {
        "ACTUAL_ROWS": None if p.rows is None else str(p.rows),
        "ACTUAL_SHA256": p.sha256,
        "UTF8_OK": p.utf8_ok,
        "BAD_UTF8_ROW": p.bad_utf8_row,
        "BAD_UTF8_COLUMN": p.bad_utf8_column,
        "HAS_BOM": p.has_bom,
        "CSV_ERROR": p.csv_error,
        "CSV_ERROR_ROW": p.csv_error_row,
        "EXACT": p.exact,
    }
    if row["KNOWN_FILE"] and p.header is not None:
        expected = contract.expected_header(row["FORM"])
        out["MISSING_COLUMNS"] = ", ".join(c for c in expected if c not in p.header) or None
        out["EXTRA_COLUMNS"] = ", ".join(c for c in p.header if c not in expected) or None
    return out


# ---------------------------------------------------------------------------- the delivery
@dataclass
class DeliveryFiles:
    """The file level of a delivery (see the module docstring)."""

    root: Path
    files: pd.DataFrame
    unusable: set[str] = field(default_factory=set)  # SOURCE_FILEs (known data files)
    exact_files: int = 0  # files that took the exact path

    @property
    def site_transfers(self) -> pd.DataFrame:
        """Every (SITEID, TRANSFER_ID) the delivery mentions (site folders and manifests)."""
        rows = {
            (r.SITE_FOLDER, r.TRANSFER_ID)
            for r in self.files.itertuples(index=False)
            if r.SITE_FOLDER is not None
        }
        rows |= {
            (r.MANIFEST_SITEID, r.TRANSFER_ID)
            for r in self.files.itertuples(index=False)
            if r.MANIFEST_SITEID
        }
        return pd.DataFrame(sorted(rows), columns=["SITEID", "TRANSFER_ID"])

    @property
    def data_files(self) -> pd.DataFrame:
        """Usable known data files: SOURCE_FILE, TRANSFER_ID, SITE_FOLDER, FORM."""
        known = self.files[
            self.files["READ_OK"].astype(bool)
            & self.files["SITE_FOLDER"].notna()  # not a manifest
            & ~self.files["SOURCE_FILE"].isin(self.unusable)
        ]
        return known[["SOURCE_FILE", "TRANSFER_ID", "SITE_FOLDER", "FORM"]].reset_index(drop=True)

    def multi_transfer_sites(self) -> list[str]:
        """Sites with data files in more than one transfer (RECVER can go backwards)."""
        files = self.data_files
        counts = files.groupby("SITE_FOLDER")["TRANSFER_ID"].nunique()
        return sorted(counts[counts > 1].index)


def confirm(
    root: Path, inventory_frame: pd.DataFrame, contract: Contract, row_counts: dict[str, int]
) -> DeliveryFiles:
    """The file level of the delivery checks: the ``inventory`` (made before the raw read)
    confirmed against what DuckDB read. A file that took the fast path and of which DuckDB
    read another number of rows is parsed again exactly (to say which row is wrong); a file
    of which DuckDB read another number of rows than it has is not usable."""
    files = inventory_frame.copy()
    unusable: set[str] = set()
    exact_files = 0
    for i, row in files.iterrows():
        source = row["SOURCE_FILE"]
        if not row["KNOWN_FILE"] or row["SITE_FOLDER"] is None:
            continue
        if row["READ_OK"]:
            read = int(row_counts.get(source, 0))
            rows = int(row["ACTUAL_ROWS"])
            if not row["EXACT"] and read != rows:  # DuckDB skipped or split lines
                p = _exact_path(Path(root) / source)
                files.loc[i, list(_parsed_columns(p, contract, row))] = pd.Series(
                    _parsed_columns(p, contract, row)
                )
                rows = p.rows if p.rows is not None else -1
                exact = True
            else:
                exact = bool(row["EXACT"])
            if files.loc[i, "CSV_ERROR"] is None and read != rows:
                files.loc[i, "CSV_ERROR"] = (
                    f"the warehouse's CSV reader read {read} of the file's {rows} data rows"
                )
            exact_files += exact
            if files.loc[i, "CSV_ERROR"] is not None or files.loc[i, "UTF8_OK"] is False:
                unusable.add(source)
        elif row["ON_DISK"]:
            unusable.add(source)
    files = files.where(files.notna(), None)
    return DeliveryFiles(root=Path(root), files=files, unusable=unusable, exact_files=exact_files)


def scan_files(root: Path, contract: Contract, row_counts=None) -> DeliveryFiles:
    """:func:`inventory` and :func:`confirm` in one call (tests and tools without dbt).
    ``row_counts``: SOURCE_FILE -> data rows the reader read (a dict or a callable); without
    it every file that took the fast path is parsed again exactly."""
    frame = inventory(Path(root), contract)
    counts = row_counts() if callable(row_counts) else row_counts
    if counts is None:
        counts = {}
    return confirm(Path(root), frame, contract, counts)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
