"""Tables 1-7 of the paper and Table 8 (the figures of its text) as RTF documents (rtflite), from the analysis-results dataset
``results.ard`` alone (docs/DESIGN.md "Tables and figures", "Tables").

The layout is :mod:`tlf.layout`, the one the page shows; this module only typesets it:
a page header with the study, the data cutoff and "Page x of y", the title, the column
header repeated on every page, the body, and the footnotes under the last page. Pages
are cut between categories (a level-0 row and its sub-rows), never inside one, so each
page is one rtflite document and the pages are joined with ``\\page``. rtflite writes no
date or time, so the same ARD gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import rtflite as rtf

from tlf.layout import (
    INDENT,
    OUTPUT_TABLE_IDS,
    TEXT_SOURCE_TABLES,
    TEXT_TABLE_ID,
    PaperTable,
    ResultLookup,
    paper_table,
)

#: Output file stems of Tables 1-8 (the TLF contract, docs/DESIGN.md "Tables and figures").
TABLE_FILES = {
    "T1": "t01_demographics",
    "T2": "t02_exposure",
    "T3": "t03_response",
    "T4": "t04_teae_overview",
    "T5": "t05_common_teae",
    "T6": "t06_grade3_teae",
    "T7": "t07_teae_clinical_importance",
    # Table 8: the published figures of the text, so each of them is read back from an output
    TEXT_TABLE_ID: "t08_text_figures",
}

#: Body lines a page holds under the header, title and column header (9 pt rows, US letter).
LINES_PER_PAGE = {"portrait": 44, "landscape": 22}
#: Tables whose page holds fewer body lines: Table 8 filled to 44 lines overflows LibreOffice's
#: letter page by one row (rendered and measured), so it keeps a margin.
LINES_PER_PAGE_OF = {TEXT_TABLE_ID: 42}
#: Characters of a label column line before it wraps (a longer label takes two lines).
LABEL_CHARS = {"portrait": 60, "landscape": 40}
#: Characters of a footnote line (the table's width at 9 pt).
NOTE_CHARS = {"portrait": 110, "landscape": 150}

#: Relative column widths: the label column, then each figure column.
_WIDTHS = {"T2": (3, 2, 2, 2, 2), "T3": (3, 2, 2), TEXT_TABLE_ID: (6, 2, 2)}
_WIDE_LABEL = 2.4  # label column against one figure column (Table 7: eight narrow columns)

#: RTF field of the total page count (rtflite's default page header uses the same).
_PAGE_X_OF_Y = "Page {\\chpgn} of {\\field{\\*\\fldinst NUMPAGES }{\\fldrslt\\fs18 1}}"


#: Page break between the pages' documents, as rtflite breaks its own pages (an empty
#: paragraph each side: a bare \\page after a table row is not a break for LibreOffice).
_PAGE_BREAK = "{\\pard\\fs2\\par}\\page{\\pard\\fs2\\par}\n"


class TableRenderError(ValueError):
    """A table cannot be rendered (unknown table, or no figures for it in the ARD)."""


def _rtf_escape(text: str) -> str:
    """Plain text for a raw RTF field (the page header is not converted by rtflite)."""
    out = []
    for ch in text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}"):
        out.append(ch if ord(ch) < 128 else f"\\u{ord(ch) if ord(ch) < 32768 else ord(ch) - 65536}?")
    return "".join(out)


def _lines(label: str, chars: int) -> int:
    """Printed lines of a body row: its label wrapped at ``chars`` characters."""
    return 1 + (len(label) - 1) // chars if label else 1


def _note_lines(notes: Sequence[str], chars: int) -> int:
    return sum(1 + (len(n) - 1) // chars for n in notes)


def pages(table: PaperTable) -> list[range]:
    """Row ranges of the pages: whole categories fill a page while they fit; the
    footnotes take their lines on the last page; a category longer than a page gets a
    page of its own (cut where the page is full)."""
    budget = LINES_PER_PAGE_OF.get(table.key, LINES_PER_PAGE[table.orientation])
    chars = LABEL_CHARS[table.orientation]
    labels = table.frame[table.frame.columns[0]].to_list()
    height = [_lines(label, chars) for label in labels]
    out: list[range] = []
    start, used = 0, 0
    for cat in table.categories():
        need = sum(height[i] for i in cat)
        if used and used + need > budget:
            out.append(range(start, cat.start))
            start, used = cat.start, 0
        if need > budget:  # a category longer than a page: cut it where each page is full
            for i in cat:
                if used + height[i] > budget:
                    out.append(range(start, i))
                    start, used = i, 0
                used += height[i]
        else:
            used += need
    notes = _note_lines(table.footnotes, NOTE_CHARS[table.orientation])
    on_last = [c for c in table.categories() if c.start >= start]
    if used + notes > budget and len(on_last) > 1:
        # the footnotes do not fit under the last page's rows: its last category goes with them
        out.append(range(start, on_last[-1].start))
        start = on_last[-1].start
    out.append(range(start, table.frame.height))
    return [p for p in out if len(p)]


def _page_document(
    table: PaperTable,
    rows: range,
    *,
    study_id: str,
    cutoff: str,
    last: bool,
) -> str:
    frame = table.frame.slice(rows.start, len(rows))
    # rtflite needs unique, non-empty column names; the printed header comes from RTFColumnHeader
    shown = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    ncol = len(frame.columns)
    widths = list(_WIDTHS.get(table.key, (_WIDE_LABEL if ncol > 3 else 3, *([1] * (ncol - 1)))))
    justify = ["l", *["c"] * (ncol - 1)]
    levels = table.levels[rows.start : rows.stop]
    # category headings bold, as the paper sets them
    formats = [
        ["b" if lvl == 0 and ncol > 1 and not any(frame.row(i)[1:]) else "", *[""] * (ncol - 1)]
        for i, lvl in enumerate(levels)
    ]
    header = [c.replace(INDENT, "") for c in table.frame.columns]
    page = rtf.RTFPage(
        orientation=table.orientation,
        nrow=10_000,  # pages are cut by pages(), never by rtflite
        col_width=9.0 if table.orientation == "landscape" else None,  # the 1-inch margins' width
        border_first="single",
        border_last="single",
        page_title="all",
        page_footnote="last",
        page_source="last",
    )
    kwargs = {}
    if last:
        kwargs["rtf_footnote"] = rtf.RTFFootnote(
            text=list(table.footnotes),
            as_table=False,
            text_convert=[[False]],  # "_" is no subscript
        )
        kwargs["rtf_source"] = rtf.RTFSource(
            text=[f"Source: results.ard (analysis results dataset), study {study_id}, data cutoff {cutoff}"],
            as_table=False,
            text_convert=[[False]],
        )
    doc = rtf.RTFDocument(
        df=shown,
        rtf_page=page,
        rtf_page_header=rtf.RTFPageHeader(
            text=[_rtf_escape(f"Study {study_id}    Data cutoff {cutoff}    ") + _PAGE_X_OF_Y],
            text_font_size=[9],
        ),
        rtf_title=rtf.RTFTitle(text=[table.title], text_font_size=[11], text_convert=[False]),
        rtf_column_header=rtf.RTFColumnHeader(
            text=header,
            col_rel_width=widths,
            text_justification=justify,
            text_format=["b", *[""] * (ncol - 1)],
            text_font_size=[8 if ncol > 5 else 9] * ncol,  # Table 7's eight headings fit their columns
        ),
        rtf_body=rtf.RTFBody(
            col_rel_width=widths,
            text_justification=[justify] * frame.height,
            text_format=formats,
            border_top=[[""] * ncol] * frame.height,
            border_bottom=[[""] * ncol] * frame.height,
            border_left=[[""] * ncol] * frame.height,
            border_right=[[""] * ncol] * frame.height,
        ),
        **kwargs,
    )
    return doc.rtf_encode()


def _join(documents: Sequence[str]) -> str:
    """One RTF document of the pages: the first page's header (fonts, colours, page setup),
    every page's body, ``\\page`` between them (as ``rtflite.assemble_rtf`` joins files)."""
    if len(documents) == 1:
        return documents[0]
    parts = []
    for i, doc in enumerate(documents):
        lines = doc.splitlines(keepends=True)
        start = 0
        if i > 0:  # skip the font table and what comes before the body (rtflite's layout)
            start = max(j for j, line in enumerate(lines) if "fcharset" in line) + 2
        end = len(lines)
        if i < len(documents) - 1 and lines[-1].strip() == "}":
            end -= 1
        parts.extend(lines[start:end])
        if i < len(documents) - 1:
            parts.append(_PAGE_BREAK)
    return "".join(parts)


