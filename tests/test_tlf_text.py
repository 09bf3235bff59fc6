"""Table 8 (``TX``, t08_text_figures): the figures the paper reports in its text, laid out by
tlf.layout.table_text from the ARD of a real `dbt build` of the demo delivery.

The read-back of every printed number through LibreOffice is tests/test_tlf_tables.py (which
renders Table 8 with Tables 1-7); here: the cells against the ARD and the published figures,
and a delivery whose ARD lacks some of the rows (a dash, never a crash).
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from app.views import tables as tables_views
from tlf.layout import MISSING, TEXT_TABLE_ID, ResultLookup, paper_table, table_text
from tlf.rtf_tables import TABLE_FILES, pages, table_rtf

STUDY = "NCT02917941"


@pytest.fixture(scope="module")
def ard(demo_warehouse) -> pl.DataFrame:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        return con.sql("select * from results.ard").pl()


@pytest.fixture(scope="module")
def order(demo_warehouse) -> pl.DataFrame:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        return con.sql(
            'select rowid as ORD, "table" as TABLE_ID, item as ITEM, stat as STAT '
            "from ref.published_results order by rowid"
        ).pl()


def _rows(table) -> dict[str, tuple[str, ...]]:
    """Label (indentation stripped) -> printed cells; the first row of a repeated label."""
    out: dict[str, tuple[str, ...]] = {}
    for row in table.frame.iter_rows():
        out.setdefault(row[0].strip("\u2003"), tuple(row[1:]))
    return out


def _section(table, heading_start: str) -> list[tuple[str, tuple[str, ...]]]:
    """The rows under the heading that starts with ``heading_start``, up to the next heading."""
    frame, levels = table.frame, table.levels
    start = next(
        i for i, r in enumerate(frame.iter_rows()) if levels[i] == 0 and r[0].startswith(heading_start)
    )
    out = []
    for i in range(start + 1, frame.height):
        if levels[i] == 0:
            break
        row = frame.row(i)
        out.append((row[0].strip("\u2003"), tuple(row[1:])))
    return out


def test_table8_prints_the_published_figures_of_the_text(ard, order):
    table = table_text(ResultLookup.from_ard(ard), order)
    assert table.key == TEXT_TABLE_ID and TABLE_FILES[TEXT_TABLE_ID] == "t08_text_figures"
    assert table.title.startswith("Table 8  Figures reported in the text")
    rows = _rows(table)
    # seeds/published_results.csv: POP FAS/SAF/RE n 34/34/32; EFF ORR_CYTO 8 (72.7), 19 (90.5)
    assert (
        rows["Full analysis set (FAS)"][0] == "34" and rows["Response-evaluable analysis set (RE)"][0] == "32"
    )
    assert rows["High risk"] == ("8 (72.7)", "") and rows["Standard risk"] == ("19 (90.5)", "")
    # no PD at the last assessment: 7/9 (78) CR, 9/16 (56) VGPR or better, 13/27 (48) ORR
    no_pd = _section(table, "Efficacy: no PD at the last")
    assert [c[0] for _, c in no_pd] == ["7/9 (78)", "9/16 (56)", "13/27 (48)"]
    # time to response 2.9 (1.8, 5.1) and 1.0 (1.0, 1.8) months; DOR NE; PFS 22.0 (17.3, NE)
    ttr = _section(table, "Efficacy: time to response")
    assert [c for _, c in ttr] == [("2.9", "(1.8, 5.1)"), ("1.0", "(1.0, 1.8)")]
    assert _section(table, "Efficacy: duration of response")[0][1] == ("NE", "")
    pfs = dict(_section(table, "Efficacy: progression-free survival"))
    assert pfs["Median (months)"] == ("22.0", "(17.3, NE)")
    assert pfs["Events (progression or death), n (%)"] == ("18 (53)", "")  # 17 PD + 1 death
    assert pfs["Deaths among the events, n"] == ("1", "")
    assert _section(table, "Efficacy: follow-up")[0][1] == ("28.1", "")
    assert [c[0] for _, c in _section(table, "Efficacy: overall survival")] == ["NE", "2"]
    # drug-related TEAEs in the paper's order; nausea 9 (26) as Table 7 (the text says 8 (24%))
    related = _section(table, "Safety: drug-related TEAEs")
    assert related[:5] == [
        ("Diarrhea", ("13 (38)", "")),
        ("Constipation", ("13 (38)", "")),
        ("Rash", ("10 (29)", "")),
        ("Platelet count decreased", ("9 (26)", "")),
        ("Nausea (c)", ("9 (26)", "")),
    ]
    assert len(related) == 8 and len(_section(table, "Safety: drug-related grade")) == 5
    assert _section(table, "Safety: TEAE leading to dose reduction") == [("Maculopapular rash", ("4", ""))]
    assert _section(table, "Safety: TEAE leading to drug discontinuation") == [("Neutropenia", ("2", ""))]
    assert _section(table, "Baseline: time since the last ASCT")[0][1] == ("38.8", "")
    # each section heading names the analysis set of its figures (the ARD's ANALYSIS_SET)
    headings = [r[0] for i, r in enumerate(table.frame.iter_rows()) if table.levels[i] == 0]
    assert "Efficacy: progression-free survival (FAS)" in headings
    assert "Safety: deaths (SAF)" in headings and "Efficacy: time to response, months (RE)" in headings
    notes = " ".join(table.footnotes)
    assert "full analysis set (FAS), N = 34" in notes and "(RE), N = 32" in notes
    assert "Brookmeyer-Crowley" in notes and "Data cutoff: 2019-10-18" in notes


def test_a_delivery_without_some_text_figures_prints_a_dash(ard, order):
    gone = ard.filter(
        ~((pl.col("TABLE_ID") == "EFF") & (pl.col("ITEM") == "OS"))
        & ~pl.col("ITEM").str.starts_with("RELATED|PT=")
        & ~((pl.col("TABLE_ID") == "EFF") & (pl.col("ITEM") == "PFS") & (pl.col("STAT_NAME") == "ci_hi"))
    )
    table = paper_table(TEXT_TABLE_ID, ResultLookup.from_ard(gone), order)
    assert [c for _, c in _section(table, "Efficacy: overall survival")] == [(MISSING, ""), (MISSING, "")]
    assert _section(table, "Safety: drug-related TEAEs") == [("None reported", (MISSING, ""))]
    assert dict(_section(table, "Efficacy: progression-free survival"))["Median (months)"] == (
        "22.0",
        f"(17.3, {MISSING})",
    )
    # a dash has no source; the RTF is still written
    assert all(
        not ids
        for row, src in zip(table.frame.iter_rows(), table.sources)
        for c, ids in zip(row[1:], src)
        if c == MISSING
    )
    assert "None reported" in table_rtf(TEXT_TABLE_ID, gone, order, study_id=STUDY)


def test_table8_is_one_portrait_table_of_two_pages_and_byte_stable(ard, order):
    table = table_text(ResultLookup.from_ard(ard), order)
    assert table.orientation == "portrait"
    cut = pages(table)
    assert len(cut) == 2  # 55 rows: 16 headings and 39 figure rows
    assert table.frame.height == 55 and sum(1 for lvl in table.levels if lvl == 0) == 16
    one = table_rtf(TEXT_TABLE_ID, ard, order, study_id=STUDY)
    assert one == table_rtf(TEXT_TABLE_ID, ard, order, study_id=STUDY) and one.isascii()


def test_the_page_shows_table8_as_the_text_figures_tab(ard, order):
    tables = tables_views.page_tables(ResultLookup.from_ard(ard), order)
    assert [t.key for t in tables] == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "TX"]
    assert [tables_views.tab_label(t.key) for t in tables][-2:] == ["Table 7", "Text figures"]
    assert tables_views.table_number("TX") == "8" and tables_views.table_number("T3") == "3"
