"""Read a delivery (every transfer under the extract root) into frames for the delivery suites.

Nothing here may raise on a bad file: each file is read as bytes, hashed, decoded and parsed
by this module itself, and whatever is wrong with it becomes a value in the files frame
(that the ``delivery_files`` suite then expects to be right). Only files that decode and
parse cleanly contribute rows to the per-form frames the ``delivery_<form>`` suites check.

Frames (pandas; text columns are object with None for an empty field):

``files`` - one row per file found on disk or listed in a manifest, plus one row per
    ``manifest.csv``:
    TRANSFER_ID, SITE_FOLDER (None for the manifest), FORM, FILE (relative to the transfer
    folder), SOURCE_FILE (relative to the extract root), ON_DISK, IN_MANIFEST, KNOWN_FILE,
    DECLARED_ROWS, ACTUAL_ROWS, DECLARED_SHA256, ACTUAL_SHA256, LISTED_AS (the path the
    manifest row's SITEID and FORM imply), UTF8_OK, BAD_UTF8_ROW, BAD_UTF8_COLUMN, HAS_BOM,
    CSV_ERROR, CSV_ERROR_ROW, MISSING_COLUMNS, EXTRA_COLUMNS, MANIFEST_ERROR.

``forms[<form>]`` - one row per data row of every usable file of the form: lineage
    TRANSFER_ID, SITE_FOLDER, FILE, SOURCE_FILE, SOURCE_ROW (1-based, header excluded),
    TRANSFER_DATE, TRANSFER_DTM; the contract's columns under their spec names (a missing
    column is all None); helper columns:
      <DATE>__ISO   the date to test for calendar validity (a partial date padded to the
                    1st), None when the text is not in date format
      <DATE>__LO / __HI  earliest / latest day the (partial) date can mean (NaT if invalid)
      <COL>__NUM    numeric value of integer/decimal columns with a range
      MODDTC__TS    MODDTC as a timestamp
      SUBJID_SITE   the site part of SUBJID (when SUBJID has the <SITEID>-<nnn> shape)
      IN_DM         True / False: SUBJID has a record in the same transfer's dm file of the
                    site; None when that dm file is unusable (reported on its own)
      ICDT          the subject's informed consent date from that dm file
      RECVER_NUM    RECVER as a number; PREV_RECVER: the highest RECVER of the same record
                    (site, form, RECID) in the site's earlier transfers
      LBRES_KEY / LBUNIT_KEY (lb)  ``LBTESTCD:LBORRES`` / ``LBTESTCD:LBORRESU``

What the suites validate is derived from these (see :class:`Delivery`): transfers are
cumulative, so the same row comes again in every later transfer; checks that depend only on
a row's values (and its site, its subject's presence in dm) run once per distinct row, and
a failure is reported for every file and row where that row occurs.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expectations.contract import Contract

MANIFEST_COLUMNS = ["SITEID", "FORM", "FILE", "ROWS", "SHA256"]
MAX_LINE_BYTES = 2_000_000          # DuckDB's CSV reader refuses longer lines (2,097,152)
BOM = b"\xef\xbb\xbf"
csv.field_size_limit(16 * MAX_LINE_BYTES)

FILE_COLUMNS = [
    "TRANSFER_ID", "SITE_FOLDER", "FORM", "FILE", "SOURCE_FILE", "ON_DISK", "IN_MANIFEST",
    "KNOWN_FILE", "DECLARED_ROWS", "ACTUAL_ROWS", "DECLARED_SHA256", "ACTUAL_SHA256",
    "LISTED_AS", "UTF8_OK", "BAD_UTF8_ROW", "BAD_UTF8_COLUMN", "HAS_BOM", "CSV_ERROR",
    "CSV_ERROR_ROW", "MISSING_COLUMNS", "EXTRA_COLUMNS", "MANIFEST_ERROR",
]
LINEAGE = ["TRANSFER_ID", "SITE_FOLDER", "FILE", "SOURCE_FILE", "SOURCE_ROW"]


@dataclass
class ParsedFile:
    """What reading one file found (never raises)."""

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

    @property
    def usable(self) -> bool:
        return self.utf8_ok and self.csv_error is None and self.header is not None


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def parse_csv_bytes(data: bytes) -> ParsedFile:
    """Hash, decode (strict UTF-8) and parse (RFC 4180) one file's bytes."""
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
        return out
    width = len(out.header)
    for k, record in enumerate(out.records, start=1):
        if len(record) != width:
            out.csv_error = (f"row {k} has {len(record)} field(s), the header has {width}"
                             if record else f"row {k} is an empty line")
            out.csv_error_row = k
            return out
    if len(data) > MAX_LINE_BYTES and any(len(line) > MAX_LINE_BYTES
                                          for line in data.split(b"\n")):
        out.csv_error = f"a line is longer than {MAX_LINE_BYTES} bytes"
    return out


