"""PDFs of the RTF outputs through LibreOffice, with reproducible metadata, and the combined PDF.

`rtf_to_pdf` converts RTF files with Debian LibreOffice (``soffice --headless --convert-to
pdf``, one call for all files, a private throwaway profile) and normalises each PDF with pypdf.
LibreOffice writes per conversion an Info dictionary with /Creator (Writer), /Producer
(LibreOffice <version>) and /CreationDate (the clock) and a random trailer /ID; everything else
in its PDF follows from the input (fonts are subset with fixed tags). `normalise_pdf` rewrites
the Info dictionary to /Title, /Creator, /Producer (kept: they name the toolchain, fixed for one
machine) and /CreationDate = /ModDate = the data cutoff, drops an XMP /Metadata stream if one
is present, and sets /ID to the first 16 bytes of the SHA-256 of the file written without one:
identical RTF inputs give identical PDF bytes. `combine` writes one PDF of all outputs with a
contents page first (an rtflite table through LibreOffice) and one bookmark per output.
docs/DESIGN.md "Tables and figures".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "SOFFICE_MISSING",
    "PdfError",
    "combine",
    "normalise_pdf",
    "page_count",
    "rtf_to_pdf",
    "soffice_available",
    "soffice_path",
]

SOFFICE_MISSING = "LibreOffice (soffice) not found; apt-get install libreoffice-writer-nogui"
"""Why no PDF was written when LibreOffice is not installed (the manifest's NOTE)."""
CONVERT_TIMEOUT_S = 300
"""Seconds one soffice call may take (eight outputs take about 10 s)."""


class PdfError(RuntimeError):
    """A PDF was not produced or not readable; the message names the file."""


def soffice_path() -> str | None:
    """The LibreOffice executable on PATH (``soffice``, else ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_available() -> bool:
    """True when LibreOffice can be called to write PDFs."""
    return soffice_path() is not None


def _pdf_date(cutoff: dt.date | str) -> str:
    day = cutoff if isinstance(cutoff, dt.date) else dt.date.fromisoformat(str(cutoff)[:10])
    return f"D:{day:%Y%m%d}000000Z"


def page_count(path: str | os.PathLike[str]) -> int:
    """Number of pages of a PDF file."""
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def normalise_pdf(
    path: str | os.PathLike[str], *, data_cutoff: dt.date | str, title: str | None = None
) -> None:
    """Rewrite the PDF at ``path`` with reproducible metadata (in place).

    Parameters
    ----------
    path : path-like
        A PDF written by LibreOffice (or `combine`).
    data_cutoff : datetime.date or str
        /CreationDate and /ModDate (midnight UTC of that day).
    title : str, optional
        /Title of the document.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject

    path = Path(path)
    reader = PdfReader(path)
    writer = PdfWriter(clone_from=reader)
    info = reader.metadata or {}
    stamp = _pdf_date(data_cutoff)
    metadata = {
        "/CreationDate": stamp,
        "/ModDate": stamp,
        "/Creator": str(info.get("/Creator") or "Writer"),
        "/Producer": str(info.get("/Producer") or "LibreOffice"),
    }
    if title:
        metadata["/Title"] = title
    writer._info = None  # start from an empty Info dictionary: only the keys above remain
    writer.add_metadata(metadata)
    # an XMP packet would carry the clock again (LibreOffice writes one for PDF/A only)
    writer.root_object.pop(NameObject("/Metadata"), None)
    writer._ID = None
    draft = io.BytesIO()
    writer.write(draft)
    digest = ByteStringObject(hashlib.sha256(draft.getvalue()).digest()[:16])
    # /ID from the content: identical inputs, identical identifier (pypdf's own is random)
    writer._ID = ArrayObject([digest, digest])
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())


