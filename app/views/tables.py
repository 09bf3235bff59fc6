"""Tables 1-7 page: the results laid out as the paper prints them.

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
)

__all__ = [
    "INDENT",
    "MIME",
    "T7_COLUMNS",
    "TABLE_IDS",
    "_T3_ROWS",
    "OutputDownload",
    "PaperTable",
    "_pt_items",
    "output_download",
    "paper_table",
    "paper_tables",
    "table1",
    "table2",
    "table3",
    "table4",
    "table5",
    "table6",
    "table7",
]

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
        ``T1`` ... ``T7``.
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
    number = table_id.removeprefix("T")
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
