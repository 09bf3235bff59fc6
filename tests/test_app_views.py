"""Pure functions of the Streamlit pages (app.views): layouts, figures, recomputation.

The "results" frame used for the table layouts is ``seeds/published_results.csv`` put
into the ``results.analysis_results`` shape (VALUE parsed, VALUE_TEXT as printed), so
every layout is checked against the paper's own figures.
"""

from __future__ import annotations

import json
from datetime import date

import plotly.graph_objects as go
import polars as pl
import pytest
from conftest import REPO

from analysis.km import DAYS_PER_MONTH, km_quantile, median_followup
from analysis.proportions import clopper_pearson
from analysis.results import compare_with_published
from app.views import common
from app.views import data_quality as data_quality_views
from app.views import published as published_views
from app.views import subjects as subjects_views
from app.views import summary as summary_views
from app.views import tables as tables_views


@pytest.fixture(scope="module")
def results(published) -> pl.DataFrame:
    """The published figures in the layout of ``results.analysis_results``."""
    return published.select(
        pl.col("table").alias("TABLE_ID"),
        pl.col("item").alias("ITEM"),
        pl.col("stat").alias("STAT"),
        pl.when(pl.col("value") == "NE")
        .then(None)
        .otherwise(pl.col("value"))
        .cast(pl.Float64)
        .alias("VALUE"),
        pl.col("value").alias("VALUE_TEXT"),
        pl.col("decimals").alias("DECIMALS"),
        pl.lit(None, dtype=pl.Int64).alias("DENOMINATOR"),
        pl.lit(date(2019, 10, 18)).alias("DATA_CUTOFF"),
    )


@pytest.fixture(scope="module")
def order(published) -> pl.DataFrame:
    return published.with_row_index("ORD").select(
        "ORD", pl.col("table").alias("TABLE_ID"), pl.col("item").alias("ITEM"), pl.col("stat").alias("STAT")
    )


def _rows(table: tables_views.PaperTable) -> dict[str, tuple[str, ...]]:
    """Label (indent stripped) -> the row's cells; later duplicates keep the first."""
    out: dict[str, tuple[str, ...]] = {}
    for row in table.frame.iter_rows():
        out.setdefault(row[0].lstrip(tables_views.INDENT), tuple(row[1:]))
    return out


# --------------------------------------------------------------------------- summary
def test_summary_from_results_prints_the_published_headline(results):
    s = summary_views.summary_from_results(results)
    assert (s.vgpr_n, s.n_re, s.vgpr_pct, s.vgpr_ci) == (16, 32, "50.0", "31.9–68.1")
    assert (s.orr_n, s.orr_pct, s.orr_ci) == (27, "84.4", "67.2–94.7")
    assert (s.pfs_median, s.pfs_ci, s.pfs_events) == ("22.0", "17.3–NE", 18)
    assert s.followup_median == "28.1"
    assert s.n_fas == 34 and s.pfs_median_months == 22.0
    assert s.data_cutoff == "2019-10-18" and s.source == "results"


def test_summary_from_results_without_figures_prints_dashes():
    empty = pl.DataFrame(
        schema={
            "TABLE_ID": pl.String,
            "ITEM": pl.String,
            "STAT": pl.String,
            "VALUE": pl.Float64,
            "VALUE_TEXT": pl.String,
        }
    )
    s = summary_views.summary_from_results(empty)
    assert (
        s.vgpr_pct == common.MISSING and s.pfs_ci == f"{common.MISSING}–{common.MISSING}" and s.vgpr_n is None
    )


def _adam(n_re_vgpr=16, n_re_other=16, extra_non_re=2):
    """32 RE subjects (16 with VGPR or better) + 2 non-RE; PFS events every month."""
    ids = [f"S{i:02d}" for i in range(n_re_vgpr + n_re_other + extra_non_re)]
    n_re = n_re_vgpr + n_re_other
    adsl = pl.DataFrame(
        {
            "USUBJID": ids,
            "SITEID": ["101" if i % 2 else "102" for i in range(len(ids))],
            "CYTORISK": ["HIGH" if i < 11 else "STANDARD" for i in range(len(ids))],
            "FASFL": "Y",
            "SAFFL": "Y",
            "RSEVFL": ["Y" if i < n_re else "N" for i in range(len(ids))],
        }
    )
    cats = ["SCR", "CR", "VGPR"] * 6
    bor = pl.DataFrame(
        {"USUBJID": ids[:n_re], "AVALC": cats[:n_re_vgpr] + ["PR"] * 11 + ["SD"] * (n_re_other - 11)}
    )
    days = [round((i + 1) * DAYS_PER_MONTH) for i in range(len(ids))]
    pfs_event = [0 if i % 3 == 2 else 1 for i in range(len(ids))]
    tte = pl.concat(
        [
            pl.DataFrame(
                {"USUBJID": ids, "PARAMCD": "PFS", "AVAL": days, "CNSR": [1 - e for e in pfs_event]}
            ),
            pl.DataFrame(
                {
                    "USUBJID": ids,
                    "PARAMCD": "OS",
                    "AVAL": [d + 30 for d in days],
                    "CNSR": [0 if i in (3, 7) else 1 for i in range(len(ids))],
                }
            ),
        ]
    )
    return adsl, bor, tte, days, pfs_event


