"""Tables page: Tables 1-7 laid out as the paper prints them, and Table 8, the figures the
paper reports in its text.

The layout itself is :mod:`tlf.layout` (shared with the RTF outputs, docs/DESIGN.md
"Tables and figures"); this module keeps the names the page and the other views use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tlf.layout import (
    _T3_ROWS,
    INDENT,
    T7_COLUMNS,
    TABLE_IDS,
    TEXT_TABLE_ID,
    PaperTable,
    _pt_items,
    paper_table,
    paper_tables,
    table1,
    table2,
    table3,
    table4,
    table5,
    table6,
    table7,
    table_text,
)

__all__ = [
    "INDENT",
    "MIME",
    "T7_COLUMNS",
    "TABLE_IDS",
    "TEXT_TABLE_ID",
    "_T3_ROWS",
    "OutputDownload",
    "PaperTable",
    "_pt_items",
    "output_download",
    "page_tables",
    "paper_table",
    "paper_tables",
    "tab_label",
    "table1",
    "table2",
    "table3",
    "table4",
    "table5",
    "table6",
    "table7",
    "table_number",
    "table_text",
]


def table_number(key: str) -> str:
    """The printed number of a table key: ``T3`` -> ``3``, ``TX`` (the figures of the text) -> ``8``."""
    return "8" if key == TEXT_TABLE_ID else key.removeprefix("T")


def tab_label(key: str) -> str:
    """The page's tab of a table: ``Table 3``, or ``Text figures`` for Table 8."""
    return "Text figures" if key == TEXT_TABLE_ID else f"Table {table_number(key)}"


def page_tables(
    lookup, order: pl.DataFrame | None = None, known: pl.DataFrame | None = None
) -> list[PaperTable]:
    """The tables of the page: Tables 1-7, then Table 8 (the figures of the text), as the
    TLF folder writes them (docs/DESIGN.md "Tables and figures").

    Parameters
    ----------
    lookup : tlf.layout.ResultLookup
        The ARD's lookup.
    order, known : polars.DataFrame, optional
        As :func:`tlf.layout.paper_tables`.

    Returns
    -------
    list of PaperTable
        Eight tables, ``T1`` ... ``T7`` and ``TX``.
    """
    return [*paper_tables(lookup, order, known), table_text(lookup, order)]


#: MIME type of each output format.
MIME = {"RTF": "application/rtf", "PDF": "application/pdf"}


@dataclass(frozen=True)
class OutputDownload:
    """One download button of the page, or the caption shown instead.

    ``data`` is the file's bytes when the file of the published build is there unchanged;
    otherwise ``None`` and ``caption`` says why.
    """

    label: str
    file_name: str
    mime: str
    data: bytes | None = None
    caption: str | None = None


def output_download(outputs: pl.DataFrame, table_id: str, fmt: str, root: Path) -> OutputDownload:
    """The RTF or PDF of a table as the published build's manifest lists it.

    Parameters
    ----------
    outputs : polars.DataFrame
        ``submission.tlf_outputs`` (``TABLE_ID, FORMAT, FILE, SHA256, NOTE``).
    table_id : str
        ``T1`` ... ``T7``, or ``TX`` (Table 8).
    fmt : str
        ``RTF`` or ``PDF``.
    root : pathlib.Path
        The TLF folder (``tlf.paths.tlf_dir``) the manifest's ``FILE`` is relative to.

    Returns
    -------
    OutputDownload
        The bytes, or a caption: the build wrote no such file (``NOTE`` says why), the
        file is missing, or it differs from the manifest's SHA-256 (a newer build rewrote
        the folder; the page offers only the files of the build on show).
    """
    number = table_number(table_id)
    label = f"Download Table {number} ({fmt})"
    rows = outputs.filter((pl.col("TABLE_ID") == table_id) & (pl.col("FORMAT") == fmt))
    if not rows.height:
        return OutputDownload(
            label, "", MIME[fmt], caption=f"Table {number} {fmt}: the published build lists no such file."
        )
    row = rows.row(0, named=True)
    if row["NOTE"] or not row["FILE"]:
        why = row["NOTE"] or "no reason recorded"
        return OutputDownload(label, "", MIME[fmt], caption=f"Table {number} {fmt} was not written: {why}.")
    file_name = Path(row["FILE"]).name
    path = (root / row["FILE"]).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return OutputDownload(
            label,
            file_name,
            MIME[fmt],
            caption=f"Table {number} {fmt}: `{row['FILE']}` is not in the TLF folder `{root}` "
            "(moved or cleaned); `dbt build` writes it again.",
        )
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != row["SHA256"]:
        return OutputDownload(
            label,
            file_name,
            MIME[fmt],
            caption=f"Table {number} {fmt}: `{row['FILE']}` in `{root}` is not the file of the build "
            "on show (its SHA-256 differs from the manifest: a newer build wrote the folder).",
        )
    return OutputDownload(label, file_name, MIME[fmt], data=data)
