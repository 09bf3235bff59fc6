"""Helpers shared by the pages' views: printed-figure lookup, dashes, CSV, display
frames, and the stale-results messages every page frame shows (:mod:`app.pages._ui`).

Printed numbers follow `docs/derivations.md#rounding-half-away-from-zero`
(:func:`analysis.rounding.format_value`), ``NE`` for not estimable, and
`docs/derivations.md#number-of-decimals` (months one decimal).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import polars as pl

# the lookup and the dashes live with the table layout (tlf.layout); re-exported for the views
from tlf.layout import EN_DASH as EN_DASH
from tlf.layout import MISSING as MISSING
from tlf.layout import ResultLookup as ResultLookup

#: Best overall response categories counted by each Table 3 row (AVAL order of ADRS).
RESPONSE_ROWS: dict[str, tuple[str, ...]] = {
    "CR": ("SCR", "CR"),
    "SCR": ("SCR",),
    "PR": ("VGPR", "PR"),
    "VGPR": ("VGPR",),
    "ORR": ("SCR", "CR", "VGPR", "PR"),
    "VGPR_OR_BETTER": ("SCR", "CR", "VGPR"),
    "SD": ("SD",),
    "PD": ("PD",),
}


# --------------------------------------------------------------------------- lookups
def int_or_none(x: float | None) -> int | None:
    """A stored count (a float in ``VALUE``) as an int, ``None`` when absent."""
    return None if x is None else int(round(x))


def ci_text(lo: str, hi: str) -> str:
    """``31.9–68.1`` (en dash, as the paper's text prints a CI)."""
    return f"{lo}{EN_DASH}{hi}"


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV of a display table (for ``st.download_button``)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- publication status
_STALE_COLUMNS = ("STALE", "IS_STALE", "STALEFL", "STALE_FL")


def stale_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows a results publication-status table flags as stale.

    A row is stale when a ``STALE``/``IS_STALE``/``STALEFL`` column is true/``Y``/1,
    or a ``STATUS`` / ``PUBLICATION_STATUS`` column reads ``STALE``.
    """
    upper = {c.upper(): c for c in frame.columns}
    conditions = [
        pl.col(upper[c]).cast(pl.String).str.to_uppercase().is_in(["TRUE", "Y", "YES", "1"])
        for c in _STALE_COLUMNS
        if c in upper
    ] + [
        pl.col(upper[c]).cast(pl.String).str.to_uppercase() == "STALE"
        for c in ("STATUS", "PUBLICATION_STATUS")
        if c in upper
    ]
    if not conditions:
        return frame.clear()
    return frame.filter(pl.any_horizontal(conditions).fill_null(False))


def stale_message(stale: pl.DataFrame) -> str:
    """What a reader is told about stale results (reason and when they were published)."""
    upper = {c.upper(): c for c in stale.columns}
    parts = []
    for row in stale.iter_rows(named=True):
        reason = row.get(upper.get("REASON", ""), None) or "no reason recorded"
        published = row.get(upper.get("PUBLISHED_AT", ""), None)
        parts.append(f"{reason}" + (f" (results published {published})" if published else ""))
    return "The analysis results are stale: they are not from the latest build — " + "; ".join(parts)


def running_message(status: pl.DataFrame) -> str | None:
    """What a reader is told while a build is running (``BUILD_RUNNING`` of the publication
    status): the page keeps showing the published build until the new one is published."""
    if "BUILD_RUNNING" not in status.columns or not status.height or not status["BUILD_RUNNING"][0]:
        return None
    row = status.row(0, named=True)
    return (
        f"A `dbt build` is running now: this page shows the published build "
        f"{row.get('PUBLISHED_BUILD_ID')} (published {row.get('PUBLISHED_AT')}) until the new "
        "build has passed its checks and is published."
    )


# --------------------------------------------------------------------------- display
def for_display(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates as ``YYYY-MM-DD`` text (the grid would show a midnight time) and ``""`` for null text."""
    return frame.with_columns(
        *(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date),
        *(pl.col(c).fill_null("") for c, t in frame.schema.items() if t == pl.String),
    )


def options(values: Iterable[object]) -> list[str]:
    """Sorted distinct non-null values as text (filter choices)."""
    return sorted({str(v) for v in values if v is not None})
