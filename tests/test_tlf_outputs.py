"""The TLF folder of the nightly build (tlf.outputs, tlf.figure, tlf.pdf): Tables 1-7 and
Figure 1 as RTF and PDF and the combined PDF, read back against results.ard of the same build.

Every expected number is an ARD row of the real demo build (STAT_FMT: the value as printed);
the PDFs are read with poppler's pdftotext, the way a reader's viewer extracts them.
docs/DESIGN.md "Tables and figures".
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import tlf_root

from tlf.figure import FIGURE_TITLE, figure_png
from tlf.outputs import COMBINED_PDF, paper_order, write_tlf
from tlf.pdf import SOFFICE_MISSING, soffice_available

STUDY = "NCT02917941"
DATA_CUTOFF = "2019-10-18"
STEMS = {
    "T1": "t01_demographics",
    "T2": "t02_exposure",
    "T3": "t03_response",
    "T4": "t04_teae_overview",
    "T5": "t05_common_teae",
    "T6": "t06_grade3_teae",
    "T7": "t07_teae_clinical_importance",
    "TX": "t08_text_figures",  # Table 8: the figures the paper reports in its text
    "F1": "f01_pfs_km",
}

pytestmark = pytest.mark.skipif(
    not (soffice_available() and shutil.which("pdftotext")),
    reason="needs LibreOffice and poppler-utils (scripts/install_system_deps.sh)",
)


@pytest.fixture(scope="module")
def tlf(demo_warehouse):
    """The published build's ARD, seeds, TLF manifest and the folder the build wrote."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        ard = con.sql("select * from results.ard").pl()
        manifest = con.sql("select * from submission.tlf_outputs").pl()
        published = con.sql("select * from ref.published_results").pl()
        known = con.sql("select * from ref.known_inconsistencies").pl()
    order, known = paper_order(published, known)
    return {
        "root": tlf_root(demo_warehouse.parent / "dbt"),
        "ard": ard,
        "manifest": manifest,
        "order": order,
        "known": known,
    }


def pdf_text(path: Path, page: int | None = None) -> str:
    """pdftotext of a PDF (or one 1-based page), whitespace runs as one space."""
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    out = subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", out)


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def fmt(ard: pl.DataFrame, table: str, item: str, stat: str) -> str:
    hit = ard.filter((pl.col("TABLE_ID") == table) & (pl.col("ITEM") == item) & (pl.col("STAT_NAME") == stat))
    assert hit.height == 1, (table, item, stat)
    return hit["STAT_FMT"][0]


