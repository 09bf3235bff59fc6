"""The page's first render: `streamlit run streamlit_app.py` on a built DuckDB file, timed in
Debian chromium through Playwright (never a downloaded browser), as tests/test_app_browser.py
runs it.

First render = from ``page.goto`` of the home page (Summary) on a freshly started server
(cold cache, first session) until its main content is drawn: the headline metric cards
(``stMetricValue``) and the Kaplan-Meier chart's SVG. The warm load is the same in a new
browser context (new session) on the same server, whose data cache is then warm.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the page server is test support (tests/support), not installed

from tests.support.page_server import CHROMIUM, CHROMIUM_ARGS, ServerError, start_server, stop_server  # noqa: E402

HEALTH_TIMEOUT_S = 90
RENDER_TIMEOUT_MS = 180_000

#: Polled in the page: true once ``what`` is drawn, or a text saying why it never will be.
_STATE_JS = """(what) => {
  if (document.querySelector('[data-testid="stException"]')) return 'exception';
  const text = document.body ? document.body.innerText : '';
  if (text.includes('is not completely built') || text.includes('has not been built yet')) return 'not built';
  if (text.includes('is being rebuilt right now')) return 'busy';
  const metric = document.querySelector('[data-testid="stMetricValue"]');
  const chart = document.querySelector('[data-testid="stPlotlyChart"] .main-svg');
  return (what === 'metrics' ? !!metric : !!(metric && chart)) || false;
}"""


@dataclass
class PageResult:
    first_s: float | None = None  # goto -> metric cards and chart drawn (cold server)
    first_metrics_s: float | None = None  # goto -> metric cards drawn (cold server)
    warm_s: float | None = None  # the same in a new session on the warm server
    note: str = ""


class PageError(RuntimeError):
    """An expected failure of the page measurement (said in the results, no traceback)."""


def _wait(page, what: str) -> None:
    state = page.wait_for_function(_STATE_JS, arg=what, timeout=RENDER_TIMEOUT_MS).json_value()
    if state is not True:
        raise PageError(f"home page shows '{state}' instead of its content")


def _load(browser, url: str) -> tuple[float, float]:
    """Seconds from goto to the metric cards, and to the whole main content (cards and
    chart), in a new browser context (a new Streamlit session)."""
    context = browser.new_context(viewport={"width": 1440, "height": 2200})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url)
        _wait(page, "metrics")
        metrics = time.perf_counter() - start
        _wait(page, "content")
        return metrics, time.perf_counter() - start
    finally:
        context.close()


def measure(db: Path, log: Path) -> PageResult:
    """First (cold server) and warm render of the home page on ``db``; errors go in ``note``."""
    if not CHROMIUM.exists():
        return PageResult(note=f"chromium missing ({CHROMIUM}; scripts/install_system_deps.sh)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        return PageResult(note="playwright not installed (pip install -e '.[test]')")
    if not db.exists():
        return PageResult(note=f"no warehouse file {db}")
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc, url = start_server(db, log, timeout_s=HEALTH_TIMEOUT_S)
    except ServerError as exc:
        return PageResult(note=str(exc).splitlines()[0])
    result = PageResult()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                result.first_metrics_s, result.first_s = _load(browser, f"{url}/")
                result.warm_s = _load(browser, f"{url}/")[1]
            finally:
                browser.close()
    except PageError as exc:
        result.note = str(exc)
    except PlaywrightError as exc:
        result.note = f"browser: {str(exc).splitlines()[0]}"
    finally:
        stop_server(proc)
    return result


if __name__ == "__main__":  # python benchmarks/bench_page.py DB: measure one file
    measured = measure(Path(sys.argv[1]).resolve(), REPO / "build" / "bench" / "page_server.log")
    print(measured)
