"""Check a delivery folder against ``docs/extract-contract.md`` (the generator's self-check).

:func:`check_delivery` reads every transfer, manifest and site file and returns one
:class:`Problem` per defect, located by transfer, site, file, row (1-based data row,
header excluded) and column - the same kinds of defect that section 5 of the spec
calls a bad delivery. A clean delivery gives an empty list. The warehouse has its own
validation; this module only keeps the generator honest (tests use it on rendered
deliveries and on every bad case of :mod:`trialgen.bad`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from trialgen.forms import (
    CODE_LISTS,
    COMMON_COLUMNS,
    DATE_COLUMNS,
    DRUG_CODES,
    FORMS,
    FULL_DATE_RE,
    HISTORY_DATE_COLUMNS,
    LAB_UNITS,
    MANIFEST_COLUMNS,
    PARTIAL_DATE_RE,
    RECSTAT_CODES,
    SUBJID_RE,
    TIMESTAMP_RE,
    TRANSFER_ID_RE,
    VISIT_RE,
    file_columns,
)
from trialgen.study import STUDYID

NUMBER_TESTS = ("BMPC", "CREAT", "B2M", "ALB", "NEUT", "PLAT", "HGB", "CA")
INTEGER_COLUMNS = {("pt", "LINENO"), ("ex", "CYCLE"), ("ex", "CYDAY"), ("ae", "AESPID"), ("dm", "AGE")}
DECIMAL_COLUMNS = {
    ("vs", "VSORRES"),
    ("fish", "PCTPOS"),
    ("ex", "EXPDOSE"),
    ("ex", "EXDOSE"),
    ("lb", "LBNRLO"),
    ("lb", "LBNRHI"),
}


@dataclass(frozen=True)
class Problem:
    """One defect of a delivery."""

    transfer: str
    site: str | None
    file: str | None
    row: int | None
    column: str | None
    message: str


@dataclass
class SiteFile:
    """A parsed site file: header and data lines (lists of fields)."""

    header: list[str]
    lines: list[list[str]]

    @property
    def rows(self) -> list[dict[str, str]]:
        return [dict(zip(self.header, line)) for line in self.lines]


def parse_date(text: str, partial: bool) -> tuple[dt.date, str] | None:
    """(first day of the period, precision) of an ISO (partial) date, None when invalid."""
    pattern = PARTIAL_DATE_RE if partial else FULL_DATE_RE
    if not pattern.match(text):
        return None
    parts = [int(p) for p in text.split("-")]
    try:
        day = dt.date(*(parts + [1, 1])[:3])
    except ValueError:
        return None
    return day, ("day", "month", "year")[3 - len(parts)]


def truncate(day: dt.date, precision: str) -> tuple[int, ...]:
    """A date at the given precision, for comparisons at a partial date's own precision."""
    return {"day": (day.year, day.month, day.day), "month": (day.year, day.month), "year": (day.year,)}[
        precision
    ]


@dataclass(frozen=True)
class Unreadable:
    """Why a file cannot be parsed, and the data row where it fails (None: whole file)."""

    message: str
    row: int | None = None