def test_summary_from_adam_uses_the_analysis_package():
    adsl, bor, tte, days, events = _adam()
    s = summary_views.summary_from_adam(adsl, bor, tte)
    lo, hi = clopper_pearson(16, 32)
    assert (s.vgpr_n, s.n_re, s.vgpr_pct) == (16, 32, "50.0")
    assert s.vgpr_ci == f"{100 * lo:.1f}–{100 * hi:.1f}" == "31.9–68.1"
    assert (s.orr_n, s.orr_pct) == (27, "84.4")
    q = km_quantile(days, events)
    assert s.pfs_median == f"{q['estimate'] / DAYS_PER_MONTH:.1f}"
    assert s.pfs_events == sum(events) and s.n_fas == 34 and s.source == "recomputed"
    os_days = [d + 30 for d in days]
    os_events = [1 if i in (3, 7) else 0 for i in range(len(days))]
    assert s.followup_median == f"{median_followup(os_days, os_events)['estimate'] / DAYS_PER_MONTH:.1f}"


def test_summary_from_adam_ignores_non_fas_and_handles_an_empty_selection():
    adsl, bor, tte, *_ = _adam()
    none = adsl.head(0)
    s = summary_views.summary_from_adam(none, bor, tte)
    assert s.n_re == 0 and s.vgpr_pct == common.MISSING and s.pfs_median == common.MISSING
    not_fas = adsl.with_columns(pl.lit("N").alias("FASFL"))
    assert summary_views.summary_from_adam(not_fas, bor, tte).pfs_events == 0


def test_filter_subjects_by_risk_and_site():
    adsl, *_ = _adam()
    assert summary_views.filter_subjects(adsl).height == 34
    assert summary_views.filter_subjects(adsl, ["HIGH"]).height == 11
    high_101 = summary_views.filter_subjects(adsl, ["HIGH"], ["101"])
    assert high_101.height == 5 and set(high_101["SITEID"]) == {"101"}
    assert summary_views.filter_subjects(adsl, [], [101])["SITEID"].unique().to_list() == ["101"]


# --------------------------------------------------------------------------- Kaplan-Meier
def test_km_frames_from_adam_follow_the_results_layout():
    adsl, _, tte, days, events = _adam()
    curve, at_risk = summary_views.km_frames_from_adam(adsl, tte, "PFS")
    first = curve.row(0, named=True)
    assert (first["TIME"], first["SURV"], first["LOWER"], first["N_RISK"]) == (0.0, 1.0, 1.0, 34)
    assert curve["N_EVENT"].sum() == sum(events) and curve["N_CENSOR"].sum() == 34 - sum(events)
    assert at_risk["TIME_MONTHS"].to_list()[:3] == [0.0, 3.0, 6.0]
    assert at_risk["N_RISK"].to_list()[:2] == [34, sum(d >= 3 * DAYS_PER_MONTH for d in days)]
    empty_curve, empty_risk = summary_views.km_frames_from_adam(adsl.head(0), tte, "PFS")
    assert empty_curve.height == 0 and empty_risk.height == 0


