"""The pages' first render: `streamlit run streamlit_app.py` on a built DuckDB file, timed in
Debian chromium through Playwright (never a downloaded browser), as tests/test_app_browser.py
runs it.

Every page of :data:`PAGES` is timed on its own freshly started server (cold: the first
session, Streamlit imports the page's modules and runs every query of it) from
``page.goto`` of its address until its main content is drawn (:class:`PageSpec`
``selectors``: every one present, and no exception or "not built" message); then again in a
new browser context (a new session) on the same, now warm, server. The subject profile is
opened with the first subject of ``adam.adsl`` and, warm, with the second one (a subject
whose own queries are not cached yet: what a monitor clicking through the listing sees).
A page that ``streamlit_app.py`` does not register is reported as such, not opened.

Before the pages, the page floor (:data:`FLOOR_SPECS`, ``benchmarks/page_floor_app.py``: a
metric card and a table, or a chart, no data) is timed the same way, so that each page's warm
render is also quoted as a ratio to what Streamlit and this browser cost on this machine in
this run.

The home page (Summary) keeps its own row in the main table: ``first_s`` (metric cards and
the Kaplan-Meier chart's SVG), ``first_metrics_s`` (the cards alone) and ``warm_s``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the page server is test support (tests/support), not installed
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_report as R  # noqa: E402

from tests.support.page_server import CHROMIUM, CHROMIUM_ARGS, ServerError, start_server, stop_server  # noqa: E402

HEALTH_TIMEOUT_S = 90
RENDER_TIMEOUT_MS = 180_000

METRIC = '[data-testid="stMetricValue"]'
PLOT = '[data-testid="stPlotlyChart"] .main-svg'
GRID = '[data-testid="stDataFrame"]'
TABLE = '[data-testid="stTable"]'


@dataclass(frozen=True)
class PageSpec:
    """One page and what "drawn" means for it: every CSS selector present."""

    name: str  # url path (summary = the default page, opened as "/")
    selectors: tuple[str, ...]
    needs_subject: bool = False  # opened with ?usubjid=<first subject of adsl>
    path: str | None = None  # the address when it is not /<name> (the floor pages)

    @property
    def floor(self) -> str:
        """The floor page it is compared with: the chart floor when it waits for a chart."""
        if self.name in R.FLOOR_PAGES:
            return ""
        return R.FLOOR_CHART if PLOT in self.selectors else R.FLOOR_TABLE


#: Every page and its main content (a page streamlit_app.py does not register is reported
#: as such).
PAGES = (
    PageSpec("summary", (METRIC, PLOT)),  # headline cards + Kaplan-Meier chart
    PageSpec("tables", (TABLE,)),  # Tables 1-8 (st.table)
    PageSpec("published", (METRIC, GRID)),  # match counts + the comparison listing
    PageSpec("data_quality", (METRIC, GRID)),  # freshness cards + transfers per site
    PageSpec("subjects", (METRIC, GRID)),  # figure vs subjects found + subjects
    PageSpec("subject_profile", (PLOT, GRID), needs_subject=True),  # timeline chart + its records
    PageSpec("response_plots", (PLOT,)),  # a drawn response chart
    PageSpec("adverse_events", (METRIC, GRID)),  # counts + the AE listing
)

#: The page floor (benchmarks/page_floor_app.py on its own fresh server): Streamlit's front end
#: with a metric card and a table, or with a chart - no data read.
FLOOR_APP = "benchmarks/page_floor_app.py"
FLOOR_SPECS = (
    PageSpec(R.FLOOR_TABLE, (METRIC, TABLE), path="/"),
    PageSpec(R.FLOOR_CHART, (METRIC, PLOT), path="/?chart=1"),
)

#: Polled in the page: true once every selector is drawn, or a text saying why it never will be.
_STATE_JS = """(selectors) => {
  if (document.querySelector('[data-testid="stException"]')) return 'exception';
  const text = document.body ? document.body.innerText : '';
  if (text.includes('is not completely built') || text.includes('has not been built yet')) return 'not built';
  if (text.includes('is being rebuilt right now')) return 'busy';
  return selectors.every((s) => !!document.querySelector(s)) || false;
}"""


@dataclass
class PageResult:
    first_s: float | None = None  # home page: goto -> metric cards and chart drawn (cold server)
    first_metrics_s: float | None = None  # home page: goto -> metric cards drawn (cold server)
    warm_s: float | None = None  # home page: the same in a new session on the warm server
    note: str = ""
    pages: list[R.PageTiming] = field(default_factory=list)  # every page, cold and warm


class PageError(RuntimeError):
    """An expected failure of the page measurement (said in the results, no traceback)."""


def _wait(page, selectors: tuple[str, ...]) -> None:
    state = page.wait_for_function(_STATE_JS, arg=list(selectors), timeout=RENDER_TIMEOUT_MS).json_value()
    if state is not True:
        raise PageError(f"page shows '{state}' instead of its content")


def _load(browser, url: str, steps: tuple[tuple[str, ...], ...]) -> list[float]:
    """Seconds from goto until each of ``steps`` (selector sets, in order) is drawn, in a new
    browser context (a new Streamlit session)."""
    context = browser.new_context(viewport={"width": 1440, "height": 2200})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url)
        out = []
        for selectors in steps:
            _wait(page, selectors)
            out.append(time.perf_counter() - start)
        return out
    finally:
        context.close()


def first_subjects(db: Path, n: int = 2) -> list[str]:
    """The first ``n`` USUBJIDs of ``adam.adsl`` (read-only), empty when unreadable."""
    try:
        import duckdb

        with duckdb.connect(str(db), read_only=True) as con:
            return [
                r[0]
                for r in con.execute("select USUBJID from adam.adsl order by USUBJID limit ?", [n]).fetchall()
            ]
    except Exception:  # the page then says what is wrong with the file
        return []


def address(spec: PageSpec, subject: str | None = None) -> str:
    """The page's path and query (``/``, ``/tables``, ``/subject_profile?usubjid=...``)."""
    if spec.path is not None:
        return spec.path
    path = "/" if spec.name == "summary" else f"/{spec.name}"
    if spec.needs_subject and subject:
        from app.views.links import SUBJECT_PARAM

        path += f"?{SUBJECT_PARAM}={quote(subject, safe='')}"
    return path


