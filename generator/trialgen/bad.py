"""Bad deliveries: the demo delivery with exactly one defect of spec section 5.

:func:`write_bad_delivery` renders the clean demo delivery and then damages ONE site's
file in the LATEST transfer (``recver_backwards`` compares with that site's previous
transfer). Unless the defect is about the manifest itself, the manifest row of the
damaged file is updated (ROWS, SHA256), so the delivery has exactly one defect.
The description returned (printed as JSON by the CLI) locates it: case, site,
transfer, file (relative to the transfer folder), row (1-based data row, header
excluded; null for file-level defects), column (null when none applies) and a short
fragment of the message a validator is expected to give. It is never written inside
the delivery folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from trialgen.cohort_io import DEFAULT_COHORT_DIR
from trialgen.render import render_folder

BAD_SITE = "103"


@dataclass(frozen=True)
class BadCase:
    """Where the defect is and what a validator should say about it."""

    case: str
    site: str
    transfer: str
    file: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self) | {"source_file": f"{self.transfer}/{self.file}"}


class SiteFileEditor:
    """Edit one file of a transfer line by line, leaving every other line's bytes alone."""

    def __init__(self, transfer_dir: Path, site: str, form: str):
        self.transfer_dir = transfer_dir
        self.name = f"site_{site}/{form}.csv"
        self.path = transfer_dir / self.name
        self.lines = self.path.read_bytes().split(b"\n")[:-1]  # files end with "\n"
        self.header = self._fields(0)

    def _fields(self, index: int) -> list[str]:
        return next(csv.reader([self.lines[index].decode("utf-8")]))

    @staticmethod
    def _encode(fields: list[str]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(fields)
        return buffer.getvalue().encode("utf-8")

    def row(self, k: int) -> dict[str, str]:
        """Data row ``k`` (1-based) as a dict."""
        return dict(zip(self.header, self._fields(k)))

    def rows(self) -> list[dict[str, str]]:
        return [self.row(k) for k in range(1, len(self.lines))]

    def find(self, condition: Callable[[dict[str, str]], bool]) -> int:
        """1-based number of the first data row meeting ``condition``."""
        for k in range(1, len(self.lines)):
            if condition(self.row(k)):
                return k
        raise LookupError(f"no row of {self.name} fits the bad case")

    def set(self, k: int, column: str, value: str) -> None:
        fields = self._fields(k)
        fields[self.header.index(column)] = value
        self.lines[k] = self._encode(fields)

    def insert_copy(self, k: int) -> int:
        """Insert a copy of row ``k`` right after it; return the copy's row number."""
        self.lines.insert(k + 1, self.lines[k])
        return k + 1

    def drop_column(self, column: str) -> None:
        at = self.header.index(column)
        self.lines = [
            self._encode([f for i, f in enumerate(self._fields(j)) if i != at])
            for j in range(len(self.lines))
        ]

    def add_column(self, column: str, values: dict[int, str]) -> None:
        self.lines = [
            self._encode(self._fields(j) + [column if j == 0 else values.get(j, "")])
            for j in range(len(self.lines))
        ]

    def save(self, encoding: str | None = None) -> bytes:
        data = b"\n".join(self.lines) + b"\n"
        if encoding:
            data = data.decode("utf-8").encode(encoding)
        self.path.write_bytes(data)
        return data


def manifest_rows(transfer_dir: Path) -> tuple[list[str], list[list[str]]]:
    with (transfer_dir / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    return lines[0], lines[1:]


def write_manifest_rows(transfer_dir: Path, header: list[str], rows: list[list[str]]) -> None:
    with (transfer_dir / "manifest.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])


def edit_manifest(
    transfer_dir: Path, name: str, change: Callable[[dict[str, str]], dict[str, str] | None]
) -> None:
    """Replace (or, when ``change`` returns None, remove) the manifest row of ``name``."""
    header, rows = manifest_rows(transfer_dir)
    out = []
    for row in rows:
        entry = dict(zip(header, row))
        if entry["FILE"] == name:
            entry = change(entry)
            if entry is None:
                continue
        out.append([entry[c] for c in header])
    write_manifest_rows(transfer_dir, header, out)


def refresh_manifest(transfer_dir: Path, name: str, data: bytes) -> None:
    """Make the manifest row of ``name`` agree with the file's bytes again."""
    rows = data.count(b"\n") - 1
    edit_manifest(
        transfer_dir, name, lambda e: e | {"ROWS": str(rows), "SHA256": hashlib.sha256(data).hexdigest()}
    )


@dataclass
class Delivery:
    """A rendered delivery: its root and transfer folders in time order."""

    root: Path

    @property
    def transfers(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if p.is_dir())

    @property
    def latest(self) -> Path:
        return self.transfers[-1]

    def consent(self, site: str, subjid: str) -> dt.date:
        dm = SiteFileEditor(self.latest, site, "dm")
        return dt.date.fromisoformat(dm.row(dm.find(lambda r: r["SUBJID"] == subjid))["ICDAT"])


# ------------------------------------------------------------------------------ the cases
def _value_change(
    delivery: Delivery,
    case: str,
    form: str,
    column: str,
    pick: Callable[[dict], bool],
    value: Callable[[dict], str],
    message: str,
    site: str = BAD_SITE,
) -> BadCase:
    """Enter a wrong value as a new version of one record, then fix up the manifest.

    The bad value arrives the way a real correction would (RECVER + 1, entered the day
    before the transfer), so the delivery has no defect other than the value itself.
    """
    editor = SiteFileEditor(delivery.latest, site, form)
    k = editor.find(pick)
    row = editor.row(k)
    editor.set(k, column, value(row))
    editor.set(k, "RECVER", str(int(row["RECVER"]) + 1))
    entered = dt.datetime.strptime(delivery.latest.name, "%Y%m%dT%H%M") - dt.timedelta(hours=12)
    editor.set(k, "MODDTC", entered.strftime("%Y-%m-%dT%H:%M:%S"))
    refresh_manifest(delivery.latest, editor.name, editor.save())
    return BadCase(case, site, delivery.latest.name, editor.name, k, column, message)


def missing_column(d: Delivery) -> BadCase:
    editor = SiteFileEditor(d.latest, BAD_SITE, "ae")
    editor.drop_column("AETOXGR")
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase("missing_column", BAD_SITE, d.latest.name, editor.name, None, "AETOXGR", "missing column")


def extra_column(d: Delivery) -> BadCase:
    editor = SiteFileEditor(d.latest, BAD_SITE, "ae")
    editor.add_column("AECOMMENT", {1: "外来で経過観察"})
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase("extra_column", BAD_SITE, d.latest.name, editor.name, None, "AECOMMENT", "extra column")


def file_not_in_manifest(d: Delivery) -> BadCase:
    name = f"site_{BAD_SITE}/cm.csv"
    edit_manifest(d.latest, name, lambda e: None)
    return BadCase("file_not_in_manifest", BAD_SITE, d.latest.name, name, None, None, "not in the manifest")


def hash_mismatch(d: Delivery) -> BadCase:
    """The file's line ends turned into CRLF after the manifest was made (data unchanged)."""
    editor = SiteFileEditor(d.latest, BAD_SITE, "vs")
    editor.path.write_bytes(editor.path.read_bytes().replace(b"\n", b"\r\n"))
    return BadCase("hash_mismatch", BAD_SITE, d.latest.name, editor.name, None, "SHA256", "hash disagrees")


def row_count_mismatch(d: Delivery) -> BadCase:
    name = f"site_{BAD_SITE}/ex.csv"
    edit_manifest(d.latest, name, lambda e: e | {"ROWS": str(int(e["ROWS"]) + 1)})
    return BadCase("row_count_mismatch", BAD_SITE, d.latest.name, name, None, "ROWS", "row count")


def not_utf8(d: Delivery) -> BadCase:
    """The AE file exported in Shift_JIS (cp932), as a Japanese Windows tool would."""
    editor = SiteFileEditor(d.latest, BAD_SITE, "ae")
    k = editor.find(lambda r: not r["AETERM"].isascii())
    refresh_manifest(d.latest, editor.name, editor.save(encoding="cp932"))
    return BadCase("not_utf8", BAD_SITE, d.latest.name, editor.name, k, "AETERM", "not UTF-8")


def unparseable_date(d: Delivery) -> BadCase:
    def day_first(row):
        y, m, day = row["LBDAT"].split("-")
        return f"{day}/{m}/{y}"

    return _value_change(
        d, "unparseable_date", "lb", "LBDAT", lambda r: r["VISIT"] == "C2D1", day_first, "not a valid date"
    )


def impossible_date(d: Delivery) -> BadCase:
    return _value_change(
        d,
        "impossible_date",
        "vs",
        "VSDAT",
        lambda r: r["VSDAT"] >= "2018",
        lambda r: f"{r['VSDAT'][:4]}-02-30",
        "not a valid date",
    )


def code_outside_list(d: Delivery) -> BadCase:
    return _value_change(
        d,
        "code_outside_list",
        "ae",
        "AEOUT",
        lambda r: r["AEOUT"] == "RECOVERED/RESOLVED",
        lambda r: "RESOLVED",
        "outside its list",
    )


def siteid_mismatch(d: Delivery) -> BadCase:
    return _value_change(
        d, "siteid_mismatch", "lb", "SITEID", lambda r: True, lambda r: "104", "differs from the folder"
    )


def subjid_not_in_dm(d: Delivery) -> BadCase:
    return _value_change(
        d, "subjid_not_in_dm", "ae", "SUBJID", lambda r: True, lambda r: f"{BAD_SITE}-099", "SUBJID not in dm"
    )


def duplicate_recid_recver(d: Delivery) -> BadCase:
    editor = SiteFileEditor(d.latest, BAD_SITE, "rs")
    k = editor.insert_copy(1)
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase(
        "duplicate_recid_recver",
        BAD_SITE,
        d.latest.name,
        editor.name,
        k,
        "RECID",
        "duplicate (RECID, RECVER)",
    )


def recver_backwards(d: Delivery) -> BadCase:
    """A corrected record re-exported with a lower RECVER than in the site's previous transfer."""
    for site, form, recid, recver in _corrected_records(d):
        editor = SiteFileEditor(d.latest, site, form)
        k = editor.find(lambda r: r["RECID"] == recid)  # noqa: B023 (called in this iteration)
        editor.set(k, "RECVER", str(recver - 1))
        refresh_manifest(d.latest, editor.name, editor.save())
        return BadCase("recver_backwards", site, d.latest.name, editor.name, k, "RECVER", "went backwards")
    raise LookupError("no corrected record to send backwards")


def _corrected_records(d: Delivery):
    """(site, form, RECID, RECVER >= 2) of records in a site's previous transfer."""
    sites = sorted(p.name.removeprefix("site_") for p in d.latest.glob("site_*"))
    for site in sorted(sites, key=lambda s: s != BAD_SITE):
        earlier = [t for t in d.transfers[:-1] if (t / f"site_{site}").is_dir()]
        if not earlier:
            continue
        for form in ("lb", "vs", "ae", "dm", "ecog"):
            editor = SiteFileEditor(earlier[-1], site, form)
            for row in editor.rows():
                if int(row["RECVER"]) >= 2:
                    yield site, form, row["RECID"], int(row["RECVER"])


def date_before_consent(d: Delivery) -> BadCase:
    def before(row):
        return (d.consent(BAD_SITE, row["SUBJID"]) - dt.timedelta(days=30)).isoformat()

    return _value_change(
        d,
        "date_before_consent",
        "lb",
        "LBDAT",
        lambda r: r["VISIT"] == "C3D1",
        before,
        "before informed consent",
    )


def history_date_after_consent(d: Delivery) -> BadCase:
    def after(row):
        return (d.consent(BAD_SITE, row["SUBJID"]) + dt.timedelta(days=10)).isoformat()

    return _value_change(
        d, "history_date_after_consent", "mh", "DIAGDAT", lambda r: True, after, "after informed consent"
    )


def date_after_transfer(d: Delivery) -> BadCase:
    """The site's last lab record re-entered with a date 20 days after the transfer."""
    later = (dt.datetime.strptime(d.latest.name, "%Y%m%dT%H%M").date() + dt.timedelta(days=20)).isoformat()
    editor = SiteFileEditor(d.latest, BAD_SITE, "lb")
    last = editor.row(len(editor.lines) - 1)["RECID"]
    return _value_change(
        d,
        "date_after_transfer",
        "lb",
        "LBDAT",
        lambda r: r["RECID"] == last,
        lambda r: later,
        "after the transfer date",
    )


# ---------------------------------------------------- against what was already accepted
def _previous(d: Delivery, site: str) -> Path:
    """The site's transfer before the latest one (its last accepted one in a clean delivery)."""
    earlier = [t for t in d.transfers[:-1] if (t / f"site_{site}").is_dir()]
    if not earlier or not (d.latest / f"site_{site}").is_dir():
        raise LookupError(f"site {site} has no transfer before the latest one")
    return earlier[-1]


def _recids(transfer: Path, site: str, form: str) -> set[str]:
    return {r["RECID"] for r in SiteFileEditor(transfer, site, form).rows()}


def header_only_form(d: Delivery) -> BadCase:
    """The site's ae.csv sent with its header only: every accepted AE silently gone."""
    prev = _previous(d, BAD_SITE)
    if not _recids(prev, BAD_SITE, "ae"):
        raise LookupError("no AE accepted before")
    editor = SiteFileEditor(d.latest, BAD_SITE, "ae")
    first = sorted(_recids(prev, BAD_SITE, "ae"))[0]
    editor.lines = editor.lines[:1]
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase("header_only_form", BAD_SITE, d.latest.name, editor.name, None, "RECID", f"record {first}")


def subject_removed(d: Delivery) -> BadCase:
    """One subject of the site left out of every form of the transfer."""
    prev = _previous(d, BAD_SITE)
    subjects = sorted({r["SUBJID"] for r in SiteFileEditor(prev, BAD_SITE, "dm").rows()})
    if len(subjects) < 2:
        raise LookupError("the site needs a second subject to remain")
    gone = subjects[0]
    for path in sorted((d.latest / f"site_{BAD_SITE}").glob("*.csv")):
        editor = SiteFileEditor(d.latest, BAD_SITE, path.stem)
        editor.lines = [
            line for k, line in enumerate(editor.lines) if k == 0 or editor.row(k)["SUBJID"] != gone
        ]
        refresh_manifest(d.latest, editor.name, editor.save())
    first = sorted(r["RECID"] for r in SiteFileEditor(prev, BAD_SITE, "dm").rows() if r["SUBJID"] == gone)[0]
    return BadCase(
        "subject_removed",
        BAD_SITE,
        d.latest.name,
        f"site_{BAD_SITE}/dm.csv",
        None,
        "RECID",
        f"record {first} (subject {gone}",
    )


def older_state_resent(d: Delivery) -> BadCase:
    """An older state of the site (its first transfer's files) re-sent under the new
    transfer id: the follow-up since then would roll back."""
    prev = _previous(d, BAD_SITE)
    first = next(t for t in d.transfers if (t / f"site_{BAD_SITE}").is_dir())
    if first == prev:
        raise LookupError("the site has only one earlier transfer")
    site_dir = d.latest / f"site_{BAD_SITE}"
    for path in sorted(site_dir.glob("*.csv")):
        path.unlink()
    for path in sorted((first / f"site_{BAD_SITE}").glob("*.csv")):
        data = path.read_bytes()
        (site_dir / path.name).write_bytes(data)
    header, rows = manifest_rows(d.latest)
    listed = {row[header.index("FILE")] for row in rows}
    _, old_rows = manifest_rows(first)
    rows = [r for r in rows if not r[header.index("FILE")].startswith(f"site_{BAD_SITE}/")]
    rows += [r for r in old_rows if r[header.index("FILE")].startswith(f"site_{BAD_SITE}/")]
    write_manifest_rows(d.latest, header, sorted(rows, key=lambda r: (r[0], r[2])))
    for name in sorted(listed):
        if name.startswith(f"site_{BAD_SITE}/") and not (d.latest / name).exists():
            (d.latest / name).write_bytes((prev / name).read_bytes().split(b"\n")[0] + b"\n")
            refresh_manifest(d.latest, name, (d.latest / name).read_bytes())
    for form in ("dm", "vs", "ecog", "ex", "lb", "rs", "ae", "ds", "dd", "fu", "cm", "mh", "pt", "fish"):
        lost = sorted(_recids(prev, BAD_SITE, form) - _recids(d.latest, BAD_SITE, form))
        if lost:
            return BadCase(
                "older_state_resent",
                BAD_SITE,
                d.latest.name,
                f"site_{BAD_SITE}/{form}.csv",
                None,
                "RECID",
                f"record {lost[0]}",
            )
    raise LookupError("the older state lost nothing")


def _accepted_row(d: Delivery, form: str, pick: Callable[[dict], bool]) -> tuple:
    """(editor of the latest file, row number) of a record version already accepted (the
    same RECID and RECVER in the previous transfer) that meets ``pick``."""
    prev = _previous(d, BAD_SITE)
    accepted = {(r["RECID"], r["RECVER"]) for r in SiteFileEditor(prev, BAD_SITE, form).rows()}
    editor = SiteFileEditor(d.latest, BAD_SITE, form)
    k = editor.find(lambda r: (r["RECID"], r["RECVER"]) in accepted and pick(r))
    return editor, k


def record_changed_same_recver(d: Delivery) -> BadCase:
    """An accepted AE's grade changed from 1 to 4 without a new version (RECVER kept)."""
    editor, k = _accepted_row(d, "ae", lambda r: r["AETOXGR"] == "1")
    editor.set(k, "AETOXGR", "4")
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase(
        "record_changed_same_recver",
        BAD_SITE,
        d.latest.name,
        editor.name,
        k,
        "AETOXGR",
        "changed under the same RECVER",
    )


def recid_other_subject(d: Delivery) -> BadCase:
    """An accepted AE's RECID reused for another subject of the site (a new version)."""
    subjects = sorted({r["SUBJID"] for r in SiteFileEditor(d.latest, BAD_SITE, "dm").rows()})
    if len(subjects) < 2:
        raise LookupError("the site needs two subjects")
    editor, k = _accepted_row(d, "ae", lambda r: True)
    row = editor.row(k)
    other = next(s for s in subjects if s != row["SUBJID"])
    editor.set(k, "SUBJID", other)
    editor.set(k, "RECVER", str(int(row["RECVER"]) + 1))
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase(
        "recid_other_subject", BAD_SITE, d.latest.name, editor.name, k, "SUBJID", f"belongs to {other} now"
    )


def recid_other_form(d: Delivery) -> BadCase:
    """A new cm record sent under the RECID of an accepted AE."""
    ae_recid = sorted(_recids(_previous(d, BAD_SITE), BAD_SITE, "ae"))
    editor = SiteFileEditor(d.latest, BAD_SITE, "cm")
    if not ae_recid or len(editor.lines) < 2:
        raise LookupError("the site needs an accepted AE and a cm record")
    k = editor.insert_copy(len(editor.lines) - 1)
    editor.set(k, "RECID", ae_recid[0])
    editor.set(k, "RECVER", "1")
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase("recid_other_form", BAD_SITE, d.latest.name, editor.name, k, "RECID", "is in form cm now")


# ---------------------------------------------------- files the CSV reader cannot read
def unterminated_quote(d: Delivery) -> BadCase:
    """A lab result opened with a quote that is never closed."""
    editor = SiteFileEditor(d.latest, BAD_SITE, "lb")
    k = editor.find(lambda r: r["VISIT"] == "C2D1")
    fields = editor._fields(k)
    at = editor.header.index("LBORRES")
    raw = [editor._encode([f]) for f in fields]
    raw[at] = b'"' + fields[at].encode("utf-8")
    editor.lines[k] = b",".join(raw)
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase("unterminated_quote", BAD_SITE, d.latest.name, editor.name, k, None, "not valid CSV")


def overlong_line(d: Delivery) -> BadCase:
    """A lab comment pasted into LBORRES: one line of 2.1 MB."""
    editor = SiteFileEditor(d.latest, BAD_SITE, "lb")
    k = editor.find(lambda r: r["VISIT"] == "C2D1")
    editor.set(k, "LBORRES", "x" * 2_100_000)
    refresh_manifest(d.latest, editor.name, editor.save())
    return BadCase("overlong_line", BAD_SITE, d.latest.name, editor.name, k, None, "longer than")


def manifest_line_twice(d: Delivery) -> BadCase:
    """The manifest lists the site's ae.csv twice."""
    name = f"site_{BAD_SITE}/ae.csv"
    header, rows = manifest_rows(d.latest)
    at = next(i for i, r in enumerate(rows) if r[header.index("FILE")] == name)
    rows.insert(at + 1, list(rows[at]))
    write_manifest_rows(d.latest, header, rows)
    return BadCase(
        "manifest_line_twice", BAD_SITE, d.latest.name, name, None, None, "lists this file 2 times"
    )


# ---------------------------------------------------- names and links
def site_folder_case(d: Delivery) -> BadCase:
    """The site's folder sent as SITE_<SITEID> (upper case)."""
    (d.latest / f"site_{BAD_SITE}").rename(d.latest / f"SITE_{BAD_SITE}")
    return BadCase(
        "site_folder_case",
        BAD_SITE,
        d.latest.name,
        f"SITE_{BAD_SITE}",
        None,
        None,
        f"is not named exactly site_{BAD_SITE}",
    )


def site_folder_space(d: Delivery) -> BadCase:
    """The site's folder sent as 'site_<SITEID> ' (a trailing space)."""
    (d.latest / f"site_{BAD_SITE}").rename(d.latest / f"site_{BAD_SITE} ")
    return BadCase(
        "site_folder_space",
        BAD_SITE,
        d.latest.name,
        f"site_{BAD_SITE} ",
        None,
        None,
        f"is not named exactly site_{BAD_SITE}",
    )


def symlinked_file(d: Delivery) -> BadCase:
    """The site's cm.csv is a symbolic link to a file outside the delivery (same bytes but
    one therapy renamed, so a read would show)."""
    name = f"site_{BAD_SITE}/cm.csv"
    path = d.latest / name
    outside = d.root.parent / f"outside_{d.latest.name}_site_{BAD_SITE}_cm.csv"
    outside.write_bytes(path.read_bytes().replace(b"DARATUMUMAB", b"OUTSIDE_THE_DELIVERY"))
    path.unlink()
    path.symlink_to(outside)
    return BadCase(
        "symlinked_file", BAD_SITE, d.latest.name, name, None, None, "symbolic link: refused, not followed"
    )


def symlinked_site_folder(d: Delivery) -> BadCase:
    """The site's folder is a symbolic link to a folder outside the delivery."""
    folder = d.latest / f"site_{BAD_SITE}"
    outside = d.root.parent / f"outside_{d.latest.name}_site_{BAD_SITE}"
    folder.rename(outside)
    folder.symlink_to(outside, target_is_directory=True)
    return BadCase(
        "symlinked_site_folder",
        BAD_SITE,
        d.latest.name,
        f"site_{BAD_SITE}",
        None,
        None,
        "symbolic link: refused, not followed",
    )


CASES: dict[str, Callable[[Delivery], BadCase]] = {
    "missing_column": missing_column,
    "extra_column": extra_column,
    "file_not_in_manifest": file_not_in_manifest,
    "hash_mismatch": hash_mismatch,
    "row_count_mismatch": row_count_mismatch,
    "not_utf8": not_utf8,
    "unparseable_date": unparseable_date,
    "impossible_date": impossible_date,
    "code_outside_list": code_outside_list,
    "siteid_mismatch": siteid_mismatch,
    "subjid_not_in_dm": subjid_not_in_dm,
    "duplicate_recid_recver": duplicate_recid_recver,
    "recver_backwards": recver_backwards,
    "date_before_consent": date_before_consent,
    "history_date_after_consent": history_date_after_consent,
    "date_after_transfer": date_after_transfer,
}
#: the cases a reader of the delivery contract alone sees (one file, one defect)
CONTRACT_CASES = tuple(CASES)
CASES |= {
    # against what the warehouse already accepted from the site
    "header_only_form": header_only_form,
    "subject_removed": subject_removed,
    "older_state_resent": older_state_resent,
    "record_changed_same_recver": record_changed_same_recver,
    "recid_other_subject": recid_other_subject,
    "recid_other_form": recid_other_form,
    # files the CSV reader cannot read
    "unterminated_quote": unterminated_quote,
    "overlong_line": overlong_line,
    "manifest_line_twice": manifest_line_twice,
    # names and links
    "site_folder_case": site_folder_case,
    "site_folder_space": site_folder_space,
    "symlinked_file": symlinked_file,
    "symlinked_site_folder": symlinked_site_folder,
}


def apply_bad_case(case: str, root: Path) -> BadCase:
    """Damage a rendered delivery at ``root`` with one bad case.

    Parameters
    ----------
    case : str
        A name of :data:`CASES`.
    root : Path
        A clean delivery folder (modified in place).

    Returns
    -------
    BadCase
        Where the defect is and what a validator should report.
    """
    if case not in CASES:
        raise KeyError(f"unknown bad case {case!r}; choose one of: {', '.join(CASES)}")
    return CASES[case](Delivery(Path(root)))


def write_bad_delivery(case: str, out: Path, cohort_dir: Path = DEFAULT_COHORT_DIR) -> BadCase:
    """Render the demo delivery into ``out`` and apply one bad case to it."""
    if case not in CASES:
        raise KeyError(f"unknown bad case {case!r}; choose one of: {', '.join(CASES)}")
    render_folder(cohort_dir, out)
    return apply_bad_case(case, out)