def test_km_figure_draws_steps_band_censor_marks_and_numbers_at_risk():
    curve = pl.DataFrame(
        {
            "TIME_MONTHS": [0.0, 2.0, 4.0, 7.0],
            "SURV": [1.0, 0.75, 0.5, 0.5],
            "LOWER": [1.0, 0.4, 0.2, 0.2],
            "UPPER": [1.0, 0.9, 0.8, 0.8],
            "N_CENSOR": [0, 0, 1, 2],
        }
    )
    at_risk = pl.DataFrame({"TIME_MONTHS": [0.0, 3.0, 6.0], "N_RISK": [4, 3, 2]})
    fig = summary_views.km_figure(curve, at_risk, median_months=4.0)
    assert isinstance(fig, go.Figure)
    by_name = {t.name: t for t in fig.data}
    km = by_name["Kaplan-Meier estimate"]
    assert km.line.shape == "hv" and list(km.y) == [1.0, 0.75, 0.5, 0.5]
    band = by_name["95% CI"]
    assert band.fill == "tonexty" and band.line.shape == "hv" and list(band.y) == [1.0, 0.4, 0.2, 0.2]
    assert list(by_name["95% CI upper"].y) == [1.0, 0.9, 0.8, 0.8]
    censored = by_name["Censored"]
    assert (
        list(censored.x) == [4.0, 7.0]
        and list(censored.y) == [0.5, 0.5]
        and list(censored.customdata) == [1, 2]
    )
    risk = by_name["Number at risk"]
    assert list(risk.text) == ["4", "3", "2"] and list(risk.x) == [0.0, 3.0, 6.0] and risk.yaxis == "y2"
    assert km.yaxis == "y" and list(fig.layout.xaxis.tickvals) == [0, 3, 6]
    assert by_name["Median"].x == (0, 4.0, 4.0)
    json.loads(fig.to_json())  # serialisable for st.plotly_chart


# --------------------------------------------------------------------------- tables
def test_paper_tables_are_the_seven_tables(results, order):
    tables = tables_views.paper_tables(results, order)
    assert [t.key for t in tables] == ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]
    for t in tables:
        assert t.frame.height > 0 and all(t.frame[c].dtype == pl.String for c in t.frame.columns)
        dashes = [cell for row in t.frame.iter_rows() for cell in row[1:] if cell == common.MISSING]
        # every figure is found; only Table 2's combination RDI is a printed dash, as in the paper
        assert len(dashes) == (3 if t.key == "T2" else 0), t.key


def test_table1_prints_rows_as_the_paper(results, order):
    t1 = tables_views.paper_tables(results, order)[0]
    assert t1.frame.columns[1] == "Ixazomib + LenDex N = 34"
    rows = _rows(t1)
    assert rows["Male"] == ("19 (56)",) and rows["Female"] == ("15 (44)",)
    assert rows["Age (years)"] == ("",)
    assert rows["Light chain only"] == ("1 (3)",) and rows["90 to max"] == ("9 (26)",)
    assert rows["Relapsed patients (a)"] == ("31 (91)",) and rows["t(14;16)"] == ("1 (3)",)
    labels = t1.frame[""].to_list()
    assert labels[labels.index("Age (years)") + 2] == tables_views.INDENT + "Min, max"
    assert t1.frame.row(labels.index(tables_views.INDENT + "Min, max"))[1] == "40, 78"
    assert tables_views.INDENT * 3 + "Thalidomide (c)" in labels


def test_table2_repeats_cycles_and_dashes_combination_rdi(results, order):
    t2 = tables_views.paper_tables(results, order)[1]
    assert t2.frame.columns[1:] == ["Ixazomib", "Lenalidomide", "Dexamethasone", "Combination"]
    mean_rows = [
        r for r in t2.frame.iter_rows() if r[0].strip(tables_views.INDENT) == "Mean (standard deviation)"
    ]
    assert mean_rows[0][1:] == ("17.8 (9.3)",) * 4
    assert mean_rows[1][1:] == ("85.4 (12.8)", "78.2 (18.7)", "76.5 (25.0)", "–")


def test_table3_n_pct_and_exact_ci(results, order):
    t3 = tables_views.paper_tables(results, order)[2]
    rows = _rows(t3)
    assert rows["VGPR or better (CR + VGPR)"] == ("16 (50.0)", "(31.9, 68.1)")
    assert rows["Overall response (≥ PR)"] == ("27 (84.4)", "(67.2, 94.7)")
    assert rows["sCR"] == ("8 (25.0)", "(11.5, 43.4)") and rows["PD"] == ("0 (0.0)", "(0.0, 10.9)")
    assert t3.frame.columns[0].startswith("Ixazomib + LenDex N = 32")


def test_tables_4_to_6(results, order):
    t4, t5, t6 = tables_views.paper_tables(results, order)[3:6]
    assert _rows(t4)["Any AE"] == ("34 (100)",) and _rows(t4)["On-study deaths (c)"] == ("1 (3)",)
    t5_labels = t5.frame[""].to_list()
    assert t5_labels[:3] == [
        "Patients with at least 1 AE",
        "Constipation",
        "Upper respiratory tract infection",
    ]
    assert t5.frame.row(1)[1] == "17 (50)" and t5.frame.height == 1 + 31
    # the paper's order, not alphabetical: Influenza before Neutropenia, Pharyngitis before Maculopapular rash
    assert t5_labels.index("Influenza") < t5_labels.index("Neutropenia")
    assert t5_labels.index("Pharyngitis") < t5_labels.index("Maculopapular rash")
    assert _rows(t6)["Malignant neoplasm of unknown primary site (a)"] == ("1 (3)",)
    assert t6.frame.height == 37


