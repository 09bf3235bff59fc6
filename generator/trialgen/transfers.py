"""Cumulative nightly transfers: schedule, per-site snapshots, files and manifests.

A transfer at time T holds, for every site exported that night, the version of each
record that is current at T (the highest RECVER entered before T). Versions are
never dropped: a DELETED version stays in every later transfer. A site may be absent
from a transfer (see :func:`skipped_sites`); its previous transfer stays current.

File layout (``docs/extract-contract.md#1-layout-of-a-delivery``)::

    <out>/<YYYYMMDDTHHMM>/manifest.csv
    <out>/<YYYYMMDDTHHMM>/site_<SITEID>/<form>.csv

``manifest.csv`` FILE is the path relative to the transfer folder, e.g.
``site_103/ae.csv``; ROWS counts data rows (header excluded); SHA256 is the lower-case
hex digest of the file bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from trialgen.forms import FORMS, MANIFEST_COLUMNS, file_columns
from trialgen.study import DATA_CUTOFF, FIRST_ENROLMENT, STUDYID

TRANSFER_HOUR_UTC = 2
FIRST_TRANSFER_AFTER = dt.timedelta(weeks=7)  # after the first enrolment
TRANSFER_EVERY = dt.timedelta(weeks=17)  # about every four months
DB_LOCK_AFTER_CUTOFF = dt.timedelta(weeks=8)  # the final transfer (database lock)
TIMESTAMP = "%Y-%m-%dT%H:%M:%S"


def transfer_schedule(
    first_enrolment: dt.date = FIRST_ENROLMENT, cutoff: dt.date = DATA_CUTOFF
) -> list[dt.datetime]:
    """Transfer times (UTC): every 17 weeks from 7 weeks after the first enrolment while
    before the cutoff, then the database-lock transfer 8 weeks after the cutoff."""
    hour = dt.time(TRANSFER_HOUR_UTC)
    moment = dt.datetime.combine(first_enrolment + FIRST_TRANSFER_AFTER, hour)
    times = []
    while moment.date() < cutoff:
        times.append(moment)
        moment += TRANSFER_EVERY
    times.append(dt.datetime.combine(cutoff + DB_LOCK_AFTER_CUTOFF, hour))
    return times


def transfer_id(moment: dt.datetime) -> str:
    """Folder name of a transfer: ``YYYYMMDDTHHMM`` (UTC)."""
    return moment.strftime("%Y%m%dT%H%M")


def skipped_sites(schedule: list[dt.datetime], sites: list[str]) -> set[tuple[str, str]]:
    """(transfer id, SITEID) pairs of sites with no export that night.

    Every third intermediate transfer misses one site (never the first or the final
    transfer), so a site's earlier transfer has to stay current.
    """
    ordered = sorted(sites)
    skipped = set()
    for j in range(1, len(schedule) - 1):
        if j % 3 == 1 and ordered:
            skipped.add((transfer_id(schedule[j]), ordered[(7 * j) % len(ordered)]))
    return skipped


def with_validity(versions: pl.DataFrame) -> pl.DataFrame:
    """Add NEXT_MODDTC: when the next version of the same record was entered (or null)."""
    later = versions.filter(pl.col("RECVER") > 1).select(
        "RECID", (pl.col("RECVER") - 1).alias("RECVER"), pl.col("MODDTC").alias("NEXT_MODDTC")
    )
    return versions.join(later, on=["RECID", "RECVER"], how="left", maintain_order="left")


@dataclass
class SiteForm:
    """One site's versions of one form, ready to be cut into transfer snapshots.

    ``lines`` are the CSV lines (with ``\n``) of every version in file row order;
    ``entered``/``superseded`` are the entry time of each version and of the version
    that replaced it (int64 microseconds; no successor = the largest int64).
    """

    lines: list[bytes]
    entered: np.ndarray
    superseded: np.ndarray

    def current(self, moment: dt.datetime) -> list[bytes]:
        """Lines of the versions current at ``moment`` (entered before, not yet replaced)."""
        at = np.datetime64(moment, "us").astype(np.int64)
        keep = np.flatnonzero((self.entered < at) & (self.superseded >= at))
        return [self.lines[k] for k in keep]


def csv_lines(versions: pl.DataFrame, form: str) -> list[bytes]:
    """Every version as one RFC 4180 line (UTF-8, ``\n`` end), in the frame's row order.

    ``versions`` carry MODDTC_TEXT (entry time as text) and null for empty fields.
    """
    frame = versions.with_columns(
        STUDYID=pl.lit(STUDYID), RECVER=pl.col("RECVER").cast(pl.String), MODDTC=pl.col("MODDTC_TEXT")
    ).select(file_columns(form))
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, line_terminator="\n", quote_style="necessary")
    lines = buffer.getvalue().splitlines(keepends=True)
    if len(lines) != frame.height:  # a field with a line break would need real parsing
        raise ValueError(f"{form}: a value contains a line break")
    return lines


def site_forms(versions: pl.DataFrame, form: str) -> dict[str, SiteForm]:
    """Versions of one form split by site (file row order kept)."""
    valid = with_validity(versions)
    out = {}
    for (site,), part in valid.group_by("SITEID", maintain_order=True):
        entered = part["MODDTC"].cast(pl.Int64).to_numpy()
        superseded = part["NEXT_MODDTC"].cast(pl.Int64).fill_null(np.iinfo(np.int64).max)
        out[site] = SiteForm(csv_lines(part, form), entered, superseded.to_numpy())
    return out


def header_line(form: str) -> bytes:
    return (",".join(file_columns(form)) + "\n").encode("utf-8")


def write_site_transfer(
    site_data: dict[str, SiteForm | None], site: str, moment: dt.datetime, out: Path
) -> list[dict]:
    """Write one site's 14 files of one transfer; return their manifest rows."""
    folder = out / transfer_id(moment) / f"site_{site}"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for form in FORMS:
        data = site_data.get(form)
        lines = data.current(moment) if data is not None else []
        content = header_line(form) + b"".join(lines)
        (folder / f"{form}.csv").write_bytes(content)
        rows.append(
            {
                "SITEID": site,
                "FORM": form,
                "FILE": f"site_{site}/{form}.csv",
                "ROWS": len(lines),
                "SHA256": hashlib.sha256(content).hexdigest(),
            }
        )
    return rows