def _time_page(browser, url: str, spec: PageSpec, subjects: list[str], result: PageResult) -> None:
    """Cold and warm loads of one page on a freshly started server at ``url``."""
    first = subjects[0] if subjects else None
    where = address(spec, first)
    if spec.name == "summary":
        metrics_s, first_s = _load(browser, url + where, ((METRIC,), spec.selectors))
        result.first_metrics_s, result.first_s = metrics_s, first_s
    else:
        (first_s,) = _load(browser, url + where, (spec.selectors,))
    result.pages.append(R.PageTiming(spec.name, R.COLD, first_s, address=where, floor=spec.floor))
    (warm_s,) = _load(browser, url + where, (spec.selectors,))
    if spec.name == "summary":
        result.warm_s = warm_s
    result.pages.append(R.PageTiming(spec.name, R.WARM, warm_s, address=where, floor=spec.floor))
    if spec.needs_subject and len(subjects) > 1:
        other = address(spec, subjects[1])
        (other_s,) = _load(browser, url + other, (spec.selectors,))
        result.pages.append(R.PageTiming(spec.name, R.WARM_OTHER, other_s, address=other, floor=spec.floor))


def _not_measured(spec: PageSpec, note: str, subjects: list[str]) -> list[R.PageTiming]:
    kinds = [R.COLD, R.WARM] + ([R.WARM_OTHER] if spec.needs_subject else [])
    where = address(spec, subjects[0] if subjects else None)
    return [R.PageTiming(spec.name, kind, None, note=note, address=where, floor=spec.floor) for kind in kinds]


def measure(
    db: Path, log: Path, pages: tuple[PageSpec, ...] = PAGES, floors: tuple[PageSpec, ...] = FLOOR_SPECS
) -> PageResult:
    """Cold (own fresh server) and warm render of the floor pages, then of every page on ``db``;
    errors go in notes."""
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
    registered = R.registered_url_paths((REPO / "streamlit_app.py").read_text()) | {"summary"}
    subjects = first_subjects(db)
    result = PageResult()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for spec in floors + pages:
                is_floor = spec in floors
                if not is_floor and spec.name not in registered:
                    result.pages += _not_measured(spec, R.NOT_REGISTERED, subjects)
                    continue
                server_log = log.with_name(f"{log.stem}_{spec.name.replace(': ', '_')}.log")
                try:  # a fresh server per page: its first render is a cold one
                    proc, url = start_server(
                        db, server_log, HEALTH_TIMEOUT_S, script=FLOOR_APP if is_floor else "streamlit_app.py"
                    )
                except ServerError as exc:
                    result.pages += _not_measured(spec, str(exc).splitlines()[0], subjects)
                    continue
                try:
                    _time_page(browser, url, spec, subjects, result)
                except PageError as exc:
                    done = {(t.page, t.kind) for t in result.pages}
                    result.pages += [
                        t for t in _not_measured(spec, str(exc), subjects) if (t.page, t.kind) not in done
                    ]
                except PlaywrightError as exc:
                    done = {(t.page, t.kind) for t in result.pages}
                    note = f"browser: {str(exc).splitlines()[0]}"
                    result.pages += [
                        t for t in _not_measured(spec, note, subjects) if (t.page, t.kind) not in done
                    ]
                finally:
                    stop_server(proc)
        finally:
            browser.close()
    home = [t for t in result.pages if t.page == "summary" and t.note]
    if home:
        result.note = f"home page: {home[0].note}"
    return result


if __name__ == "__main__":  # python benchmarks/bench_page.py DB: measure one file
    measured = measure(Path(sys.argv[1]).resolve(), REPO / "build" / "bench" / "page_server.log")
    print(R.pages_table(Path(sys.argv[1]).name, measured.pages))