def test_table5_appends_terms_the_paper_lacks_by_frequency(results, order):
    extra = pl.DataFrame(
        {
            "TABLE_ID": ["T5", "T5", "T5", "T5"],
            "ITEM": ["PT=Zeta", "PT=Zeta", "PT=Alpha", "PT=Alpha"],
            "STAT": ["n", "pct", "n", "pct"],
            "VALUE": [4.0, 12.0, 5.0, 15.0],
            "VALUE_TEXT": ["4", "12", "5", "15"],
        }
    )
    more = pl.concat([results.select(extra.columns), extra])
    labels = tables_views.paper_tables(more, order)[4].frame[""].to_list()
    assert labels[-2:] == ["Alpha", "Zeta"]


def _with_t7_pct(results: pl.DataFrame) -> pl.DataFrame:
    """The ARD's Table 7 percentages (``<stat>_pct`` = 100 n / 34, 0 decimals, rounded half
    away from zero): the published frame has the counts only."""
    from analysis.rounding import format_value

    t7 = results.filter(pl.col("TABLE_ID") == "T7")
    pct = t7.with_columns(
        (pl.col("STAT") + "_pct").alias("STAT"),
        (100.0 * pl.col("VALUE") / 34).alias("VALUE"),
        pl.col("VALUE")
        .map_elements(lambda n: format_value(100.0 * n / 34, 0), return_dtype=pl.String)
        .alias("VALUE_TEXT"),
    )
    return pl.concat([results, pct])


def test_table7_groups_and_percentages(results, order):
    t7 = tables_views.paper_tables(_with_t7_pct(results), order)[6]
    assert t7.frame.columns[0] == "N = 34, n (%)" and len(t7.frame.columns) == 9
    rows = _rows(t7)
    assert rows["Neutropenia"] == (
        "14 (41)",
        "13 (38)",
        "13 (38)",
        "12 (35)",
        "3 (9)",
        "6 (18)",
        "1 (3)",
        "10 (29)",
    )
    assert rows["Cardiac failure"] == ("1 (3)", "0", "0", "0", "0", "0", "0", "0")
    assert rows["Dermatologic disorders"][0] == "22 (65)" and rows["Blood toxicity"] == ("",) * 8
    assert "Arrhythmia" not in rows  # not in the results -> not shown (as in the paper)
    labels = t7.frame[t7.frame.columns[0]].to_list()
    assert labels.index(tables_views.INDENT + "Rash") == labels.index("Dermatologic disorders") + 1


def test_missing_figures_print_a_dash(results, order):
    t3 = tables_views.paper_tables(results.filter(pl.col("ITEM") != "SD"), order)[2]
    assert _rows(t3)["SD"] == (common.MISSING, common.MISSING)


def test_csv_bytes_round_trip(results, order):
    t3 = tables_views.paper_tables(results, order)[2]
    back = pl.read_csv(common.csv_bytes(t3.frame))
    assert back.columns == t3.frame.columns and back.row(5)[1:] == ("16 (50.0)", "(31.9, 68.1)")


# --------------------------------------------------------------------------- published
def test_comparison_view_lists_mismatches_first(results, published):
    known = pl.read_csv(REPO / "seeds" / "known_inconsistencies.csv")
    changed = results.with_columns(
        pl.when((pl.col("ITEM") == "CYCLES") & (pl.col("STAT") == "sd"))
        .then(9.4)
        .when((pl.col("ITEM") == "GROUP=Nausea") & (pl.col("STAT") == "related"))
        .then(8.0)
        .otherwise(pl.col("VALUE"))
        .alias("VALUE")
    )
    comparison = compare_with_published(changed, published, known)
    view = published_views.comparison_view(comparison)
    assert view.height == published.height
    assert view["Status"].to_list()[:2] == ["MISMATCH", "mismatch, explained"]  # then the paper's order
    top = view.head(2).rows_by_key("Item", named=True)
    assert top["CYCLES"][0]["Published"] == "9.3" and top["CYCLES"][0]["Warehouse"] == "9.4"
    assert top["GROUP=Nausea"][0]["Explanation"].startswith("Source inconsistency")
    assert view["Status"][2:].str.starts_with("match").all()
    assert published_views.comparison_counts(comparison) == {
        "total": published.height,
        "matched": published.height - 2,
        "mismatched": 2,
        "explained": 1,
        "unexplained": 1,
    }


