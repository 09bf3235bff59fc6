"""The TLF folder of a build: Tables 1-8 and Figure 1 as RTF and PDF and one combined PDF.

`write_tlf` writes ``t01_demographics.rtf`` ... ``t07_teae_clinical_importance.rtf`` and
``t08_text_figures.rtf`` (the figures the paper reports in its text; the tables of
`tlf.rtf_tables.table_rtf`, one per `tlf.rtf_tables.TABLE_FILES` entry), ``f01_pfs_km.rtf`` (`tlf.figure.figure_rtf`), a PDF of
each through LibreOffice and ``tlf_all.pdf`` (contents page, then every output; `tlf.pdf`), all
from the ARD (``results.ard``) alone. Atomic as the submission folder (submission.atomic)
(submission.export.export_submission): everything is written into a temporary sibling folder,
then renamed into place, so the folder holds one complete set of one build or the previous one.
Without LibreOffice the RTFs are still written and the PDF rows of the manifest say why there is
no PDF. docs/DESIGN.md "Tables and figures".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from submission import atomic
from tlf.figure import FIGURE_TITLE, page_header_text
from tlf.pdf import SOFFICE_MISSING, PdfError, combine, page_count, rtf_to_pdf, soffice_available

__all__ = ["COMBINED_PDF", "FIGURE_FILE", "MANIFEST_SCHEMA", "TlfError", "paper_order", "write_tlf"]

FIGURE_FILE = "f01_pfs_km"
COMBINED_PDF = "tlf_all.pdf"
COMBINED_TITLE = "Tables 1\u20138 and Figure 1"
MANIFEST_SCHEMA = {
    "OUTPUT_ID": pl.String,
    "TABLE_ID": pl.String,
    "TITLE": pl.String,
    "FILE": pl.String,
    "FORMAT": pl.String,
    "PAGES": pl.Int64,
    "BYTES": pl.Int64,
    "SHA256": pl.String,
    "NOTE": pl.String,
}


class TlfError(RuntimeError):
    """The TLF folder was not written (the previous one is unchanged); the message says why."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def paper_order(published: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``order`` and ``known`` inputs of the tables from the two seeds.

    Parameters
    ----------
    published : polars.DataFrame
        ``ref.published_results`` (``table, item, stat, value``) in its stored order.
    known : polars.DataFrame
        ``ref.known_inconsistencies`` (``TABLE_ID, ITEM, STAT, EXPLANATION``).

    Returns
    -------
    tuple of polars.DataFrame
        ``ORD, TABLE_ID, ITEM, STAT`` (the seed's row order is the paper's, as
        app.data.published_order reads it) and the known inconsistencies with the published
        figure ``PUBLISHED``.
    """
    keys = published.select(
        pl.col("table").alias("TABLE_ID"), pl.col("item").alias("ITEM"), pl.col("stat").alias("STAT")
    )
    order = keys.with_row_index("ORD").with_columns(pl.col("ORD").cast(pl.Int64))
    figures = keys.with_columns(published["value"].cast(pl.String).alias("PUBLISHED"))
    return order, known.join(figures, on=["TABLE_ID", "ITEM", "STAT"], how="left")


def _outputs(ard, order, known, study_id: str) -> list[dict]:
    """(OUTPUT_ID, TABLE_ID, TITLE, RTF text) of every output, in the paper's order."""
    from tlf.figure import FigureError, figure_rtf
    from tlf.layout import ResultLookup
    from tlf.rtf_tables import TABLE_FILES, TableRenderError, checked_table, render_table

    # one lookup and one layout per table: its title and its RTF come from the same PaperTable
    lookup = ResultLookup.from_ard(ard)
    cutoff = lookup.data_cutoff() or "–"
    outputs = []
    try:
        for table_id, stem in TABLE_FILES.items():
            table = checked_table(table_id, ard, lookup, order, known)
            outputs.append(
                {
                    "OUTPUT_ID": stem,
                    "TABLE_ID": table_id,
                    "TITLE": table.title,
                    "RTF": render_table(table, study_id=study_id, cutoff=cutoff),
                }
            )
        figure = figure_rtf(ard, study_id=study_id)
    except (TableRenderError, FigureError) as error:
        raise TlfError(f"TLF folder not written: {error}") from None
    outputs.append({"OUTPUT_ID": FIGURE_FILE, "TABLE_ID": "F1", "TITLE": FIGURE_TITLE, "RTF": figure})
    return outputs


