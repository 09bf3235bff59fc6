"""Every page of the Streamlit app, run with AppTest against the real demo warehouse.

The warehouse is the session's ``demo_warehouse`` (a real ``dbt build`` of the rendered
demo delivery); the app reads it through ``$CTWH_DB``. Expected figures are the
published ones (Table 3, the efficacy text) or are read from the same DuckDB file
independently of the app (read-only).
"""

from __future__ import annotations

import json

import duckdb
import pytest
from conftest import REPO, sql_rows, tlf_root, work_db
from streamlit.testing.v1 import AppTest

from expectations.gx_location import data_docs_index

APP = str(REPO / "streamlit_app.py")
PAGES = ("summary", "tables", "published", "data_quality", "subjects")
TIMEOUT = 180  # first run imports lifelines/plotly and fills the cache on a 2-core machine


def _open(page: str) -> AppTest:
    """Run the app from its entry point, then switch to ``page`` (AppTest's multipage flow)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page != "summary":
        at.switch_page(f"app/pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("title", "markdown", "caption", "info", "warning", "success", "error", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# --------------------------------------------------------------------------- summary
def test_summary_shows_the_published_headline(warehouse):
    at = _open("summary")
    m = _metrics(at)
    assert m["VGPR or better"] == "50.0%"
    assert m["Overall response (≥ PR)"] == "84.4%"
    assert m["Median PFS"] == "22.0 months"
    assert m["Median follow-up"] == "28.1 months"
    text = _texts(at)
    assert "16/32 · 95% CI 31.9–68.1" in text
    assert "27/32 · 95% CI 67.2–94.7" in text
    assert "95% CI 17.3–NE · 18 events" in text
    assert "figures from results.analysis_results" in text

    charts = at.get("plotly_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    traces = {t.get("name"): t for t in spec["data"]}
    km = traces["Kaplan-Meier estimate"]
    assert km["line"]["shape"] == "hv" and km["y"][0] == 1.0
    curve = sql_rows(
        warehouse, "select TIME_MONTHS, SURV from results.km_curves where PARAMCD = 'PFS' order by TIME"
    )
    assert km["x"] == pytest.approx([c[0] for c in curve]) and km["y"] == pytest.approx([c[1] for c in curve])
    at_risk = sql_rows(
        warehouse, "select N_RISK from results.km_at_risk where PARAMCD = 'PFS' order by TIME_MONTHS"
    )
    assert traces["Number at risk"]["text"] == [str(n) for (n,) in at_risk]
    assert traces["Number at risk"]["text"][0] == "34"
    n_censored = sql_rows(
        warehouse, "select count(*) from results.km_curves where PARAMCD = 'PFS' and N_CENSOR > 0"
    )
    assert len(traces["Censored"]["x"]) == n_censored[0][0] > 0
    assert traces["95% CI"]["fill"] == "tonexty"


def test_summary_filter_by_cytogenetic_risk_recomputes(warehouse):
    at = _open("summary")
    at.multiselect(key="f_cyto").set_value(["HIGH"]).run()
    assert not at.exception
    # the paper's subgroup ORRs: 8/11 = 72.7% (high risk), 19/21 = 90.5% (standard risk)
    assert _metrics(at)["Overall response (≥ PR)"] == "72.7%"
    assert "8/11" in _texts(at) and "recomputed from adam" in _texts(at)
    at.multiselect(key="f_cyto").set_value(["STANDARD"]).run()
    assert _metrics(at)["Overall response (≥ PR)"] == "90.5%"
    assert "19/21" in _texts(at)
    assert len(at.get("plotly_chart")) == 1


def test_summary_recomputed_on_all_subjects_equals_the_results_tables(warehouse):
    """Selecting every risk group takes the recompute path on all subjects: the analysis
    package on the ADaM frames must give the figures of the results tables."""
    at = _open("summary")
    unfiltered = (_metrics(at), _texts(at))
    groups = [g for (g,) in sql_rows(warehouse, "select distinct CYTORISK from adam.adsl order by 1")]
    at.multiselect(key="f_cyto").set_value(groups).run()
    assert not at.exception
    assert _metrics(at) == unfiltered[0]
    text = _texts(at)
    assert "recomputed from adam" in text
    for needle in ("16/32 · 95% CI 31.9–68.1", "27/32 · 95% CI 67.2–94.7", "95% CI 17.3–NE · 18 events"):
        assert needle in text


def test_summary_filter_by_site(warehouse):
    site, n_fas, n_re = sql_rows(
        warehouse,
        "select SITEID, count(*) filter (where FASFL = 'Y'), count(*) filter (where RSEVFL = 'Y') "
        "from adam.adsl group by SITEID order by count(*) desc, SITEID limit 1",
    )[0]
    at = _open("summary")
    at.multiselect(key="f_site").set_value([site]).run()
    assert not at.exception
    assert f"Filtered: {n_fas} FAS subjects, {n_re} response-evaluable" in _texts(at)


# --------------------------------------------------------------------------- tables
def test_tables_page_lays_out_tables_1_to_7_and_the_text_figures(warehouse):
    at = _open("tables")
    labels = [t.label for t in at.tabs]
    assert labels == [*(f"Table {i}" for i in range(1, 8)), "Text figures"]
    tables = [t.value for t in at.table]
    assert len(tables) == 8
    t1, t3, t7 = tables[0], tables[2], tables[6]
    rows1 = {str(r.iloc[0]).strip("\u2003"): r.iloc[1] for _, r in t1.iterrows()}
    assert rows1["Male"] == "19 (56)" and rows1["Female"] == "15 (44)"
    assert t1.columns[1] == "Ixazomib + LenDex N = 34"
    rows3 = {str(r.iloc[0]).strip("\u2003"): (r.iloc[1], r.iloc[2]) for _, r in t3.iterrows()}
    assert rows3["VGPR or better (CR + VGPR)"] == ("16 (50.0)", "(31.9, 68.1)")
    assert rows3["Overall response (≥ PR)"] == ("27 (84.4)", "(67.2, 94.7)")
    rows7 = {str(r.iloc[0]).strip("\u2003"): tuple(r.iloc[1:]) for _, r in t7.iterrows()}
    assert rows7["Neutropenia"][:2] == ("14 (41)", "13 (38)")
    # Table 7's percentages are the ARD's <stat>_pct rows; its footnote names the paper's 8
    assert rows7["Dermatologic disorders"][3] == "9 (26)"
    assert "published n = 8, warehouse n = 9" in _texts(at)
    assert "Data cutoff: 2019-10-18" in _texts(at)
    # per table a CSV button, and for RTF and PDF a button or a caption saying why not
    labels = [b.proto.label for b in at.get("download_button")]
    assert [x for x in labels if x.endswith("(CSV)")] == [f"Download Table {i} (CSV)" for i in range(1, 9)]
    for i in range(1, 9):
        for fmt in ("RTF", "PDF"):
            assert f"Download Table {i} ({fmt})" in labels or f"Table {i} {fmt}" in _texts(at), (i, fmt)
    # Table 8: the figures of the text, e.g. PFS median 22.0 (17.3, NE), no PD 7/9 (78) after CR
    rows8: dict[str, tuple] = {}  # the first row of a label: PFS's median before OS's
    for _, r in tables[7].iterrows():
        rows8.setdefault(str(r.iloc[0]).strip("\u2003"), (r.iloc[1], r.iloc[2]))
    assert rows8["Median (months)"] == ("22.0", "(17.3, NE)") and rows8["CR"] == ("7/9 (78)", "")
    assert rows8["High risk"] == ("8 (72.7)", "") and rows8["Full analysis set (FAS)"] == ("34", "")


def test_tables_page_offers_the_rtf_and_pdf_of_the_build_on_show(warehouse, monkeypatch, tmp_path):
    import shutil

    folder = tlf_root(warehouse.parent / "dbt")  # CTWH_TLF_DIR of the session's build (conftest)
    monkeypatch.setenv("CTWH_TLF_DIR", str(folder))
    at = _open("tables")
    labels = [b.proto.label for b in at.get("download_button")]
    for i in range(1, 9):  # Table 8: the figures of the text
        assert [x for x in labels if x.startswith(f"Download Table {i} ")] == [
            f"Download Table {i} (CSV)",
            f"Download Table {i} (RTF)",
            f"Download Table {i} (PDF)",
        ]
    # a newer build rewrote the folder: the page offers no file that is not the manifest's
    copy = shutil.copytree(folder, tmp_path / "tlf")
    (copy / "t03_response.rtf").write_bytes(b"{\\rtf1 another build}")
    (copy / "t07_teae_clinical_importance.pdf").unlink()
    monkeypatch.setenv("CTWH_TLF_DIR", str(copy))
    at = _open("tables")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download Table 3 (RTF)" not in labels and "Download Table 7 (PDF)" not in labels
    assert "Download Table 3 (PDF)" in labels and len(labels) == 8 * 3 - 2
    assert "Table 3 RTF: `t03_response.rtf`" in _texts(at) and "SHA-256 differs" in _texts(at)
    assert "Table 7 PDF: `t07_teae_clinical_importance.pdf` is not in the TLF folder" in _texts(at)


# --------------------------------------------------------------------------- published
def test_published_page_lists_mismatches_first(warehouse):
    at = _open("published")
    total, matched, explained = sql_rows(
        warehouse,
        "select count(*), count(*) filter (where MATCH), "
        "count(*) filter (where not MATCH and coalesce(EXPLANATION, '') <> '') "
        "from results.published_comparison",
    )[0]
    n_published = sql_rows(warehouse, "select count(*) from ref.published_results")[0][0]
    m = _metrics(at)
    assert m["Published figures"] == str(total) == str(n_published)
    assert m["Reproduced"] == str(matched)
    assert m["Mismatches, explained"] == str(explained)
    assert m["Mismatches, unexplained"] == str(total - matched - explained)
    view = at.dataframe[0].value
    assert len(view) == total
    status = list(view["Status"])
    n_mismatch = total - matched
    assert all(not s.startswith("match") for s in status[:n_mismatch])
    assert all(s.startswith("match") for s in status[n_mismatch:])
    # every mismatch is spelled out first, then every known inconsistency with its explanation
    n_known = sql_rows(warehouse, "select count(*) from ref.known_inconsistencies")[0][0]
    assert (view["Explanation"] != "").sum() == n_known
    notes = [str(md.value) for md in at.markdown]
    mismatched = sql_rows(
        warehouse, "select TABLE_ID, ITEM, STAT from results.published_comparison where not MATCH"
    )
    for i, (table, item, stat) in enumerate(mismatched):
        assert notes[i].startswith(f"**{table} · {item} · {stat}**")
    explanations = sql_rows(
        warehouse,
        "select EXPLANATION, count(*) from results.published_comparison "
        "where coalesce(EXPLANATION, '') <> '' group by EXPLANATION",
    )
    for explanation, rows in explanations:
        assert sum(note.endswith(explanation) for note in notes) == rows


# --------------------------------------------------------------------------- data quality
def test_data_quality_page(warehouse):
    at = _open("data_quality")
    # the audit trail (every version of every record, a view over the raw tables) is in the
    # work file only; the published build is the work file's latest here
    newest = sql_rows(
        work_db(warehouse), "select max(LAST_TRANSFER_ID) from intermediate.int_edc__audit_trail"
    )[0][0]
    n_sites = sql_rows(warehouse, "select count(distinct SITEID) from adam.adsl")[0][0]
    m = _metrics(at)
    assert m["Newest transfer"] == newest
    assert m["Sites up to date"].endswith(f"of {n_sites}")
    sites = at.dataframe[0].value
    assert len(sites) == n_sites and set(sites.columns) >= {"SITEID", "LATEST_TRANSFER_ID", "FRESHNESS"}
    assert (sites["DAYS_BEHIND"] >= 0).all()
    assert sites.loc[sites["DAYS_BEHIND"] == 0, "FRESHNESS"].eq("up to date").all()
    text = _texts(at)
    validation = [
        t
        for (t,) in sql_rows(
            warehouse,
            "select table_name from information_schema.tables where table_schema = 'validation' order by 1",
        )
    ]
    if validation:
        per_site = at.dataframe[1].value
        check_tables = [
            t
            for (t,) in sql_rows(
                warehouse,
                "select table_name from information_schema.columns where table_schema = 'validation' "
                "group by table_name having bool_or(upper(column_name) = 'SITEID') and "
                "bool_or(upper(column_name) in ('CHECK_ID', 'CHECK', 'CHECK_IDS')) order by 1",
            )
        ]
        assert check_tables, "the validation schema has no table of check results"
        assert list(per_site.columns) == ["SITEID", *check_tables, "TOTAL"]
        assert set(sites["SITEID"]) <= set(per_site["SITEID"])
        for table in check_tables:  # every row of every check table is counted once
            n = sql_rows(warehouse, f"select count(*) from validation.{table}")[0][0]
            assert per_site[table].sum() == n
            assert f"validation.{table} ({n} rows)" in [e.label for e in at.expander]
        if per_site["TOTAL"].sum() == 0:
            assert "No failed check in the validation results." in text
    else:
        assert "No validation results yet" in text
    if data_docs_index(REPO).is_file():  # the page's link (app_data.GX_DATA_DOCS)
        assert "Great Expectations Data Docs" in text
    # the build on show (results.publication) against the latest build of the work file
    (on_show,) = sql_rows(warehouse, "select BUILD_ID from results.publication")[0]
    latest, reason = sql_rows(
        work_db(warehouse),
        "select BUILD_ID, REASON from validation.build_attempts order by STARTED_AT desc limit 1",
    )[0]
    if latest != on_show:
        assert any(reason in str(w.value) for w in at.warning)
    else:
        assert "Nothing is stale (results.publication_status)" in text
        assert not any("stale" in str(w.value) for w in at.warning)


def _frame_with(at: AppTest, columns: list[str]):
    (frame,) = [d.value for d in at.dataframe if list(d.value.columns) == columns]
    return frame


def test_data_quality_page_shows_adam_conformance(warehouse):
    at = _open("data_quality")
    assert "ADaM conformance" in [h.value for h in at.subheader]
    summary = _frame_with(at, ["DATASET", "CHECKS", "FAILED", "BLOCKING", "STATUS"])
    expected = sql_rows(
        warehouse,
        "select DATASET, count(*), count(*) filter (where not PASSED), count(*) filter (where BLOCKING) "
        "from validation.adam_conformance group by DATASET",
    )
    order = [d for (d,) in sql_rows(warehouse, "select DATASET from ref.adam_datasets order by rowid")]
    assert summary["DATASET"].tolist() == order
    assert sorted(zip(summary.DATASET, summary.CHECKS, summary.FAILED, summary.BLOCKING)) == sorted(expected)
    failed = sql_rows(warehouse, "select count(*) from validation.adam_conformance where not PASSED")[0][0]
    if failed:
        listing = _frame_with(
            at, ["DATASET", "CHECK_ID", "VARIABLE", "FIRST_KEY", "UNEXPECTED_COUNT", "BLOCKS", "MESSAGE"]
        )
        assert len(listing) == failed
    else:
        assert "Every ADaM conformance check passed." in _texts(at)
    exports = sql_rows(
        warehouse, "select count(*) from information_schema.tables where table_schema = 'submission'"
    )[0][0]
    if not exports:
        assert "No exports in this build." in [str(i.value) for i in at.info]


def test_data_quality_page_lists_the_submission_exports(warehouse):
    """The demo build's submission.submission_exports manifest: every file listed, with its
    size (bytes / 1000 in kB, / 1,000,000 in MB)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        manifest = con.sql("select FILE, BYTES from submission.submission_exports").df()
    assert len(manifest) == 17  # 5 datasets x (xpt, json, ndjson) + define.xml + its stylesheet
    at = _open("data_quality")
    files = _frame_with(at, ["DATASET", "FORMAT", "FILE", "RECORDS", "SIZE", "SHA256"])
    assert sorted(files["FILE"]) == sorted(manifest["FILE"])
    size = dict(zip(files["FILE"], files["SIZE"]))
    for file, n in zip(manifest["FILE"], manifest["BYTES"]):
        assert size[file] == (f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"), file
    assert "No exports in this build." not in [str(i.value) for i in at.info]


# --------------------------------------------------------------------------- subjects
def test_subjects_behind_the_primary_endpoint(warehouse):
    at = _open("subjects")
    assert at.selectbox(key="cell").value.label == "Table 3 · VGPR or better (CR + VGPR)"
    m = _metrics(at)
    assert m["Figure in the table"] == "16" and m["Subjects found"] == "16"
    people, trace = at.dataframe[0].value, at.dataframe[1].value
    assert len(people) == 16 and set(people["BOR"]) <= {"SCR", "CR", "VGPR"}
    # every subject is traced down to a raw record of a site's extract
    raw = trace[trace["SOURCE_FILE"] != ""]
    assert set(raw["USUBJID"]) == set(people["USUBJID"])
    assert raw["SOURCE_FILE"].str.match(r"^\d{8}T\d{4}/site_[^/]+/[a-z]+\.csv$").all()
    assert (raw["TRANSFER_ID"] == raw["SOURCE_FILE"].str.slice(0, 13)).all()
    assert (raw["SOURCE_SITEID"] == raw["SOURCE_FILE"].str.extract(r"site_([^/]+)/", expand=False)).all()
    # ... and each source row is found as a current record (the central lab result behind the response)
    records = at.dataframe[2].value
    pairs = raw[["SOURCE_FILE", "SOURCE_ROW"]].drop_duplicates()
    assert len(records) == len(pairs) == 16
    assert (records["FORM"] == "lb").all()
    assert set(zip(records["SOURCE_FILE"], records["SOURCE_ROW"])) == set(
        zip(pairs["SOURCE_FILE"], pairs["SOURCE_ROW"])
    )
    for subject in people["USUBJID"]:  # the record is the subject's own
        assert any(
            f'"USUBJID":"{subject}"' in r or f'"SUBJID":"{subject.split("-", 1)[1]}"' in r
            for r in records["RECORD_JSON"]
        )


@pytest.mark.parametrize(
    "label, figure",
    [
        ("Efficacy · PFS events (confirmed PD or death)", "18"),
        ("Table 5 · Constipation", "17"),
        ("Table 6 · Neutropenia (grade ≥ 3)", "7"),
    ],
)
def test_subjects_behind_other_cells(warehouse, label, figure):
    at = _open("subjects")
    box = at.selectbox(key="cell")
    box.select_index(box.options.index(label)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="cell").value.label == label
    m = _metrics(at)
    assert m["Figure in the table"] == figure and m["Subjects found"] == figure
    trace = at.dataframe[1].value
    located = trace[trace["SOURCE_FILE"] != ""][["SOURCE_FILE", "SOURCE_ROW"]].drop_duplicates()
    assert len(located) >= int(figure)  # at least one source row per subject
    assert len(at.dataframe[2].value) == len(located)  # every one found among the current records


def test_subjects_listing_is_capped_and_the_csv_holds_every_subject(warehouse, monkeypatch):
    """With at most 5 subjects drawn (the page draws 1,000 of the tens of thousands a cell holds
    at 100,000 subjects), the 16 subjects of the primary endpoint: 5 in the listing, the trace
    and the raw records of those 5 only, the count and the CSV buttons for all 16."""
    from app.views import subjects as subject_views

    monkeypatch.setattr(subject_views, "SHOWN_SUBJECTS", 5)
    at = _open("subjects")
    assert _metrics(at)["Subjects found"] == "16"
    people, trace, records = (at.dataframe[i].value for i in range(3))
    assert len(people) == 5
    first_five = [
        r[0]
        for r in sql_rows(
            warehouse,
            "select s.USUBJID from adam.adrs as b inner join adam.adsl as s on b.USUBJID = s.USUBJID "
            "where b.PARAMCD = 'BOR' and s.RSEVFL = 'Y' and b.AVALC in ('SCR', 'CR', 'VGPR') "
            "order by s.USUBJID limit 5",
        )
    ]
    assert list(people["USUBJID"]) == first_five
    assert set(trace["USUBJID"]) == set(first_five)
    located = trace[trace["SOURCE_FILE"] != ""][["SOURCE_FILE", "SOURCE_ROW"]].drop_duplicates()
    assert len(records) == len(located) == 5  # one central-lab record behind each response
    assert "Showing the first 5 of 16 subjects" in _texts(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the 16 subjects (CSV)" in labels
    assert any(
        label.startswith("Download their ") and label.endswith(" source records (CSV)") for label in labels
    )


# --------------------------------------------------------------------------- not built
@pytest.mark.parametrize("page", PAGES)
def test_every_page_explains_how_to_build_a_missing_warehouse(page, tmp_path, monkeypatch):
    monkeypatch.setenv("CTWH_DB", str(tmp_path / "not_built.duckdb"))
    at = _open(page)
    text = _texts(at)
    assert "has not been built yet" in text and "make build" in text and "dbt build" in text
    assert not at.metric and not at.dataframe and not at.table


def test_an_empty_warehouse_names_the_missing_tables(tmp_path, monkeypatch):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    monkeypatch.setenv("CTWH_DB", str(db))
    at = _open("summary")
    text = _texts(at)
    assert "not completely built" in text and "`results.analysis_results`" in text and "make build" in text