def _read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    try:
        return path.read_bytes(), None
    except OSError as err:
        return None, f"cannot read the file ({err.strerror or err})"


@dataclass
class Delivery:
    """The frames the delivery suites validate."""

    root: Path
    files: pd.DataFrame
    forms: dict[str, pd.DataFrame]
    contract: Contract = field(repr=False, default=None)
    manifest_sites: set = field(default_factory=set, repr=False)

    @property
    def site_transfers(self) -> pd.DataFrame:
        """Every (SITEID, TRANSFER_ID) the delivery mentions (site folders and manifests)."""
        rows = {(r.SITE_FOLDER, r.TRANSFER_ID) for r in self.files.itertuples(index=False)
                if r.SITE_FOLDER is not None}
        rows |= set(self.manifest_sites)
        return pd.DataFrame(sorted(rows), columns=["SITEID", "TRANSFER_ID"])

    # ------------------------------------------------------------------ suite frames
    def _distinct(self, form: str, key_cols: list[str], keep: list[str], tag: str):
        """Distinct rows of ``form`` by ``key_cols`` (columns ``keep``), and where each
        occurs: (frame with _KEY, occurrences: _KEY + lineage); _KEY is unique across
        forms (``<tag>:<form>:<n>``)."""
        frame = self.forms[form]
        codes = frame.groupby(key_cols, dropna=False, sort=False).ngroup()
        key = (f"{tag}:{form}:" + codes.astype(str)).to_numpy()
        occurrences = frame[LINEAGE].assign(_KEY=key)
        first = ~codes.duplicated().to_numpy()
        distinct = frame.loc[first, [c for c in keep if c not in LINEAGE]]
        distinct = pd.concat([occurrences.loc[first], distinct], axis=1)
        return distinct.reset_index(drop=True), occurrences

    def value_frame(self, form: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Distinct rows of ``form`` by the site folder and the form's own columns (what the
        ``delivery_<form>`` suite reads), and where each occurs."""
        own = [c.name for c in self.contract.form_columns(form)]
        frame = self.forms[form]
        helpers = [c for c in frame.columns if c.endswith(("__ISO", "__NUM"))
                   and c.split("__")[0] in own]
        helpers += [c for c in ("LBRES_KEY", "LBUNIT_KEY") if c in frame]
        return self._distinct(form, ["SITE_FOLDER", *own], [*own, *helpers], "values")

    def common_frame(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Distinct rows of every form by the site folder, the common columns (spec section
        3) and IN_DM, stacked: the ``delivery_common`` suite checks them for all forms."""
        common = [c.name for c in self.contract.common]
        helpers = ["SUBJID_SITE", "IN_DM"] + [f"{c.name}__NUM" for c in self.contract.common
                                              if c.min_value is not None
                                              or c.max_value is not None]
        frames, occurrences = [], []
        for form, rows in self.forms.items():
            if not len(rows):
                continue
            distinct, where = self._distinct(form, ["SITE_FOLDER", *common, "IN_DM"],
                                             [*common, *helpers], "common")
            frames.append(distinct.assign(FORM=form))
            occurrences.append(where)
        if not frames:
            return pd.DataFrame(), pd.DataFrame()
        frame = pd.concat(frames, ignore_index=True)
        frame.loc[frame["FORM"] == "dm", "IN_DM"] = None      # dm is where subjects are listed
        return frame.copy(), pd.concat(occurrences, ignore_index=True)

    def dates_frame(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every date and timestamp value of every row, long (one row per value), distinct
        per transfer, site, subject, form, column and value, with the bounds the order
        checks compare: LO/HI (earliest/latest day a partial date can mean), TRANSFER_BOUND
        (the transfer's date, or its date-time for a timestamp) and the subject's consent
        (ICDT_ON_STUDY for on-study dates, ICDT_HISTORY for history dates)."""
        pieces = []
        for form, frame in self.forms.items():
            for col in self.contract.common + self.contract.form_columns(form):
                if not (col.is_date or col.type == "timestamp"):
                    continue
                timestamp = col.type == "timestamp"
                needed = [*LINEAGE, "SUBJID", col.name, "ICDT",
                          "TRANSFER_DTM" if timestamp else "TRANSFER_DATE",
                          *([f"{col.name}__TS"] if timestamp
                            else [f"{col.name}__LO", f"{col.name}__HI"])]
                present = frame.loc[frame[col.name].notna().to_numpy(), needed]
                if not len(present):
                    continue
                lo = present[f"{col.name}__TS" if timestamp else f"{col.name}__LO"]
                hi = lo if timestamp else present[f"{col.name}__HI"]
                nat = pd.Series(pd.NaT, index=present.index, dtype="datetime64[ns]")
                pieces.append(pd.DataFrame({
                    **{c: present[c] for c in LINEAGE},
                    "SUBJID": present["SUBJID"], "FORM": form, "COLUMN": col.name,
                    "VALUE": present[col.name], "ROLE": col.date_role,
                    "LO": lo, "HI": hi,
                    "TRANSFER_BOUND": present["TRANSFER_DTM" if timestamp else "TRANSFER_DATE"],
                    "ICDT_ON_STUDY": present["ICDT"] if col.date_role == "ON_STUDY" else nat,
                    "ICDT_HISTORY": present["ICDT"] if col.date_role == "HISTORY" else nat,
                }))
        if not pieces:
            return pd.DataFrame(), pd.DataFrame()
        frame = pd.concat(pieces, ignore_index=True)
        for c in ("LO", "HI", "TRANSFER_BOUND", "ICDT_ON_STUDY", "ICDT_HISTORY"):
            frame[c] = pd.to_datetime(frame[c])
        key_cols = ["TRANSFER_ID", "SITE_FOLDER", "SUBJID", "FORM", "COLUMN", "VALUE"]
        frame["_KEY"] = frame.groupby(key_cols, dropna=False, sort=False).ngroup().values
        occurrences = frame[["_KEY", *LINEAGE]]
        distinct = frame.drop_duplicates("_KEY").reset_index(drop=True).copy()
        return distinct, occurrences

    def records_frame(self) -> pd.DataFrame:
        """One row per data row of every form: record keys for the duplicate and RECVER
        checks (not deduplicated: both are about a row's place among the others)."""
        keep = [*LINEAGE, "RECID", "RECVER", "RECVER_NUM", "PREV_RECVER"]
        pieces = [frame[keep].assign(FORM=form) for form, frame in self.forms.items()
                  if len(frame)]
        if not pieces:
            return pd.DataFrame(columns=[*keep, "FORM"])
        return pd.concat(pieces, ignore_index=True).copy()


# ---------------------------------------------------------------------------- reading
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


def read_delivery(root: Path, contract: Contract) -> Delivery:
    """Read every transfer folder under ``root`` (see the module docstring)."""
    root = Path(root)
    file_rows: list[dict] = []
    parsed_files: dict[str, tuple[dict, ParsedFile]] = {}
    manifest_sites: set = set()
    known_forms = set(contract.forms)
    transfers = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
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
        for path in sorted(tdir.rglob("*")):
            name = path.relative_to(tdir).as_posix()
            if path.is_file() and name != "manifest.csv":
                on_disk[name] = path
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
                data, error = _read_bytes(on_disk[name])
                parsed = (parse_csv_bytes(data) if data is not None
                          else ParsedFile(csv_error=error))
                row |= {
                    "ACTUAL_ROWS": None if parsed.rows is None else str(parsed.rows),
                    "ACTUAL_SHA256": parsed.sha256,
                    "UTF8_OK": parsed.utf8_ok, "BAD_UTF8_ROW": parsed.bad_utf8_row,
                    "BAD_UTF8_COLUMN": parsed.bad_utf8_column, "HAS_BOM": parsed.has_bom,
                    "CSV_ERROR": parsed.csv_error, "CSV_ERROR_ROW": parsed.csv_error_row,
                }
                if row["KNOWN_FILE"] and parsed.header is not None:
                    expected = contract.expected_header(form)
                    missing = [c for c in expected if c not in parsed.header]
                    extra = [c for c in parsed.header if c not in expected]
                    row["MISSING_COLUMNS"] = ", ".join(missing) or None
                    row["EXTRA_COLUMNS"] = ", ".join(extra) or None
                if row["KNOWN_FILE"] and parsed.usable:
                    parsed_files[row["SOURCE_FILE"]] = (row, parsed)
            file_rows.append(row)
    files = pd.DataFrame(file_rows, columns=FILE_COLUMNS).astype(object)
    files = files.where(files.notna(), None)
    forms = {form: _form_frame(form, contract, parsed_files) for form in contract.forms}
    _add_cross_file_columns(forms, contract)
    return Delivery(root=root, files=files, forms=forms, contract=contract,
                    manifest_sites={(s, t) for s, t in manifest_sites if s})


# ---------------------------------------------------------------------------- per-form frames
def _form_frame(form: str, contract: Contract, parsed: dict) -> pd.DataFrame:
    columns = contract.expected_header(form)
    data: dict[str, list] = {c: [] for c in LINEAGE + columns}
    for source_file, (row, p) in parsed.items():
        if row["FORM"] != form or not p.records:
            continue
        n = p.rows
        for key in ("TRANSFER_ID", "SITE_FOLDER", "FILE", "SOURCE_FILE"):
            data[key].extend([row[key]] * n)
        data["SOURCE_ROW"].extend(range(1, n + 1))
        index = {name: j for j, name in enumerate(p.header)}
        for c in columns:
            if c in index:
                j = index[c]
                data[c].extend([r[j] or None for r in p.records])   # empty field = missing
            else:
                data[c].extend([None] * n)
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()})
    frame["SOURCE_ROW"] = frame["SOURCE_ROW"].astype("int64")
    extra: dict[str, pd.Series] = {
        "TRANSFER_DATE": pd.to_datetime(frame["TRANSFER_ID"].str.slice(0, 8),
                                        format="%Y%m%d", errors="coerce"),
        "TRANSFER_DTM": pd.to_datetime(frame["TRANSFER_ID"], format="%Y%m%dT%H%M",
                                       errors="coerce"),
    }
    for column in contract.common + contract.form_columns(form):
        name = column.name
        if column.is_date:
            extra |= _date_helpers(frame[name], name, column.partial_allowed)
        if column.min_value is not None or column.max_value is not None:
            extra[f"{name}__NUM"] = pd.to_numeric(frame[name], errors="coerce")
    extra["MODDTC__TS"] = pd.to_datetime(frame["MODDTC"], format="%Y-%m-%dT%H:%M:%S",
                                         errors="coerce")
    extra["RECVER_NUM"] = pd.to_numeric(frame["RECVER"], errors="coerce")
    subj = frame["SUBJID"].astype("string")
    extra["SUBJID_SITE"] = subj.str.extract(r"^([0-9]{3})-[0-9]{3}$", expand=False) \
        .astype(object).where(lambda v: v.notna(), None)
    if form == "lb":
        test = frame["LBTESTCD"].fillna("")
        extra["LBRES_KEY"] = (test + ":" + frame["LBORRES"].fillna("")).where(
            frame["LBORRES"].notna(), None)
        extra["LBUNIT_KEY"] = test + ":" + frame["LBORRESU"].fillna("")
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)