def read_site_file(path: Path) -> SiteFile | Unreadable:
    """Parse a CSV file (UTF-8 without BOM, RFC 4180)."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return Unreadable("file starts with a byte-order mark")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(
            f"not UTF-8 ({exc.reason} at byte {exc.start})", data[: exc.start].count(b"\n") or None
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        lines = list(reader)
    except csv.Error as exc:
        return Unreadable(f"not RFC 4180 CSV: {exc}")
    if not lines:
        return Unreadable("empty file (no header)")
    return SiteFile(lines[0], lines[1:])


class DeliveryChecker:
    """Collects the problems of one delivery."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.problems: list[Problem] = []
        # (site, form) -> RECID -> (transfer, RECVER, RECSTAT, content) from the last transfer
        self.history: dict[tuple[str, str], dict[str, tuple]] = {}
        # (site, form) -> rows already checked in an earlier transfer (still valid later)
        self.checked: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        self.parsed: dict[Path, SiteFile | Unreadable] = {}

    def parse(self, path: Path) -> SiteFile | Unreadable:
        if path not in self.parsed:
            self.parsed[path] = read_site_file(path)
        return self.parsed[path]

    def add(self, transfer, site, file, row, column, message) -> None:
        self.problems.append(Problem(transfer, site, file, row, column, message))

    def run(self, last: int | None = None) -> list[Problem]:
        transfers = sorted(p for p in self.root.iterdir() if p.is_dir())
        for folder in transfers[-last:] if last else transfers:
            if not TRANSFER_ID_RE.match(folder.name):
                self.add(folder.name, None, None, None, None, "not a transfer folder name")
                continue
            self.check_transfer(folder)
        return self.problems

    def check_transfer(self, folder: Path) -> None:
        tid = folder.name
        moment = dt.datetime.strptime(tid, "%Y%m%dT%H%M")
        listed = self.check_manifest(folder)
        for site_dir in sorted(folder.glob("site_*")):
            site = site_dir.name.removeprefix("site_")
            files = {form: self.read(folder, site, form, listed) for form in FORMS}
            extra = {p.name for p in site_dir.iterdir()} - {f"{f}.csv" for f in FORMS}
            for name in sorted(extra):
                self.add(tid, site, f"site_{site}/{name}", None, None, "unexpected file")
            self.check_site(tid, moment, site, files)

    def check_manifest(self, folder: Path) -> dict[str, dict]:
        tid = folder.name
        path = folder / "manifest.csv"
        if not path.exists():
            self.add(tid, None, "manifest.csv", None, None, "manifest missing")
            return {}
        parsed = read_site_file(path)
        if isinstance(parsed, Unreadable) or parsed.header != list(MANIFEST_COLUMNS):
            self.add(tid, None, "manifest.csv", None, None, "manifest unreadable or bad header")
            return {}
        listed = {}
        for k, row in enumerate(parsed.rows, start=1):
            listed[row["FILE"]] = row | {"_ROW": k}
            if row["FILE"] != f"site_{row['SITEID']}/{row['FORM']}.csv":
                self.add(tid, row["SITEID"], "manifest.csv", k, "FILE", "FILE does not match SITEID/FORM")
        on_disk = {str(p.relative_to(folder)) for p in folder.glob("site_*/*")}
        for name in sorted(set(listed) - on_disk):
            self.add(tid, listed[name]["SITEID"], name, None, None, "listed in the manifest but missing")
        for name in sorted(on_disk - set(listed)):
            self.add(
                tid, name.split("/")[0].removeprefix("site_"), name, None, None, "file not in the manifest"
            )
        for name in sorted(set(listed) & on_disk):
            self.check_listed(folder, name, listed[name])
        return listed

    def check_listed(self, folder: Path, name: str, entry: dict) -> None:
        data = (folder / name).read_bytes()
        site = entry["SITEID"]
        if hashlib.sha256(data).hexdigest() != entry["SHA256"]:
            self.add(folder.name, site, name, None, "SHA256", "hash disagrees with the manifest")
        parsed = self.parse(folder / name)
        if isinstance(parsed, SiteFile) and str(len(parsed.lines)) != entry["ROWS"]:
            self.add(
                folder.name,
                site,
                name,
                None,
                "ROWS",
                f"row count {len(parsed.rows)} disagrees with the manifest ({entry['ROWS']})",
            )

    def read(self, folder: Path, site: str, form: str, listed: dict) -> SiteFile | None:
        name = f"site_{site}/{form}.csv"
        path = folder / name
        if not path.exists():
            self.add(folder.name, site, name, None, None, "form file missing")
            return None
        parsed = self.parse(path)
        if isinstance(parsed, Unreadable):
            self.add(folder.name, site, name, parsed.row, None, parsed.message)
            return None
        expected = file_columns(form)
        for column in expected:
            if column not in parsed.header:
                self.add(folder.name, site, name, None, column, "missing column")
        for column in parsed.header:
            if column not in expected:
                self.add(folder.name, site, name, None, column, "extra column")
        if name not in listed or parsed.header != expected:
            return None  # untrusted: its rows are not checked further
        return parsed

    def check_site(self, tid, moment, site, files: dict[str, SiteFile | None]) -> None:
        dm = files.get("dm")
        consent, enrolled = {}, set()
        if dm is not None:
            for row in dm.rows:
                enrolled.add(row["SUBJID"])
                parsed = parse_date(row.get("ICDAT", ""), False)
                if parsed:
                    consent[row["SUBJID"]] = parsed[0]
        for form, parsed in files.items():
            if parsed is None:
                continue
            name = f"site_{site}/{form}.csv"
            seen: set[tuple[str, str]] = set()
            checked = self.checked.setdefault((site, form), set())
            recid, recver = parsed.header.index("RECID"), parsed.header.index("RECVER")
            for k, line in enumerate(parsed.lines, start=1):
                where = (tid, site, name, k)
                key = tuple(line)
                if key in checked:  # same row passed in an earlier transfer
                    if (line[recid], line[recver]) in seen:
                        self.add(*where, "RECID", "duplicate (RECID, RECVER)")
                    seen.add((line[recid], line[recver]))
                    continue
                row = dict(zip(parsed.header, line))
                before = len(self.problems)
                self.check_common(where, row, site, form, moment, seen, enrolled if dm is not None else None)
                self.check_values(where, form, row, moment, consent.get(row.get("SUBJID")))
                if len(self.problems) == before:
                    checked.add(key)
            self.check_history(tid, site, form, parsed)

    def check_common(self, where, row, site, form, moment, seen, enrolled) -> None:
        _tid, _, _name, _k = where
        if row.get("STUDYID") != STUDYID:
            self.add(*where, "STUDYID", "STUDYID is not NCT02917941")
        if row.get("SITEID") != site:
            self.add(*where, "SITEID", f"SITEID {row.get('SITEID')} differs from the folder")
        match = SUBJID_RE.match(row.get("SUBJID") or "")
        if not match or match.group(1) != site:
            self.add(*where, "SUBJID", "SUBJID not <SITEID>-<3 digits>")
        elif enrolled is not None and row["SUBJID"] not in enrolled and form != "dm":
            self.add(*where, "SUBJID", "SUBJID not in dm")
        recver = row.get("RECVER", "")
        if not recver.isdigit() or int(recver) < 1:
            self.add(*where, "RECVER", "RECVER not an integer >= 1")
        key = (row.get("RECID", ""), recver)
        if not key[0]:
            self.add(*where, "RECID", "RECID empty")
        elif key in seen:
            self.add(*where, "RECID", "duplicate (RECID, RECVER)")
        seen.add(key)
        if row.get("RECSTAT") not in RECSTAT_CODES:
            self.add(*where, "RECSTAT", "RECSTAT outside its list")
        moddtc = row.get("MODDTC", "")
        if not TIMESTAMP_RE.match(moddtc):
            self.add(*where, "MODDTC", "MODDTC not YYYY-MM-DDTHH:MM:SS")
        elif dt.datetime.fromisoformat(moddtc) >= moment:
            self.add(*where, "MODDTC", "MODDTC not before the transfer")

    def check_values(self, where, form, row, moment, consent) -> None:
        for column in file_columns(form)[len(COMMON_COLUMNS) :]:
            value = row.get(column)
            if value in (None, ""):
                continue
            self.check_value(where, form, column, value, row, moment, consent)

    def check_value(self, where, form, column, value, row, moment, consent) -> None:
        codes = CODE_LISTS.get((form, column))
        if codes is not None and value not in codes:
            self.add(*where, column, f"code {value!r} outside its list")
        elif (form, column) in DATE_COLUMNS:
            self.check_date(where, form, column, value, moment, consent)
        elif column == "VISIT" and not VISIT_RE.match(value):
            self.add(*where, column, f"visit {value!r} not a visit code")
        elif column in ("DRUGS", "CMTRT") and any(d not in DRUG_CODES for d in value.split(";")):
            self.add(*where, column, f"drug code outside its list in {value!r}")
        elif (form, column) in INTEGER_COLUMNS and not value.isdigit():
            self.add(*where, column, f"{value!r} is not an integer")
        elif (form, column) in DECIMAL_COLUMNS and not _is_number(value):
            self.add(*where, column, f"{value!r} is not a number")
        elif (form, column) == ("ecog", "ECOG") and value not in "01234":
            self.add(*where, column, "ECOG not 0..4")
        elif (form, column) == ("ae", "AETOXGR") and value not in ("1", "2", "3", "4", "5"):
            self.add(*where, column, "AETOXGR not 1..5")
        elif form == "lb" and column in ("LBORRES", "LBORRESU"):
            self.check_lab(where, column, value, row.get("LBTESTCD"))

    def check_date(self, where, form, column, value, moment, consent) -> None:
        parsed = parse_date(value, DATE_COLUMNS[(form, column)])
        if parsed is None:
            self.add(*where, column, f"{value!r} is not a valid date")
            return
        day, precision = parsed
        if truncate(day, precision) > truncate(moment.date(), precision):
            self.add(*where, column, f"{value} is after the transfer date")
        if consent is None or (form, column) in (("dm", "ICDAT"),):
            return
        history = (form, column) in HISTORY_DATE_COLUMNS
        if history and truncate(day, precision) > truncate(consent, precision):
            self.add(*where, column, f"history date {value} after informed consent")
        if not history and truncate(day, precision) < truncate(consent, precision):
            self.add(*where, column, f"on-study date {value} before informed consent")

    def check_lab(self, where, column, value, test) -> None:
        if column == "LBORRESU":
            if test in LAB_UNITS and value != LAB_UNITS[test]:
                self.add(*where, column, f"unit {value!r} is not {LAB_UNITS[test]!r} for {test}")
            return
        ok = {
            "SPEP": value == "NOT DETECTED" or _is_number(value),
            "UPEP": value == "NOT DETECTED" or _is_number(value),
            "SIFE": value in ("POSITIVE", "NEGATIVE"),
            "UIFE": value in ("POSITIVE", "NEGATIVE"),
            "BMCLON": value in ("POSITIVE", "NEGATIVE"),
            "KAPPA": _is_number(value.removeprefix("<")),
            "LAMBDA": _is_number(value.removeprefix("<")),
        }.get(test, _is_number(value))
        if not ok:
            self.add(*where, column, f"result {value!r} not allowed for {test}")

    def check_history(self, tid, site, form, parsed: SiteFile) -> None:
        """Across transfers: no record lost, RECVER never backwards, versions immutable."""
        name = f"site_{site}/{form}.csv"
        previous = self.history.get((site, form), {})
        current = {}
        at = {c: parsed.header.index(c) for c in ("RECID", "RECVER", "RECSTAT")}
        for k, line in enumerate(parsed.lines, start=1):
            recid, recver = line[at["RECID"]], line[at["RECVER"]]
            content = tuple(line)
            current[recid] = (tid, recver, line[at["RECSTAT"]], content)
            old = previous.get(recid)
            if old is None or not recver.isdigit() or not old[1].isdigit():
                continue
            if int(recver) < int(old[1]):
                self.add(
                    tid,
                    site,
                    name,
                    k,
                    "RECVER",
                    f"RECVER went backwards from {old[1]} (transfer {old[0]}) to {recver}",
                )
            elif int(recver) == int(old[1]) and content != old[3]:
                self.add(tid, site, name, k, "RECVER", "same RECVER with different content")
        for recid in sorted(set(previous) - set(current)):
            self.add(tid, site, name, None, "RECID", f"record {recid} lost since {previous[recid][0]}")
        self.history[(site, form)] = current


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower() not in ("nan", "inf", "-inf", "infinity")


def check_delivery(root: Path, last: int | None = None) -> list[Problem]:
    """Every problem of a delivery folder (empty list: the delivery meets the spec).

    Parameters
    ----------
    root : Path
        Delivery root.
    last : int, optional
        Check only the last N transfers (history checks start from the first of them).
    """
    return DeliveryChecker(root).run(last)
