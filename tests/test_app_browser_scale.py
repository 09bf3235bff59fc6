"""The new review pages in chromium on a scale delivery (300 subjects, 3 transfers: the
session's ``scale_build``): each draws its content, and the numbers it shows are those SQL
on the published file gives here. Screenshots: build/screenshots/scale_<page>.png.

The subject profile and the response plots (other helpers' pages) are opened at their url
paths (subject_profile, response_plots) once streamlit_app.py registers them; until then
their tests skip, saying so.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import REPO, SCALE_SUBJECTS, sql_rows
from playwright.sync_api import Page, expect

from tests.support.browser import RENDER_TIMEOUT_MS, settle, shot
from tests.support.page_server import start_server, stop_server

sys.path.insert(0, str(REPO / "benchmarks"))
import bench_report

REGISTERED = bench_report.registered_url_paths((REPO / "streamlit_app.py").read_text())


def _needs(url_path: str) -> None:
    if url_path not in REGISTERED:
        pytest.skip(f"page '{url_path}' is not registered in streamlit_app.py yet (another helper's page)")


@pytest.fixture(scope="module")
def scale_db(scale_build) -> Path:
    db, _ = scale_build
    assert sql_rows(db, "select count(*) from adam.adsl")[0][0] == SCALE_SUBJECTS
    return db


@pytest.fixture(scope="module")
def server(scale_db, tmp_path_factory):
    proc, url = start_server(scale_db, tmp_path_factory.mktemp("streamlit_scale") / "server.log")
    try:
        yield url
    finally:
        stop_server(proc)


def _metric(page: Page, label: str):
    card = page.locator('[data-testid="stMetric"]', has_text=label)
    return card.locator('[data-testid="stMetricValue"]')


def test_adverse_events_at_scale(server, page, scale_db):
    _needs("adverse_events")
    total = sql_rows(scale_db, "select count(*) from adam.adae")[0][0]
    assert total > 1000  # the scale delivery has more AEs than the listing shows
    page.goto(f"{server}/adverse_events")
    expect(_metric(page, "Matching records")).to_have_text(f"{total:,}", timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text(f"Showing the first 1,000 of {total:,} matching records")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(page.get_by_role("button", name="Download CSV")).to_be_visible()
    settle(page)
    shot(page, "scale_adverse_events")
    # a filter: grade >= 3, counted here
    severe = sql_rows(scale_db, "select count(*) from adam.adae where AETOXGR >= 3")[0][0]
    page.get_by_label("Grade").click()  # the selectbox
    page.get_by_role("option", name="≥ 3").click()
    expect(_metric(page, "Matching records")).to_have_text(f"{severe:,}", timeout=RENDER_TIMEOUT_MS)
    settle(page)
    shot(page, "scale_adverse_events_grade3")


def test_data_quality_new_since_last_transfer_at_scale(server, page, scale_db):
    _needs("data_quality")
    newest = sql_rows(scale_db, "select max(LATEST_TRANSFER_ID) from intermediate.int_edc__site_summary")[0][
        0
    ]
    page.goto(f"{server}/data_quality")
    expect(_metric(page, "Newest transfer")).to_have_text(newest, timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="New since the last transfer")).to_be_visible()
    has_changes = sql_rows(
        scale_db,
        "select count(*) from information_schema.tables where table_schema = 'intermediate' "
        "and table_name = 'int_edc__changes_by_form'",
    )[0][0]
    if has_changes:
        n_new, n_changed, n_deleted = sql_rows(
            scale_db,
            "select sum(N_NEW), sum(N_CHANGED), sum(N_DELETED) from intermediate.int_edc__changes_by_form",
        )[0]
        expect(_metric(page, "New records (all sites)")).to_have_text(f"{int(n_new):,}")
        expect(_metric(page, "Changed records")).to_have_text(f"{int(n_changed):,}")
        expect(_metric(page, "Deleted records")).to_have_text(f"{int(n_deleted):,}")
    else:
        expect(page.get_by_text("This build has no change counts")).to_be_visible()
    settle(page)
    shot(page, "scale_data_quality")
    # the section itself (below the transfers and validation tables): scrolled into view
    page.get_by_role("heading", name="New since the last transfer").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    shot(page, "scale_data_quality_new_since_last_transfer", full_page=False)


def test_subject_profile_at_scale(server, page, scale_db):
    _needs("subject_profile")
    from app.views.links import SUBJECT_PARAM

    subject, _site = sql_rows(scale_db, "select USUBJID, SITEID from adam.adsl order by USUBJID limit 1")[0]
    page.goto(f"{server}/subject_profile?{SUBJECT_PARAM}={quote(subject, safe='')}")
    expect(page.get_by_text(subject).first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    settle(page)
    assert page.get_by_text("not completely built").count() == 0
    shot(page, "scale_subject_profile")


def test_response_plots_at_scale(server, page, scale_db):
    _needs("response_plots")
    page.goto(f"{server}/response_plots")
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    settle(page)
    assert page.get_by_text("not completely built").count() == 0
    shot(page, "scale_response_plots")