# --------------------------------------------------------------------------- data quality
def test_site_freshness_counts_days_behind_the_newest_transfer():
    sites = pl.DataFrame(
        {
            "SITEID": ["101", "102", "103", "104"],
            "LATEST_TRANSFER_ID": ["20191101T0200", "20191001T0200", "20191101T0200", None],
        }
    )
    out = data_quality_views.site_freshness(sites)
    got = dict(zip(out["SITEID"], zip(out["DAYS_BEHIND"], out["FRESHNESS"])))
    assert got == {
        "101": (0, "up to date"),
        "102": (31, "31 days behind"),
        "103": (0, "up to date"),
        "104": (None, "unknown"),
    }
    assert out["SITEID"][0] == "102"  # most stale first
    assert data_quality_views.parse_transfer_id("2019-11-01") is None


def test_check_tables_are_the_per_site_check_results():
    tables = pl.DataFrame(
        {
            "TABLE_NAME": ["adam_checks", "quarantine", "study_rule_records", "run_log", "build_info"],
            "COLUMNS": [
                ["SUITE", "CHECK_ID", "SITEID"],
                ["SITEID", "TRANSFER_ID", "CHECK_IDS"],
                ["DOMAIN", "USUBJID", "SITEID"],
                ["BUILD_ID", "N_FAILED_ADAM_CHECKS"],
                ["BUILD_ID"],
            ],
        }
    )
    assert data_quality_views.check_tables(tables) == ["adam_checks", "quarantine"]


def test_validation_by_site_counts_problems_per_site_and_table():
    counts = {
        "delivery_checks": pl.DataFrame({"SITEID": ["103", None], "N": [2, 1]}),
        "adam_checks": pl.DataFrame({"SITEID": ["105"], "N": [1]}),
        "quarantine": pl.DataFrame({"SITEID": ["103"], "N": [1]}),
    }
    out = data_quality_views.validation_by_site(counts, sites=["101", "103", "105"])
    assert out.columns == ["SITEID", "adam_checks", "delivery_checks", "quarantine", "TOTAL"]
    assert out.rows() == [
        ("101", 0, 0, 0, 0),
        ("103", 0, 2, 1, 3),
        ("105", 1, 0, 0, 1),
        (data_quality_views.ALL_SITES, 0, 1, 0, 1),
    ]
    empty = {"delivery_checks": pl.DataFrame(schema={"SITEID": pl.String, "N": pl.Int64})}
    assert data_quality_views.validation_by_site(empty, sites=["101"]).rows() == [("101", 0, 0)]
    assert data_quality_views.validation_by_site({}, sites=["101"]).rows() == [("101", 0)]


def test_stale_rows():
    frame = pl.DataFrame({"TABLE_ID": ["T1", "T3", "EFF"], "STATUS": ["PUBLISHED", "STALE", None]})
    assert common.stale_rows(frame)["TABLE_ID"].to_list() == ["T3"]
    flags = pl.DataFrame({"TABLE_ID": ["T1", "T3"], "IS_STALE": [False, True]})
    assert common.stale_rows(flags)["TABLE_ID"].to_list() == ["T3"]
    assert common.stale_rows(pl.DataFrame({"TABLE_ID": ["T1"]})).height == 0
    # results.publication_status (a one-row view): STALE boolean and REASON
    status = pl.DataFrame(
        {
            "PUBLISHED_AT": ["2019-12-13 02:10"],
            "STALE": [True],
            "REASON": ["new results not published: 2 failed ADaM check(s)"],
        }
    )
    assert common.stale_rows(status).height == 1
    assert common.stale_message(common.stale_rows(status)) == (
        "The analysis results are stale: they are not from the latest build — new results not published: "
        "2 failed ADaM check(s) (results published 2019-12-13 02:10)"
    )
    assert common.stale_rows(status.with_columns(pl.lit(False).alias("STALE"))).height == 0


def test_running_message():
    # app.data.publication_status() while a build holds the work file
    status = pl.DataFrame(
        {
            "PUBLISHED_BUILD_ID": ["b-1"],
            "PUBLISHED_AT": ["2019-12-13 02:10"],
            "BUILD_RUNNING": [True],
            "STALE": [False],
            "REASON": [None],
        }
    )
    assert common.running_message(status) == (
        "A `dbt build` is running now: this page shows the published build b-1 (published "
        "2019-12-13 02:10) until the new build has passed its checks and is published."
    )
    assert common.running_message(status.with_columns(pl.lit(False).alias("BUILD_RUNNING"))) is None
    assert common.running_message(status.clear()) is None
    assert common.running_message(pl.DataFrame({"STALE": [True]})) is None


# --------------------------------------------------------------------------- subjects
def test_trace_cells_offer_the_primary_endpoint_first(results, order):
    cells = subjects_views.trace_cells(results, order)
    first = cells[0]
    assert first.kind == "bor" and first.categories == ("SCR", "CR", "VGPR")
    assert (
        first.result_key == ("T3", "VGPR_OR_BETTER", "n")
        and subjects_views.figure_of(results, first.result_key) == "16"
    )
    by_label = {c.label: c for c in cells}
    assert by_label["Table 5 · Constipation"].term == "Constipation"
    assert by_label["Table 6 · Neutropenia (grade ≥ 3)"].min_grade == 3
    pfs = by_label["Efficacy · PFS events (confirmed PD or death)"]
    assert pfs.paramcd == "PFS" and subjects_views.figure_of(results, pfs.result_key) == "18"
    assert sum(c.kind == "teae" for c in cells) == 31 + 37
    assert (
        "SCR, CR, VGPR" in first.description
        and "grade ≥ 3" in by_label["Table 6 · Neutropenia (grade ≥ 3)"].description
        and "PFS events" in pfs.description
    )


def test_unique_sources_and_display_helpers():
    trace = pl.DataFrame(
        {
            "SOURCE_FILE": ["a/site_1/lb.csv", None, "a/site_1/lb.csv", "b/site_2/dd.csv"],
            "SOURCE_ROW": [3, None, 3, 1],
            "ADT": [date(2018, 1, 2)] * 4,
        }
    )
    assert subjects_views.unique_sources(trace) == (["a/site_1/lb.csv", "b/site_2/dd.csv"], [3, 1])
    shown = common.for_display(trace)
    assert shown["ADT"][0] == "2018-01-02" and shown["SOURCE_FILE"][1] == ""
    assert common.options(["102", None, "101", "102"]) == ["101", "102"]


def test_summary_cards_and_scope(results):
    cards = summary_views.summary_cards(summary_views.summary_from_results(results))
    assert [(c.label, c.value, c.caption) for c in cards] == [
        ("VGPR or better", "50.0%", "16/32 · 95% CI 31.9–68.1"),
        ("Overall response (≥ PR)", "84.4%", "27/32 · 95% CI 67.2–94.7"),
        ("Median PFS", "22.0 months", "95% CI 17.3–NE · 18 events"),
        ("Median follow-up", "28.1 months", "reverse Kaplan-Meier of OS"),
    ]
    assert "Primary endpoint" in cards[0].help
    assert summary_views.summary_scope(summary_views.summary_from_results(results)) == (
        "All subjects (34 FAS, 32 response-evaluable), data cutoff 2019-10-18 — figures from "
        "results.analysis_results."
    )
    adsl, bor, tte, *_ = _adam()
    assert summary_views.summary_scope(summary_views.summary_from_adam(adsl.head(11), bor, tte)).startswith(
        "Filtered: 11 FAS subjects, 11 response-evaluable — recomputed"
    )


def test_summary_cards_without_figures_show_a_dash():
    empty = pl.DataFrame(
        schema={
            "TABLE_ID": pl.String,
            "ITEM": pl.String,
            "STAT": pl.String,
            "VALUE": pl.Float64,
            "VALUE_TEXT": pl.String,
        }
    )
    cards = summary_views.summary_cards(summary_views.summary_from_results(empty))
    assert [c.value for c in cards] == [common.MISSING] * 4
    assert cards[0].caption == "–/– · 95% CI –"


# --------------------------------------------------------------------------- ADaM conformance
@pytest.fixture(scope="module")
def conformance_report(tmp_path_factory) -> pl.DataFrame:
    """A real validation.adam_conformance: the conformance run (expectations.conformance) on
    datasets made from the spec (tests/test_adam_conformance.py), adex's first row twice (a
    blocking failure) and, in a copy of the spec, adtte's PARAM label 41 characters long with
    `label_length` listed as not blocking (dbt var adam_conformance_warn_checks)."""
    import pandas as pd
    from test_adam_conformance import RULES, SPEC, spec_datasets

    from expectations.conformance import as_polars, run_adam_conformance

    frames = spec_datasets()
    frames["adex"] = pd.concat([frames["adex"], frames["adex"].iloc[[0]]], ignore_index=True)
    variables = SPEC.variables.copy()
    variables.loc[(variables.DATASET == "adtte") & (variables.VARIABLE == "PARAM"), "LABEL"] = "L" * 41
    report = run_adam_conformance(
        frames,
        SPEC.datasets,
        variables,
        RULES,
        "views",
        gx_root=tmp_path_factory.mktemp("gx"),
        warn_checks=("label_length",),
    )
    return as_polars(report)


def test_conformance_summary_counts_checks_run_and_failed_per_dataset(conformance_report):
    from test_adam_conformance import SPEC

    from expectations import adam_spec

    order = adam_spec.dataset_names(SPEC.datasets)
    out = data_quality_views.conformance_summary(conformance_report, order)
    assert out.columns == ["DATASET", "CHECKS", "FAILED", "BLOCKING", "STATUS"]
    assert out["DATASET"].to_list() == order == ["adsl", "adrs", "adtte", "adae", "adex"]
    variables = SPEC.variables
    for row in out.iter_rows(named=True):
        spec = variables[row["DATASET"] == variables.DATASET]
        n, n_char, n_coded = len(spec), int((spec.TYPE == "Char").sum()), int(spec.CODELIST.notna().sum())
        # 3 per dataset (columns, key variables, unique keys) + type and name per variable +
        # 2 lengths per Char variable + 2 label checks per variable and for the dataset +
        # codelist per coded variable + the dataset's name
        assert row["CHECKS"] == 3 + 2 * n + 2 * n_char + 2 * (n + 1) + n_coded + 1, row
    status = dict(zip(out["DATASET"], zip(out["FAILED"], out["BLOCKING"], out["STATUS"])))
    assert status["adex"] == (1, 1, "1 failed")  # the duplicated key
    assert status["adtte"] == (1, 0, "1 listed (not blocking)")  # the 41-character label
    assert status["adsl"] == status["adrs"] == status["adae"] == (0, 0, "passed")


def test_conformance_failures_list_blocking_first(conformance_report):
    out = data_quality_views.conformance_failures(conformance_report)
    assert out.columns == [
        "DATASET",
        "CHECK_ID",
        "VARIABLE",
        "FIRST_KEY",
        "UNEXPECTED_COUNT",
        "BLOCKS",
        "MESSAGE",
    ]
    assert out.height == int((~conformance_report["PASSED"]).sum()) == 2  # the key, the label
    first = out.row(0, named=True)
    assert (first["DATASET"], first["CHECK_ID"], first["BLOCKS"], first["UNEXPECTED_COUNT"]) == (
        "adex",
        "unique_keys",
        "yes",
        2,
    )
    assert first["FIRST_KEY"] == "USUBJID=AAA, PARAMCD=AAA, EXTRT=AAA"  # the spec-made first row
    assert out.row(1, named=True)["DATASET"] == "adtte" and out["BLOCKS"].to_list() == ["yes", "no"]


def test_export_files_or_none():
    assert data_quality_views.export_files(None) is None
    empty = pl.DataFrame(
        schema={"DATASET": pl.String, "FILE": pl.String, "FORMAT": pl.String, "BYTES": pl.Int64}
    )
    assert data_quality_views.export_files(empty) is None
    exports = pl.DataFrame(
        {
            "DATASET": ["adsl", "adae", "adsl"],
            "FILE": ["adsl.json", "adae.xpt", "adsl.xpt"],
            "FORMAT": ["DATASET-JSON", "XPT", "XPT"],
            "RECORDS": [34, 120, 34],
            "BYTES": [51_234, 999, 1_500_000],
            "SHA256": ["a" * 64, "b" * 64, "c" * 64],
        }
    )
    out = data_quality_views.export_files(exports)
    assert out["FILE"].to_list() == ["adsl.json", "adae.xpt", "adsl.xpt"]
    assert out["SIZE"].to_list() == ["51.2 kB", "999 B", "1.5 MB"]  # 51,234 / 1,000; 1,500,000 / 10^6


# --------------------------------------------------------------------------- RTF/PDF downloads
def _manifest(**rows: tuple) -> pl.DataFrame:
    """``submission.tlf_outputs`` rows: OUTPUT_ID -> (TABLE_ID, FORMAT, FILE, SHA256, NOTE)."""
    return pl.DataFrame(
        [(k, *v) for k, v in rows.items()],
        schema=["OUTPUT_ID", "TABLE_ID", "FORMAT", "FILE", "SHA256", "NOTE"],
        orient="row",
    )


