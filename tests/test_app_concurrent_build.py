"""The page stays usable while the nightly `dbt build` runs for the DuckDB file it reads.

A copy of the session's demo warehouse (its published file) is served; every page is loaded
once (a user has the page open), then a real `dbt build` of the same demo delivery runs for
that very file - writing its work file beside it and, at its end, renaming a new published
file over it - while the pages are loaded again and again with AppTest in this process (the
same app.data code a server runs: read-only open per query, closed at once). Both must
succeed: dbt exits 0 and every page load renders its key figures without an exception. The
published file is never locked by the build, so no load has to fall back on an earlier
answer; the pages say that a build is running (the work file is locked); afterwards they
read the new build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest
from conftest import REPO, run_dbt
from streamlit.testing.v1 import AppTest

from app import data as app_data

APP = str(REPO / "streamlit_app.py")
MAX_LOADS = 300  # bound on page loads during the build
BUILD_TIMEOUT_S = 1200  # bound on the build (a demo build takes well under this)
PAUSE_S = 0.1  # between page loads (a user pressing reload quickly)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(at: AppTest) -> str:
    return "\n".join(
        str(e.value)
        for kind in ("markdown", "caption", "info", "warning", "success", "error")
        for e in getattr(at, kind)
    )


def _check_summary(at: AppTest) -> None:
    m = _metrics(at)
    assert m["VGPR or better"] == "50.0%" and m["Median PFS"] == "22.0 months", m
    assert "31.9–68.1" in _texts(at)
    assert len(at.get("plotly_chart")) == 1


def _check_tables(at: AppTest) -> None:
    t3 = at.table[2].value
    assert ("16 (50.0)", "(31.9, 68.1)") in {(r.iloc[1], r.iloc[2]) for _, r in t3.iterrows()}


def _check_published(at: AppTest) -> None:
    m = _metrics(at)
    assert int(m["Published figures"]) > 0 and len(at.dataframe[0].value) == int(m["Published figures"])


def _check_data_quality(at: AppTest) -> None:
    m = _metrics(at)
    assert m["Newest transfer"] not in ("", "–") and len(at.dataframe[0].value) > 0


def _check_subjects(at: AppTest) -> None:
    m = _metrics(at)
    assert m["Figure in the table"] == "16" and m["Subjects found"] == "16", m


PAGES = {
    "summary": _check_summary,
    "tables": _check_tables,
    "published": _check_published,
    "data_quality": _check_data_quality,
    "subjects": _check_subjects,
}


def load(page: str) -> AppTest:
    """One page load as a new session: entry point, then the page; key content checked."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    if page != "summary":
        at.switch_page(f"app/pages/{page}.py")
        at.run()
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    assert "being rebuilt right now" not in _texts(at), page
    assert "not completely built" not in _texts(at) and "has not been built" not in _texts(at), page
    PAGES[page](at)
    return at


def test_pages_load_while_dbt_builds_the_same_file(demo_delivery, demo_warehouse, tmp_path, monkeypatch):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, db)
    monkeypatch.setenv("CTWH_DB", str(db))

    for page in PAGES:  # the pages are open before the nightly build starts
        load(page)
    before = app_data.build_key()

    loads: list[tuple[str, float, bool]] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        build = pool.submit(
            run_dbt, ["build"], db=db, extracts=demo_delivery, target=tmp_path / "dbt", check=False
        )
        start = time.monotonic()
        while not build.done() and len(loads) < MAX_LOADS and time.monotonic() - start < BUILD_TIMEOUT_S:
            page = list(PAGES)[len(loads) % len(PAGES)]
            t0 = time.monotonic()
            at = load(page)
            infos = "\n".join(str(i.value) for i in at.info)
            loads.append(
                (
                    page,
                    time.monotonic() - t0,
                    "shows the previous build" in infos,
                    "A `dbt build` is running now" in infos,
                )
            )
            time.sleep(PAUSE_S)
        proc = build.result(timeout=BUILD_TIMEOUT_S)

    assert proc.returncode == 0, (
        f"dbt build failed while the page was read:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    )
    # the pages really were loaded while dbt was writing the file
    assert len(loads) >= len(PAGES), loads
    after = app_data.build_key()
    assert after is not None and after != before
    # the new build is on show: the one the work file says was the latest, and it published
    with duckdb.connect(str(app_data.work_db_path(db)), read_only=True) as con:
        (built,) = con.execute("select BUILD_ID from validation.build_info").fetchone()
    shown = app_data.publication_status().row(0, named=True)
    assert shown["PUBLISHED_BUILD_ID"] == built == shown["LATEST_BUILD_ID"] and shown["STALE"] is False

    # after the build: every page reads the new build, with no notice
    for page in PAGES:
        at = load(page)
        infos = [str(i.value) for i in at.info]
        assert not any("shows the previous build" in i or "is running now" in i for i in infos), page
    served_previous = sum(1 for _, _, previous, _ in loads if previous)
    running = sum(1 for *_, running in loads if running)
    slowest = max(seconds for _, seconds, *_ in loads)
    print(
        f"{len(loads)} page loads during the build, {running} said a build is running, "
        f"{served_previous} served the previous build, slowest {slowest:.2f} s"
    )
    # the build writes the work file: it never locked the published file the pages read
    assert served_previous == 0, "a page load met a lock on the published file"
    # ... and the loads did happen while dbt held the work file (the build was running)
    assert running >= 1, "no page load saw the running build: the test did not exercise it"


WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])                      # read-write: holds the file lock
con.execute("insert into results.t values (44)")      # a commit (write-ahead log grows)
print("holding", flush=True)
sys.stdin.read()                                       # until the test closes stdin
con.close()
"""


def test_query_never_holds_the_file_and_survives_a_writer(tmp_path, monkeypatch):
    """app.data on a real DuckDB file with a real second process: the file is free between
    queries (a writer opens it at once), a writer's lock is met with the last result, a
    query never answered before says the warehouse is busy, and the new state is read
    once the writer has gone."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema results; create table results.t as select 42 as X")
    monkeypatch.setenv("CTWH_DB", str(db))
    sql = "select X from results.t order by X"
    assert app_data.query(sql)["X"].to_list() == [42]

    # nothing is held between queries: another process writes at once
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import duckdb; duckdb.connect({str(db)!r}).execute('insert into results.t values (43)')",
        ],
        check=True,
        timeout=60,
    )
    assert app_data.query(sql)["X"].to_list() == [42, 43]

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        start = time.monotonic()
        assert app_data.query(sql)["X"].to_list() == [42, 43]  # the previous state
        assert time.monotonic() - start < 5  # brief retries only
        with pytest.raises(app_data.WarehouseBusy):
            app_data.query("select count(*) as N from results.t")  # never answered before
    finally:
        writer.communicate("", timeout=60)
    assert writer.returncode == 0
    assert app_data.query(sql)["X"].to_list() == [42, 43, 44]  # the writer's state