def rtf_to_pdf(
    rtf_paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    data_cutoff: dt.date | str,
    titles: Sequence[str] | None = None,
    timeout: float = CONVERT_TIMEOUT_S,
) -> list[Path]:
    """Convert RTF files to PDF with LibreOffice in one call and normalise their metadata.

    Parameters
    ----------
    rtf_paths : sequence of path-like
        RTF files; each gives ``<out_dir>/<stem>.pdf``.
    out_dir : path-like
        Folder of the PDFs (created if missing).
    data_cutoff : datetime.date or str
        Date of every PDF (`normalise_pdf`).
    titles : sequence of str, optional
        /Title of each PDF, in the order of ``rtf_paths``.
    timeout : float
        Seconds the soffice call may take.

    Returns
    -------
    list of pathlib.Path
        The PDFs, in the order of ``rtf_paths``.

    Raises
    ------
    PdfError
        LibreOffice is missing, failed, timed out, or did not write the PDF of a file (named).
    """
    rtf_paths = [Path(p).resolve() for p in rtf_paths]
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    soffice = soffice_path()
    if soffice is None:
        raise PdfError(f"no PDF written: {SOFFICE_MISSING}")
    if not rtf_paths:
        return []
    with tempfile.TemporaryDirectory(prefix="ctwh-soffice-") as profile:
        # a private profile: no clash with a LibreOffice already running, nothing left behind
        command = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(out_dir),
            *map(str, rtf_paths),
        ]
        env = dict(os.environ, HOME=profile)
        try:
            proc = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfError(
                f"LibreOffice did not finish converting {len(rtf_paths)} RTF file(s) within {timeout:g} s"
            ) from None
    pdfs = []
    for index, rtf_path in enumerate(rtf_paths):
        pdf = out_dir / f"{rtf_path.stem}.pdf"
        if not pdf.is_file() or pdf.stat().st_size == 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [
                f"exit status {proc.returncode}"
            ]
            raise PdfError(f"LibreOffice wrote no PDF for {rtf_path.name} ({detail[0]})")
        normalise_pdf(pdf, data_cutoff=data_cutoff, title=titles[index] if titles else None)
        pdfs.append(pdf)
    return pdfs


def _contents_rtf(entries: list[tuple[str, int]], *, header: str) -> str:
    import polars as pl
    import rtflite as rtf

    frame = pl.DataFrame(
        {"Output": [title for title, _ in entries], "Page": [str(page) for _, page in entries]}
    )
    doc = rtf.RTFDocument(
        df=frame,
        rtf_page=rtf.RTFPage(orientation="landscape"),
        rtf_page_header=rtf.RTFPageHeader(text=header, text_font_size=9),
        rtf_title=rtf.RTFTitle(text=["Contents"]),
        rtf_column_header=rtf.RTFColumnHeader(text=["Output", "Page"], col_rel_width=[9, 1]),
        rtf_body=rtf.RTFBody(col_rel_width=[9, 1], text_justification=[["l", "r"]]),
    )
    return doc.rtf_encode()


def combine(
    pdfs: Sequence[str | os.PathLike[str]],
    titles: Sequence[str],
    out: str | os.PathLike[str],
    *,
    data_cutoff: dt.date | str,
    header: str,
    title: str = "Tables and figures",
    timeout: float = CONVERT_TIMEOUT_S,
) -> list[int]:
    """Write one PDF of all outputs: a contents page first, then each output, one bookmark each.

    Parameters
    ----------
    pdfs : sequence of path-like
        The outputs' PDFs, in order.
    titles : sequence of str
        Each output's title (contents line and bookmark).
    out : path-like
        The combined PDF.
    data_cutoff : datetime.date or str
        Date of the combined PDF (`normalise_pdf`).
    header : str
        RTF page header text of the contents page (study, cutoff, 'Page x of y').
    title : str
        /Title of the combined PDF.
    timeout : float
        Seconds the soffice call of the contents page may take.

    Returns
    -------
    list of int
        The 1-based page of the combined PDF where each output starts (as the contents list them).

    Raises
    ------
    PdfError
        LibreOffice is missing or did not write the contents page.
    """
    from pypdf import PdfReader, PdfWriter

    if len(pdfs) != len(titles):
        raise ValueError(f"{len(pdfs)} PDFs but {len(titles)} titles")
    counts = [page_count(p) for p in pdfs]
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="ctwh-contents-") as tmp:
        # the contents page's own length does not depend on the page numbers it prints: render
        # once with placeholders to learn it, then with the real numbers
        rtf_path = Path(tmp) / "contents.rtf"
        rtf_path.write_text(_contents_rtf([(t, 0) for t in titles], header=header), encoding="utf-8")
        (contents,) = rtf_to_pdf([rtf_path], Path(tmp) / "draft", data_cutoff=data_cutoff, timeout=timeout)
        lead = page_count(contents)
        starts = []
        page = lead + 1
        for count in counts:
            starts.append(page)
            page += count
        rtf_path.write_text(
            _contents_rtf(list(zip(titles, starts, strict=True)), header=header), encoding="utf-8"
        )
        (contents,) = rtf_to_pdf([rtf_path], Path(tmp), data_cutoff=data_cutoff, timeout=timeout)
        if page_count(contents) != lead:
            raise PdfError("the contents page changed length with its page numbers")
        writer = PdfWriter()
        writer.append(PdfReader(contents))
        for pdf, name, start in zip(pdfs, titles, starts, strict=True):
            writer.append(PdfReader(pdf), import_outline=False)
            writer.add_outline_item(title=name, page_number=start - 1)
        buffer = io.BytesIO()
        writer.write(buffer)
    out.write_bytes(buffer.getvalue())
    normalise_pdf(out, data_cutoff=data_cutoff, title=title)
    return starts
