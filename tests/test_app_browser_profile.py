"""The subject profile in a real browser (headless Debian chromium, tests/support/page_server.py):
opened by its address and from the link column of the subjects page. Screenshot:
build/screenshots/subject_profile.png (and subject_profile_from_subjects.png).
"""

from __future__ import annotations

import time

import duckdb
import pytest
from playwright.sync_api import Page, expect

from app.views.links import profile_url
from tests.support.browser import RENDER_TIMEOUT_MS, settle, shot


def _settle(page: Page) -> None:
    settle(page, pause_ms=800)  # the timeline chart draws after the run ends


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 3200})
    try:
        yield ctx
    finally:
        ctx.close()


def test_profile_of_a_subject_with_sae_and_confirmed_pd(server, context, demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        usubjid, age, sex = con.execute(
            "select s.USUBJID, s.AGE, s.SEX from adam.adsl as s where exists (select 1 from adam.adae as a "
            "where a.USUBJID = s.USUBJID and a.AESER = 'Y') and exists (select 1 from adam.adrs as r "
            "where r.USUBJID = s.USUBJID and r.PARAMCD = 'PDCNF') order by s.USUBJID limit 1"
        ).fetchone()
    page = context.new_page()
    start = time.monotonic()
    page.goto(f"{server}/{profile_url(usubjid)}")
    chart = page.locator('[data-testid="stPlotlyChart"]')
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    _settle(page)
    elapsed = time.monotonic() - start
    expect(page.get_by_text(f"{age} / {sex}", exact=True)).to_be_visible()
    # the figure's title is the subject, and its legend names the marks the monitor looks for
    expect(chart.get_by_text(usubjid, exact=True)).to_be_visible()
    for name in ("confirmed PD (PDCNF)", "serious (AESER)", "new/changed in the latest transfer"):
        expect(chart.get_by_text(name, exact=True)).to_be_visible()
    shot(page, "subject_profile")
    # the selectbox shows the subject of the address
    expect(page.get_by_role("combobox", name="Subject")).to_have_value(usubjid)
    # hovering a mark names its source; clicking it shows the raw record under the table
    point = chart.locator("g.points path.point").nth(3)
    point.hover(force=True)
    expect(
        chart.locator(".hoverlayer").get_by_text(f"source: site {usubjid.split('-')[1]}", exact=False)
    ).to_be_visible()
    assert page.locator('[data-testid="stDataFrame"]').count() == 1  # the marks only
    point.click(force=True)
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2, timeout=RENDER_TIMEOUT_MS)
    _settle(page)
    expect(page.get_by_text("Click a mark of the figure", exact=False)).to_have_count(0)
    shot(page, "subject_profile_clicked")
    assert elapsed < 60, elapsed  # first render of a fresh server on a 2-core machine


def test_subjects_page_link_opens_the_profile(server, context):
    page = context.new_page()
    page.goto(f"{server}/subjects")
    expect(page.get_by_text("Subjects found", exact=True)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    _settle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    assert box is not None
    # the first column is the link column ("open profile"); its first row (header ~35 px): the
    # grid's first click selects the cell, a click on the selected link opens it in a new tab
    page.mouse.click(box["x"] + 45, box["y"] + 35 + 17)
    page.wait_for_timeout(1000)
    shot(page, "subjects_profile_links")
    with context.expect_page(timeout=RENDER_TIMEOUT_MS) as opened:
        page.mouse.click(box["x"] + 45, box["y"] + 35 + 17)
    profile = opened.value
    profile.wait_for_load_state()
    assert "/subject_profile?usubjid=" in profile.url
    expect(profile.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    _settle(profile)
    shot(profile, "subject_profile_from_subjects")