def _row(folder: Path, output_id, table_id, title, name, fmt, note=None, pages=None) -> dict:
    path = folder / name if name else None
    written = path is not None and path.is_file()
    return {
        "OUTPUT_ID": output_id,
        "TABLE_ID": table_id,
        "TITLE": title,
        "FILE": name if written else None,
        "FORMAT": fmt,
        "PAGES": pages if written else None,
        "BYTES": path.stat().st_size if written else None,
        "SHA256": _sha256(path) if written else None,
        "NOTE": note,
    }


def write_tlf(
    ard: pl.DataFrame,
    *,
    order: pl.DataFrame | None,
    known: pl.DataFrame | None,
    study_id: str,
    data_cutoff: dt.date | str,
    root: str | os.PathLike[str] | None = None,
    outputs: list[Mapping] | None = None,
) -> pl.DataFrame:
    """Write the TLF folder atomically and return its manifest.

    Parameters
    ----------
    ard : polars.DataFrame
        ``results.ard``: every number printed comes from its rows.
    order : polars.DataFrame or None
        ``published_results`` (row order of Tables 5 and 6).
    known : polars.DataFrame or None
        ``known_inconsistencies`` (Table 7's notes).
    study_id : str
        Study identifier of the page headers.
    data_cutoff : datetime.date or str
        The build's data cutoff: page headers and PDF dates.
    root : path-like, optional
        The folder; default `tlf.paths.tlf_dir` (CTWH_TLF_DIR, default build/tlf).
    outputs : list of mapping, optional
        The outputs to write (OUTPUT_ID, TABLE_ID, TITLE, RTF); default Tables 1-8
        (`tlf.rtf_tables`) and Figure 1 (`tlf.figure`). For tests of the folder mechanics.

    Returns
    -------
    polars.DataFrame
        One row per file: OUTPUT_ID, TABLE_ID (null for tlf_all), TITLE, FILE (relative to the
        folder; null when not written), FORMAT ('RTF' or 'PDF'), PAGES, BYTES, SHA256, NOTE
        (null, or why the file was not written).

    Raises
    ------
    TlfError
        An output could not be rendered or converted (LibreOffice failing on a file, named);
        the previous folder is unchanged. A missing LibreOffice is not an error (NOTE).
    """
    from tlf.paths import tlf_dir

    target = Path(root) if root is not None else tlf_dir()
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.recover(target)
    items = list(outputs) if outputs is not None else _outputs(ard, order, known, study_id)
    staging = atomic.staging_folder(target)
    try:
        rtfs = []
        for item in items:
            path = staging / f"{item['OUTPUT_ID']}.rtf"
            # newline="" : the RTF text's own line ends, on every platform
            with path.open("w", encoding="utf-8", newline="") as fh:
                fh.write(item["RTF"])
            rtfs.append(path)
        titles = [item["TITLE"] for item in items]
        note = None
        if soffice_available():
            try:
                pdfs = rtf_to_pdf(rtfs, staging, data_cutoff=data_cutoff, titles=titles)
                combine(
                    pdfs,
                    titles,
                    staging / COMBINED_PDF,
                    data_cutoff=data_cutoff,
                    header=page_header_text(study_id, str(data_cutoff)[:10]),
                    title=COMBINED_TITLE,
                )
            except PdfError as error:
                raise TlfError(f"TLF folder not written: {error}") from None
        else:
            note = f"not written: {SOFFICE_MISSING}"
        rows = []
        for item, rtf in zip(items, rtfs, strict=True):
            rows.append(_row(staging, item["OUTPUT_ID"], item["TABLE_ID"], item["TITLE"], rtf.name, "RTF"))
        for item in items:
            name = f"{item['OUTPUT_ID']}.pdf"
            pages = page_count(staging / name) if note is None else None
            rows.append(
                _row(staging, item["OUTPUT_ID"], item["TABLE_ID"], item["TITLE"], name, "PDF", note, pages)
            )
        pages = page_count(staging / COMBINED_PDF) if note is None else None
        rows.append(_row(staging, "tlf_all", None, COMBINED_TITLE, COMBINED_PDF, "PDF", note, pages))
        manifest = pl.DataFrame(rows, schema=MANIFEST_SCHEMA)
        atomic.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest
