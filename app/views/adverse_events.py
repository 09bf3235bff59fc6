"""Adverse events page: the AE listing of a medical monitor (adam.adae), what is new.

Pure functions over polars frames: the filter choices and their meaning, the "showing N
of M" sentence, the listing as displayed (profile link, change marker) and its CSV.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from app.views import links

ANY = "any"
#: Minimum grade choices: label -> AETOXGR lower bound (None = every record).
GRADE_CHOICES: dict[str, int | None] = {ANY: None, "≥ 2": 2, "≥ 3": 3, "≥ 4": 4, "5 (fatal)": 5}
#: Serious: label -> AESER.
SERIOUS_CHOICES: dict[str, str | None] = {ANY: None, "serious": "Y", "not serious": "N"}
#: Related to study drug: label -> AREL.
RELATED_CHOICES: dict[str, str | None] = {ANY: None, "related": "RELATED", "not related": "NOT RELATED"}
#: The leading marker of a record new or changed since the site's previous transfer.
MARKERS = {"NEW": "● NEW", "CHANGED": "● CHANGED"}
MARKER_COLUMN = "SINCE_LAST"

#: Column labels of the listing (adae names, as a monitor reads them).
LABELS = {
    MARKER_COLUMN: "Since last transfer",
    "USUBJID": "Subject",
    "SITEID": "Site",
    "AESEQ": "AESEQ",
    "AEDECOD": "Preferred term",
    "AEBODSYS": "System organ class",
    "AETERM": "Reported term",
    "ASTDT": "Start",
    "AENDT": "End",
    "AETOXGR": "Grade",
    "AESER": "Serious",
    "AREL": "Related",
    "TRTEMFL": "TEAE",
    "AEOUT": "Outcome",
    "AEACN": "Action taken (IXA; LEN; DEX)",
}


@dataclass(frozen=True)
class AeFilters:
    """The page's filters as the data functions take them (``app.data.adverse_events``)."""

    sites: tuple[str, ...] = ()
    subject: str = ""
    min_grade: int | None = None
    serious: str | None = None
    related: str | None = None
    term: str = ""
    new_only: bool = False

    def as_kwargs(self) -> dict:
        """Keyword arguments of ``app.data.adverse_events`` / ``adverse_event_counts``."""
        return asdict(self)


def shown_sentence(shown: int, total: int, changed: int, has_changes: bool) -> str:
    """``Showing the first 1,000 of 1,402,311 matching records (sorted by subject and
    AESEQ); narrow the filters to see the others.`` or ``All 469 matching records.``, with
    how many are new or changed since the site's previous transfer."""
    if total == 0:
        head = "No adverse event matches the filters."
    elif shown < total:
        head = (
            f"Showing the first {shown:,} of {total:,} matching records (sorted by subject and AESEQ); "
            "narrow the filters to see the others."
        )
    else:
        head = f"All {total:,} matching records (sorted by subject and AESEQ)."
    if not has_changes:
        return head + " This build has no change columns (CHGTYPE): what is new cannot be marked."
    return head + f" {changed:,} of them new or changed since the site's previous transfer."


def csv_sentence(total: int, cap: int) -> str:
    """Label of the download: every matching record, or the first ``cap`` when there are more."""
    if total > cap:
        return (
            f"Download CSV (the first {cap:,} of {total:,} records, sorted; narrow the filters for the rest)"
        )
    return f"Download CSV ({total:,} records)"


def for_display(listing: pl.DataFrame) -> pl.DataFrame:
    """The listing as shown: a leading marker column (``● NEW`` / ``● CHANGED`` / empty),
    then the profile link (``links.PROFILE_COLUMN``), then the adae columns; CHGTYPE, RECID
    and RECVER dropped (the marker says it)."""
    marked = listing.with_columns(
        pl.col("CHGTYPE").replace_strict(MARKERS, default="", return_dtype=pl.String).alias(MARKER_COLUMN)
    ).drop("CHGTYPE", "RECID", "RECVER", strict=False)
    linked = links.with_profile_links(marked)
    first = [MARKER_COLUMN, links.PROFILE_COLUMN]
    return linked.select(first + [c for c in linked.columns if c not in first])


def to_csv(listing: pl.DataFrame) -> bytes:
    """The listing as CSV (UTF-8, header, the data columns incl. CHGTYPE, RECID, RECVER)."""
    return listing.write_csv().encode("utf-8")
