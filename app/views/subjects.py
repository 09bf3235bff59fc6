"""Subjects-behind-a-number page: the table cells whose subjects and source records are listed."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.views.common import RESPONSE_ROWS, ResultLookup
from app.views.tables import _T3_ROWS, _pt_items


@dataclass(frozen=True)
class TraceCell:
    """A table cell whose subjects and source records can be listed."""

    label: str
    kind: str  # "bor", "teae" or "tte_event"
    result_key: tuple[str, str, str]  # (TABLE_ID, ITEM, STAT) of the figure
    categories: tuple[str, ...] = ()  # kind "bor": BOR values counted
    term: str | None = None  # kind "teae": preferred term
    min_grade: int = 0  # kind "teae": grade >= this
    paramcd: str | None = None  # kind "tte_event"

    @property
    def description(self) -> str:
        """How the subjects of the cell are found (shown under the figures)."""
        if self.kind == "bor":
            return (
                "Best overall response (adam.adrs BOR) in "
                + ", ".join(self.categories)
                + " among response-evaluable subjects; the trace follows SRCDOM/SRCSEQ down to the "
                "assessment and its raw record."
            )
        if self.kind == "teae":
            grade = f" with grade ≥ {self.min_grade}" if self.min_grade else ""
            return f"Treatment-emergent adam.adae records of {self.term}{grade} in the safety set."
        return (
            f"adam.adtte {self.paramcd} events (CNSR = 0) in the FAS; the trace follows SRCDOM/SRCSEQ "
            "to the confirmed progression or the death record."
        )


_T3_LABELS = {item: text for _, text, item in _T3_ROWS}


def trace_cells(results: pl.DataFrame, order: pl.DataFrame | None = None) -> list[TraceCell]:
    """Cells offered on the "Subjects behind a number" page.

    Table 3 rows (best overall response), Table 5 and Table 6 preferred terms (TEAEs;
    grade >= 3 for Table 6), PFS events and OS deaths; the figure of each is looked up
    in ``results.analysis_results`` with ``result_key``.
    """
    r = ResultLookup(results)
    cells = [
        TraceCell(f"Table 3 · {_T3_LABELS[item]}", "bor", ("T3", item, "n"), categories=cats)
        for item, cats in RESPONSE_ROWS.items()
    ]
    cells.sort(key=lambda c: c.result_key[1] != "VGPR_OR_BETTER")  # the primary endpoint first
    cells.append(
        TraceCell(
            "Efficacy · PFS events (confirmed PD or death)",
            "tte_event",
            ("EFF", "PFS", "events"),
            paramcd="PFS",
        )
    )
    cells.append(TraceCell("Efficacy · OS deaths", "tte_event", ("EFF", "OS", "deaths"), paramcd="OS"))
    for item in _pt_items(r, "T5", order):
        cells.append(
            TraceCell(
                f"Table 5 · {item.removeprefix('PT=')}",
                "teae",
                ("T5", item, "n"),
                term=item.removeprefix("PT="),
            )
        )
    for item in _pt_items(r, "T6", order):
        cells.append(
            TraceCell(
                f"Table 6 · {item.removeprefix('PT=')} (grade ≥ 3)",
                "teae",
                ("T6", item, "n"),
                term=item.removeprefix("PT="),
                min_grade=3,
            )
        )
    return cells


def figure_of(results: pl.DataFrame, key: tuple[str, str, str]) -> str:
    """Printed figure of a result key (``–`` when absent)."""
    return ResultLookup(results).text(*key)


def unique_sources(trace: pl.DataFrame) -> tuple[list[str], list[int]]:
    """Distinct ``(SOURCE_FILE, SOURCE_ROW)`` pairs of a trace (for the audit-trail lookup)."""
    pairs = (
        trace.filter(pl.col("SOURCE_FILE").is_not_null() & pl.col("SOURCE_ROW").is_not_null())
        .select("SOURCE_FILE", "SOURCE_ROW")
        .unique()
        .sort("SOURCE_FILE", "SOURCE_ROW")
    )
    return pairs["SOURCE_FILE"].to_list(), [int(x) for x in pairs["SOURCE_ROW"].to_list()]


#: Subjects drawn in the page's listing: at 100,000 subjects a cell holds tens of thousands,
#: which cost the browser seconds (18 MB sent per session); the CSV downloads hold them all.
SHOWN_SUBJECTS = 1_000


def shown_subjects(people: pl.DataFrame, trace: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The first :data:`SHOWN_SUBJECTS` subjects of ``people`` (it is in USUBJID order) and the
    trace rows of those subjects (the source records are looked up for these only)."""
    shown = people.head(SHOWN_SUBJECTS)
    if shown.height == people.height:
        return people, trace
    return shown, trace.filter(pl.col("USUBJID").is_in(shown["USUBJID"].implode()))


def shown_caption(shown: int, total: int) -> str | None:
    """None when every subject is shown, else what is and where the rest are."""
    if shown >= total:
        return None
    return (
        f"Showing the first {shown:,} of {total:,} subjects (by USUBJID), their source records "
        "and raw records; the CSV downloads hold every subject and every source record."
    )