def _match(series: pd.Series, pattern: str) -> pd.Series:
    return series.astype("string").str.fullmatch(pattern).fillna(False).astype(bool)


def _date_helpers(value: pd.Series, name: str, partial: bool) -> dict[str, pd.Series]:
    """<name>__ISO (text to test for calendar validity), __LO / __HI (earliest / latest day
    the date can mean; a partial date only where ``partial``)."""
    full = _match(value, r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    month = _match(value, r"[0-9]{4}-[0-9]{2}") & partial
    year = _match(value, r"[0-9]{4}") & partial
    text = value.astype("string")
    iso = pd.Series(None, index=value.index, dtype=object)
    iso[full] = text[full]
    iso[month] = text[month] + "-01"
    iso[year] = text[year] + "-01-01"
    lo = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    hi = lo.copy()
    hi[month] = lo[month] + pd.offsets.MonthEnd(0)
    hi[year] = lo[year] + pd.offsets.YearEnd(0)
    return {f"{name}__ISO": iso, f"{name}__LO": lo, f"{name}__HI": hi}


def _add_cross_file_columns(forms: dict[str, pd.DataFrame], contract: Contract) -> None:
    """IN_DM / ICDT from the same transfer's dm file; PREV_RECVER from earlier transfers."""
    dm = forms.get("dm")
    keys = ["TRANSFER_ID", "SITE_FOLDER"]
    if dm is not None and len(dm):
        consent = (dm.sort_values("RECVER_NUM", na_position="first")
                   .drop_duplicates(keys + ["SUBJID"], keep="last")
                   [keys + ["SUBJID", "ICDAT__LO"]]
                   .rename(columns={"ICDAT__LO": "ICDT"}))
        consent["IN_DM"] = True
        dm_files = dm[keys].drop_duplicates()
        dm_files["_DM_FILE"] = True
    else:
        consent = pd.DataFrame(columns=keys + ["SUBJID", "ICDT", "IN_DM"])
        dm_files = pd.DataFrame(columns=keys + ["_DM_FILE"])
    for form, frame in list(forms.items()):
        subject = frame[keys + ["SUBJID"]]
        merged = subject.merge(consent, on=keys + ["SUBJID"], how="left") \
                        .merge(dm_files, on=keys, how="left")
        in_dm = merged["IN_DM"].astype(object)
        in_dm[merged["IN_DM"].isna()] = False
        in_dm[merged["_DM_FILE"].isna()] = None       # no usable dm file: not checkable
        in_dm[merged["SUBJID"].isna()] = None         # reported by the not-null check
        # PREV_RECVER: highest RECVER of the record in the site's earlier transfers
        rec = ["SITE_FOLDER", "RECID"]
        per_transfer = (frame[rec + ["TRANSFER_ID", "RECVER_NUM"]].dropna(subset=["RECID"])
                        .groupby(rec + ["TRANSFER_ID"], sort=True)["RECVER_NUM"].max()
                        .reset_index())
        per_transfer["_CUMMAX"] = per_transfer.groupby(rec)["RECVER_NUM"].cummax()
        per_transfer["PREV_RECVER"] = per_transfer.groupby(rec)["_CUMMAX"].shift()
        prev = frame[rec + ["TRANSFER_ID"]].merge(
            per_transfer[rec + ["TRANSFER_ID", "PREV_RECVER"]],
            on=rec + ["TRANSFER_ID"], how="left")
        forms[form] = pd.concat([frame, pd.DataFrame({
            "IN_DM": in_dm.values,
            "ICDT": pd.to_datetime(merged["ICDT"]).values,
            "PREV_RECVER": prev["PREV_RECVER"].values,
        }, index=frame.index)], axis=1).copy()                 # one block per dtype