def test_output_download_offers_the_file_of_the_manifest_only(tmp_path):
    import hashlib

    body = b"{\\rtf1 Table 3}"
    (tmp_path / "t03_response.rtf").write_bytes(body)
    sha = hashlib.sha256(body).hexdigest()
    outputs = _manifest(
        a=("T3", "RTF", "t03_response.rtf", sha, None),
        b=("T3", "PDF", None, None, "LibreOffice (soffice) is not installed"),
        c=("T1", "RTF", "t01_demographics.rtf", sha, None),
        d=("T4", "RTF", "t03_response.rtf", "0" * 64, None),
        e=("T5", "RTF", "../outside.rtf", sha, None),
    )
    ok = tables_views.output_download(outputs, "T3", "RTF", tmp_path)
    assert (ok.data, ok.file_name, ok.mime, ok.label) == (
        body,
        "t03_response.rtf",
        "application/rtf",
        "Download Table 3 (RTF)",
    )
    assert ok.caption is None
    not_written = tables_views.output_download(outputs, "T3", "PDF", tmp_path)
    assert not_written.data is None
    assert not_written.caption == "Table 3 PDF was not written: LibreOffice (soffice) is not installed."
    missing = tables_views.output_download(outputs, "T1", "RTF", tmp_path)
    assert missing.data is None and "is not in the TLF folder" in missing.caption
    changed = tables_views.output_download(outputs, "T4", "RTF", tmp_path)
    assert changed.data is None and "SHA-256 differs" in changed.caption
    (tmp_path.parent / "outside.rtf").write_bytes(body)  # right bytes, outside the folder
    outside = tables_views.output_download(outputs, "T5", "RTF", tmp_path)
    assert outside.data is None and "is not in the TLF folder" in outside.caption
    unlisted = tables_views.output_download(outputs, "T6", "PDF", tmp_path)
    assert (
        unlisted.data is None and unlisted.caption == "Table 6 PDF: the published build lists no such file."
    )


def test_paper_tables_trace_cells_to_result_ids(results, order):
    t3 = tables_views.paper_tables(results, order)[2]
    row = t3.frame[t3.frame.columns[0]].to_list().index("VGPR or better (CR + VGPR)")
    assert t3.sources[row] == (
        ("T3|VGPR_OR_BETTER|n", "T3|VGPR_OR_BETTER|pct"),
        ("T3|VGPR_OR_BETTER|ci_lo", "T3|VGPR_OR_BETTER|ci_hi"),
    )
    t2 = tables_views.paper_tables(results, order)[1]
    assert t2.sources[5][3] == ()  # the combination's RDI: a dash the paper prints, no figure
    assert len(t3.sources) == t3.frame.height and len(t3.levels) == t3.frame.height


def test_table7_footnotes_a_known_inconsistency_with_both_figures(results, order):
    known = pl.DataFrame(
        {
            "TABLE_ID": ["T7", "T7"],
            "ITEM": ["GROUP=Dermatologic disorders", "GROUP=Nausea"],
            "STAT": ["related_grade3plus", "related"],
            "EXPLANATION": ["Source inconsistency: 9 vs 8.", "Table 7 wins."],
            "PUBLISHED": ["8", "9"],
        }
    )
    # the warehouse's figure: 9 (the published frame has the paper's 8)
    nine = results.with_columns(
        pl.when((pl.col("ITEM") == "GROUP=Dermatologic disorders") & (pl.col("STAT") == "related_grade3plus"))
        .then(pl.lit("9"))
        .otherwise(pl.col("VALUE_TEXT"))
        .alias("VALUE_TEXT")
    )
    notes = tables_views.paper_tables(nine, order, known)[6].footnotes
    flagged = [n for n in notes if n.startswith("Known inconsistency")]
    assert flagged == [
        "Known inconsistency of the paper: Dermatologic disorders, ≥ Grade 3: drug related: "
        "published n = 8, warehouse n = 9. Source inconsistency: 9 vs 8."
    ]  # Nausea's published 9 is what the warehouse prints: no footnote
    assert (
        notes[-1] == "Data cutoff: 2019-10-18" and "Analysis set: safety analysis set (SAF), N = 34" in notes
    )


def test_subjects_shown_caption_says_what_is_drawn():
    from app.views import subjects as sv

    assert sv.shown_caption(16, 16) is None
    assert sv.shown_caption(1_000, 36_305).startswith(
        "Showing the first 1,000 of 36,305 subjects (by USUBJID)"
    )