def render_table(table: PaperTable, *, study_id: str, cutoff: str) -> str:
    """The RTF document of one laid-out table (see :func:`table_rtf`)."""
    cut = pages(table)
    return _join(
        [
            _page_document(table, rows, study_id=study_id, cutoff=cutoff, last=i == len(cut) - 1)
            for i, rows in enumerate(cut)
        ]
    )


def table_rtf(
    table_id: str,
    ard: pl.DataFrame,
    order: pl.DataFrame | None = None,
    known: pl.DataFrame | None = None,
    *,
    study_id: str,
) -> str:
    """One table of the paper as an RTF document, from the ARD alone.

    Parameters
    ----------
    table_id : str
        ``T1`` ... ``T7``, or ``TX`` (Table 8: the figures of the text; file stem:
        :data:`TABLE_FILES`).
    ard : polars.DataFrame
        ``results.ard`` (``RESULT_ID, TABLE_ID, ITEM, STAT_NAME, STAT, STAT_FMT, METHOD,
        DENOMINATOR, DATA_CUTOFF``, ...).
    order : polars.DataFrame, optional
        ``ORD, TABLE_ID, ITEM, STAT`` of ``ref.published_results`` (row order of Tables 5, 6).
    known : polars.DataFrame, optional
        ``ref.known_inconsistencies`` with the published figure ``PUBLISHED`` (Table 7's
        footnote of the paper's inconsistent figure).
    study_id : str
        Study identifier printed in the page header.

    Returns
    -------
    str
        The RTF text (write it with ``encoding="utf-8"``; it is ASCII).

    Raises
    ------
    TableRenderError
        Unknown ``table_id``, or the ARD holds no figure of the table.
    """
    r = ResultLookup.from_ard(ard)
    table = checked_table(table_id, ard, r, order, known)
    return render_table(table, study_id=study_id, cutoff=r.data_cutoff() or "–")


