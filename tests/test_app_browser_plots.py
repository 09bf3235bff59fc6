"""The swimmer/waterfall/spider page in a real browser (Debian chromium, Playwright): each
plot is drawn with one mark per subject it says it shows; screenshots
build/screenshots/swimmer.png, waterfall.png and spider.png.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from playwright.sync_api import Page, expect

from tests.support.browser import RENDER_TIMEOUT_MS, settle, shot

VIEWPORT_HEIGHT = 2000


def _settle(page: Page) -> None:
    settle(page, pause_ms=800)  # the plots draw after the run ends


def _count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_swimmer_waterfall_and_spider_are_drawn(server, page, demo_warehouse):
    treated = _count(demo_warehouse, "select count(*) from adam.adsl where SAFFL = 'Y'")
    with_bar = _count(
        demo_warehouse, "select count(*) from adam.adsl where SAFFL = 'Y' and MEASFL = 'Y' and RSEVFL = 'Y'"
    )
    page.goto(f"{server}/response_plots")
    expect(page.get_by_text(f"Showing lanes of all {treated} matching subjects.")).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    _settle(page)
    panel = page.locator('[role="tabpanel"]:visible')
    chart = panel.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    # one horizontal bar per lane, the event legend, an ongoing arrow
    assert chart.locator("g.barlayer path").count() == treated
    expect(chart.get_by_text("First VGPR or better")).to_be_visible()
    expect(chart.get_by_text("Treatment ongoing")).to_be_visible()
    expect(chart.get_by_text("Months since the first dose")).to_be_visible()
    # the table of drawn subjects has a link per subject
    expect(panel.get_by_text("Subjects drawn", exact=True)).to_be_visible()
    chart.scroll_into_view_if_needed()
    shot(page, "swimmer")

    page.get_by_role("tab", name="Waterfall").click()
    panel = page.locator('[role="tabpanel"]:visible')
    expect(panel.get_by_text(f"Showing bars of all {with_bar} matching subjects.")).to_be_visible()
    chart = panel.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(800)
    assert chart.locator("g.barlayer path").count() == with_bar
    for label in ("+25%", "−50%", "−90%"):
        expect(chart.get_by_text(label, exact=True)).to_be_visible()
    shot(page, "waterfall")

    page.get_by_role("tab", name="Spider").click()
    panel = page.locator('[role="tabpanel"]:visible')
    expect(panel.get_by_text(f"Showing lines of all {with_bar} matching subjects.")).to_be_visible()
    chart = panel.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(800)
    assert chart.locator("g.scatterlayer path.js-line").count() >= 1
    expect(chart.get_by_text("Study day")).to_be_visible()
    shot(page, "spider")