def write_manifest(rows: list[dict], folder: Path) -> None:
    """Write ``manifest.csv`` of a transfer, rows ordered by SITEID and form."""
    form_rank = {f: k for k, f in enumerate(FORMS)}
    ordered = sorted(rows, key=lambda r: (r["SITEID"], form_rank[r["FORM"]]))
    frame = pl.DataFrame(
        ordered,
        schema={
            "SITEID": pl.String,
            "FORM": pl.String,
            "FILE": pl.String,
            "ROWS": pl.Int64,
            "SHA256": pl.String,
        },
    )
    folder.mkdir(parents=True, exist_ok=True)
    frame.select(MANIFEST_COLUMNS).write_csv(folder / "manifest.csv", line_terminator="\n")


def write_transfers(
    versions: dict[str, pl.DataFrame], schedule: list[dt.datetime], skipped: set[tuple[str, str]], out: Path
) -> dict[str, list[dict]]:
    """Write every site's files of every transfer for one batch of sites.

    Parameters
    ----------
    versions : dict of str to polars.DataFrame
        Form -> every version (with SITEID, RECID, RECVER, RECSTAT, MODDTC) of the batch.
    schedule : list of datetime.datetime
        Transfer times.
    skipped : set of (str, str)
        (transfer id, SITEID) pairs not exported.
    out : Path
        Delivery root.

    Returns
    -------
    dict of str to list of dict
        Transfer id -> manifest rows of the files written.
    """
    by_form = {form: site_forms(frame, form) for form, frame in versions.items()}
    first_entry = versions["dm"].group_by("SITEID").agg(pl.col("MODDTC").min())
    manifests: dict[str, list[dict]] = {}
    for moment in schedule:
        tid = transfer_id(moment)
        manifests[tid] = []
        for site, entered in sorted(first_entry.iter_rows()):
            if entered >= moment or (tid, site) in skipped:
                continue
            site_data = {form: parts.get(site) for form, parts in by_form.items()}
            manifests[tid] += write_site_transfer(site_data, site, moment, out)
    return manifests


def latest_transfer_per_site(root: Path) -> dict[str, Path]:
    """SITEID -> the folder of its most recent transfer (site folders by name)."""
    latest: dict[str, Path] = {}
    for transfer in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        for site_dir in sorted(transfer.glob("site_*")):
            latest[site_dir.name.removeprefix("site_")] = site_dir
    return latest


def read_form_file(path: Path) -> pl.DataFrame:
    """A site file as text columns (empty field = null)."""
    return pl.read_csv(path, infer_schema=False)


def read_current(root: Path, form: str, *, keep_deleted: bool = False) -> pl.DataFrame:
    """Current records of a form over all sites (each site's latest transfer).

    Parameters
    ----------
    root : Path
        Delivery root.
    form : str
        Form name.
    keep_deleted : bool
        Keep records whose current version is DELETED.
    """
    frames = [
        read_form_file(site_dir / f"{form}.csv") for site_dir in latest_transfer_per_site(root).values()
    ]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema={c: pl.String for c in file_columns(form)})
    return frame if keep_deleted else frame.filter(pl.col("RECSTAT") == "ACTIVE")
