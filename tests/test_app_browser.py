"""The app in a real browser: a `streamlit run` server on the demo warehouse, driven by
Debian's chromium through Playwright (sync API). Screenshots go to build/screenshots/.

Chromium is the system one (/usr/bin/chromium, installed by scripts/install_system_deps.sh);
no browser is ever downloaded.
"""

from __future__ import annotations

import json
import time

from playwright.sync_api import expect

from tests.support.browser import RENDER_TIMEOUT_MS, SCREENSHOTS, settle, shot


def test_every_page_in_chromium(server, page, record_property):
    timings = {}

    # Summary (cold: the first request to a fresh server)
    start = time.monotonic()
    page.goto(f"{server}/")
    expect(page.get_by_text("50.0%", exact=True)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    timings["summary_first_render_s"] = round(time.monotonic() - start, 2)
    expect(page.get_by_text("31.9–68.1", exact=False)).to_be_visible()
    expect(page.get_by_text("22.0 months", exact=True)).to_be_visible()
    expect(page.get_by_text("84.4%", exact=True)).to_be_visible()
    expect(page.get_by_text("28.1 months", exact=True)).to_be_visible()
    expect(page.get_by_text("17.3–NE", exact=False)).to_be_visible()
    settle(page)
    # the Kaplan-Meier figure: numbers at risk drawn under the axis, starting with all 34 subjects
    expect(page.locator('[data-testid="stPlotlyChart"]').get_by_text("At risk")).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"] text', has_text="34").first).to_be_attached()
    shot(page, "summary")

    # Summary again (warm cache, new session)
    start = time.monotonic()
    page.reload()
    expect(page.get_by_text("50.0%", exact=True)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    timings["summary_warm_render_s"] = round(time.monotonic() - start, 2)

    # Tables 1-7
    start = time.monotonic()
    page.goto(f"{server}/tables")
    expect(page.get_by_text("19 (56)", exact=True)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    timings["tables_render_s"] = round(time.monotonic() - start, 2)
    settle(page)
    shot(page, "tables_table1")
    page.get_by_role("tab", name="Table 3").click()
    expect(page.get_by_text("16 (50.0)", exact=True)).to_be_visible()
    expect(page.get_by_text("(31.9, 68.1)", exact=True)).to_be_visible()
    shot(page, "tables_table3")
    page.get_by_role("tab", name="Table 7").click()
    panel = page.locator('[role="tabpanel"]:visible')
    expect(panel.get_by_text("Neutropenia", exact=True)).to_be_visible()
    expect(panel.get_by_text("14 (41)", exact=True).first).to_be_visible()
    shot(page, "tables_table7")

    # Published vs warehouse
    page.goto(f"{server}/published")
    expect(page.get_by_text("Published figures", exact=True)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("Reproduced", exact=True)).to_be_visible()
    settle(page)
    shot(page, "published")

    # Data quality
    page.goto(f"{server}/data_quality")
    expect(page.get_by_text("Transfers per site", exact=True)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("Newest transfer", exact=True)).to_be_visible()
    settle(page)
    shot(page, "data_quality")

    # Subjects behind a number
    page.goto(f"{server}/subjects")
    expect(page.get_by_text("Subjects found", exact=True)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_role("combobox", name="Table cell")).to_have_value(
        "Table 3 · VGPR or better (CR + VGPR)"
    )
    metrics = page.locator('[data-testid="stMetricValue"]')
    expect(metrics).to_have_text(["16", "16"])
    settle(page)
    shot(page, "subjects")

    for key, value in timings.items():
        record_property(key, value)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print("render timings:", timings)
    # generous bound on a 2-core machine; the measured value is in timings.json
    assert timings["summary_first_render_s"] < 60