def sha256s(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --- the folder and its manifest ------------------------------------------------------------


def test_folder_holds_nine_rtfs_nine_pdfs_and_the_combined_pdf_as_the_manifest_says(tlf):
    manifest, root = tlf["manifest"], tlf["root"]
    expected = {f"{s}.rtf" for s in STEMS.values()} | {f"{s}.pdf" for s in STEMS.values()} | {COMBINED_PDF}
    assert {p.name for p in root.iterdir()} == expected
    assert set(manifest["FILE"].to_list()) == expected
    assert manifest["NOTE"].null_count() == manifest.height  # nothing left out
    for row in manifest.iter_rows(named=True):
        data = (root / row["FILE"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["SHA256"], row["FILE"]
        assert len(data) == row["BYTES"]
        if row["FORMAT"] == "PDF":
            assert pages(root / row["FILE"]) == row["PAGES"]
    by_stem = {r["OUTPUT_ID"]: r["TABLE_ID"] for r in manifest.iter_rows(named=True)}
    assert by_stem == {**{s: t for t, s in STEMS.items()}, "tlf_all": None}


def test_every_page_has_the_study_cutoff_and_page_x_of_y_header(tlf):
    for stem in STEMS.values():
        path = tlf["root"] / f"{stem}.pdf"
        total = pages(path)
        for page in range(1, total + 1):
            text = pdf_text(path, page)
            assert f"Study {STUDY}" in text, (stem, page)
            assert f"Data cutoff {DATA_CUTOFF}" in text, (stem, page)
            assert f"Page {page} of {total}" in text, (stem, page)


# --- Figure 1 ---------------------------------------------------------------------------------


def test_figure_pdf_prints_every_number_at_risk_and_the_median_as_the_ard(tlf):
    ard = tlf["ard"]
    text = pdf_text(tlf["root"] / "f01_pfs_km.pdf")
    assert FIGURE_TITLE in text
    at_risk = ard.filter((pl.col("TABLE_ID") == "F1") & pl.col("ITEM").str.starts_with("PFS|MONTH="))
    at_risk = at_risk.filter(pl.col("STAT_NAME") == "n_risk")
    months = sorted((float(i.split("=")[1]), f) for i, f in at_risk.select("ITEM", "STAT_FMT").iter_rows())
    assert len(months) >= 10  # 0, 3, ..., 30 months of the demo's follow-up
    assert months[0] == (0.0, fmt(ard, "POP", "FAS", "n"))  # everyone is at risk at 0 (34)
    line = ", ".join(f"{m:g}: {n}" for m, n in months)
    assert f"months: {line}." in text
    median = fmt(ard, "EFF", "PFS", "median_months")
    lo, hi = fmt(ard, "EFF", "PFS", "ci_lo"), fmt(ard, "EFF", "PFS", "ci_hi")
    events, n = fmt(ard, "EFF", "PFS", "events"), fmt(ard, "POP", "FAS", "n")
    assert f"Median PFS {median} months, 95% CI {lo}\u2013{hi}" in text
    assert f"events {events} of {n}" in text
    assert f"N = {n}" in text


def test_figure_png_is_deterministic_and_moves_with_the_ard(tlf):
    ard = tlf["ard"]
    png = figure_png(ard)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == figure_png(ard)
    assert b"Software" not in png  # no matplotlib version in the file
    # one number at risk changed: the picture changes (it is drawn from the rows, not kept)
    changed = ard.with_columns(
        pl.when((pl.col("ITEM") == "PFS|MONTH=3") & (pl.col("STAT_NAME") == "n_risk"))
        .then(pl.lit("99"))
        .otherwise(pl.col("STAT_FMT"))
        .alias("STAT_FMT")
    )
    assert figure_png(changed) != png


# --- Tables 1-7 -------------------------------------------------------------------------------


def test_every_table_pdf_prints_every_cell_value_of_its_ard_rows(tlf):
    from tlf.layout import ResultLookup, paper_table

    ard = tlf["ard"]
    lookup = ResultLookup.from_ard(ard)
    printed = dict(ard.select("RESULT_ID", "STAT_FMT").iter_rows())
    for table_id in ("T1", "T2", "T3", "T4", "T5", "T6", "T7"):
        table = paper_table(table_id, lookup, tlf["order"], tlf["known"])
        text = pdf_text(tlf["root"] / f"{STEMS[table_id]}.pdf")
        assert re.sub(r"\s+", " ", table.title) in text, table_id
        checked = 0
        for row_sources in table.sources:
            for cell in row_sources:
                for result_id in cell:
                    assert printed[result_id] in text, (table_id, result_id, printed[result_id])
                    checked += 1
        assert checked > 0, table_id


# --- the combined PDF -----------------------------------------------------------------------


def test_contents_page_lists_each_title_at_the_page_where_it_starts(tlf):
    manifest, root = tlf["manifest"], tlf["root"]
    combined = root / COMBINED_PDF
    contents = pdf_text(combined, 1)
    assert "Contents" in contents
    start = 2  # one contents page, then the outputs in the paper's order
    for stem in STEMS.values():
        row = manifest.filter((pl.col("OUTPUT_ID") == stem) & (pl.col("FORMAT") == "PDF")).row(0, named=True)
        title = re.sub(r"\s+", " ", row["TITLE"])
        assert re.search(re.escape(title) + r" \.*\s*" + str(start) + r"\b", contents), (title, start)
        first = pdf_text(combined, start)
        assert title in first and f"Page 1 of {row['PAGES']}" in first, (stem, start)
        start += row["PAGES"]
    assert pages(combined) == start - 1
    from pypdf import PdfReader

    reader = PdfReader(combined)
    outline = [(item.title, reader.get_destination_page_number(item) + 1) for item in reader.outline]
    assert [t for t, _ in outline] == [
        manifest.filter((pl.col("OUTPUT_ID") == s) & (pl.col("FORMAT") == "PDF"))["TITLE"][0]
        for s in STEMS.values()
    ]
    assert outline[0][1] == 2


# --- determinism and a machine without LibreOffice --------------------------------------------


def test_two_writes_of_the_same_ard_give_the_same_bytes_as_the_build(tlf, tmp_path):
    first = write_tlf(
        tlf["ard"],
        order=tlf["order"],
        known=tlf["known"],
        study_id=STUDY,
        data_cutoff=DATA_CUTOFF,
        root=tmp_path / "a",
    )
    second = write_tlf(
        tlf["ard"],
        order=tlf["order"],
        known=tlf["known"],
        study_id=STUDY,
        data_cutoff=DATA_CUTOFF,
        root=tmp_path / "b",
    )
    assert sha256s(tmp_path / "a") == sha256s(tmp_path / "b") == sha256s(tlf["root"])
    assert first.equals(second)
    assert first.equals(tlf["manifest"])
    meta = subprocess.run(
        ["pdfinfo", str(tmp_path / "a" / "f01_pfs_km.pdf")], check=True, capture_output=True, text=True
    ).stdout
    # the data cutoff, never the clock (pdfinfo prints it in the local time zone: the date part)
    assert re.search(r"CreationDate:.*2019", meta) and re.search(r"ModDate:.*2019", meta)


def test_without_libreoffice_the_rtfs_are_written_and_the_pdf_rows_say_why(tlf, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    manifest = write_tlf(
        tlf["ard"],
        order=tlf["order"],
        known=tlf["known"],
        study_id=STUDY,
        data_cutoff=DATA_CUTOFF,
        root=tmp_path / "t",
    )
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(f"{s}.rtf" for s in STEMS.values())
    rtf = manifest.filter(pl.col("FORMAT") == "RTF")
    assert rtf.height == 9 and rtf["NOTE"].null_count() == 9  # Tables 1-8 and Figure 1
    # the RTFs are the build's RTFs, byte for byte
    built = tlf["manifest"].filter(pl.col("FORMAT") == "RTF").select("FILE", "SHA256")
    assert rtf.select("FILE", "SHA256").equals(built)
    pdf = manifest.filter(pl.col("FORMAT") == "PDF")
    assert pdf.height == 10  # and tlf_all.pdf
    assert pdf["FILE"].null_count() == 10 and pdf["SHA256"].null_count() == 10
    assert set(pdf["NOTE"].to_list()) == {f"not written: {SOFFICE_MISSING}"}


def test_an_ard_without_figure_rows_is_refused_and_the_previous_folder_stays(tlf, tmp_path):
    from tlf.outputs import TlfError

    root = tmp_path / "tlf"
    shutil.copytree(tlf["root"], root)
    before = sha256s(root)
    no_figure = tlf["ard"].filter(pl.col("TABLE_ID") != "F1")
    with pytest.raises(TlfError, match=r"no F1 rows 'PFS\|TIME=\.\.\.'"):
        write_tlf(
            no_figure,
            order=tlf["order"],
            known=tlf["known"],
            study_id=STUDY,
            data_cutoff=DATA_CUTOFF,
            root=root,
        )
    assert sha256s(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tlf"]  # no half-written folder beside it