def checked_table(
    table_id: str,
    ard: pl.DataFrame,
    lookup: ResultLookup,
    order: pl.DataFrame | None = None,
    known: pl.DataFrame | None = None,
) -> PaperTable:
    """The laid-out table of :func:`table_rtf`, after its checks; ``lookup`` is
    ``ResultLookup.from_ard(ard)``, built once by a caller that renders several tables.

    Raises
    ------
    TableRenderError
        Unknown ``table_id``, an ARD without the columns the layout reads, or no figure of
        the table in the ARD.
    """
    if table_id not in OUTPUT_TABLE_IDS:
        raise TableRenderError(f"unknown table {table_id!r}: expected one of {', '.join(OUTPUT_TABLE_IDS)}")
    missing = [c for c in ("TABLE_ID", "ITEM", "STAT_NAME", "STAT", "STAT_FMT") if c not in ard.columns]
    if missing:
        raise TableRenderError(f"the ARD lacks the columns {', '.join(missing)}")
    # Table 8 prints the figures of the text: ARD tables POP, EFF, SAFETY_TEXT
    sources = TEXT_SOURCE_TABLES if table_id == TEXT_TABLE_ID else (table_id,)
    if not ard.filter(pl.col("TABLE_ID").is_in(sources)).height:
        raise TableRenderError(f"the ARD holds no figure of table {table_id}")
    return paper_table(table_id, lookup, order, known)
