"""Shared fixtures: the published figures, the rendered demo delivery and one real
`dbt build` of it per test session (into a temporary DuckDB file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_CSV = REPO / "seeds" / "published_results.csv"


DBT = Path(sys.executable).with_name("dbt")


def submission_root(target: Path) -> Path:
    """CTWH_SUBMISSION_DIR of a test dbt run with target folder ``target``: the submission
    exports of each build stay in its own folder, never the repository's build/submission."""
    return target / "submission"


def tlf_root(target: Path) -> Path:
    """CTWH_TLF_DIR of a test dbt run with target folder ``target`` (as :func:`submission_root`)."""
    return target / "tlf"


def dbt_env(*, db: Path, extracts: Path, target: Path, gx: Path | None = None) -> dict[str, str]:
    """Environment of a dbt run: CTWH_DB is the published file (dbt writes the work file
    beside it, profiles.yml), its own target and log folders, its own submission folder
    (:func:`submission_root`) and its own GX folder
    (``gx``, default ``<target>/gx``: the dozens of builds of a test session do not crowd
    one Data Docs index, which lists the newest 150 results)."""
    return dict(
        os.environ,
        CTWH_DB=str(db),
        CTWH_EXTRACT_ROOT=str(extracts),
        CTWH_SUBMISSION_DIR=str(submission_root(target)),
        CTWH_TLF_DIR=str(tlf_root(target)),
        CTWH_GX_DIR=str(gx or target / "gx"),
        DBT_PROFILES_DIR=str(REPO),
        DBT_TARGET_PATH=str(target / "target"),
        DBT_LOG_PATH=str(target / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )


def run_dbt(
    args: list[str], *, db: Path, extracts: Path, target: Path, check: bool = True, gx: Path | None = None
) -> subprocess.CompletedProcess:
    """Run the real dbt CLI of the project's virtual environment."""
    env = dbt_env(db=db, extracts=extracts, target=target, gx=gx)
    proc = subprocess.run([str(DBT), *args], cwd=REPO, env=env, text=True, capture_output=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def without_site_transfers(src: Path, dst: Path, gone: set[tuple[str, str]]) -> Path:
    """A copy of the delivery ``src`` at ``dst`` in which the site transfers ``gone``
    ((site, transfer) pairs) never arrived: their site folders and manifest lines removed
    (a transfer left with no site loses its folder)."""
    import csv
    import shutil

    shutil.copytree(src, dst, symlinks=True)
    for site, transfer in sorted(gone):
        folder = dst / transfer
        shutil.rmtree(folder / f"site_{site}", ignore_errors=True)
        manifest = folder / "manifest.csv"
        with manifest.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        kept = [rows[0]] + [r for r in rows[1:] if r[0] != site]
        if len(kept) == 1:
            shutil.rmtree(folder)
            continue
        with manifest.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(kept)
    return dst


#: Columns that name the build rather than the data (left out when two builds are compared).
BUILD_COLUMNS = {
    "BUILD_ID",
    "PUBLISHED_BUILD_ID",
    "LATEST_BUILD_ID",
    "PUBLISHED_AT",
    "LATEST_BUILD_AT",
    "RUN_STARTED_AT",
}


def adam_and_results(db: Path) -> dict[str, pl.DataFrame]:
    """Every table of the schemas users read for figures (adam, results), each sorted by all
    its columns, without the columns that name the build: two builds of the same data give
    equal frames."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        names = con.sql(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('adam', 'results') and table_type = 'BASE TABLE' "
            # which build the published file holds (and its extract root): no figure
            "and table_schema || '.' || table_name <> 'results.publication' "
            "order by 1"
        ).fetchall()
        out = {}
        for (name,) in names:
            frame = con.sql(f"select * from {name}").pl()
            frame = frame.drop([c for c in frame.columns if c in BUILD_COLUMNS])
            out[name] = frame.sort(frame.columns, nulls_last=True)
    return out


def render_demo(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "trialgen", "render", "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return out


@pytest.fixture(scope="session")
def published() -> pl.DataFrame:
    """Every published figure (the acceptance test), as shipped in seeds/."""
    return pl.read_csv(PUBLISHED_CSV, schema_overrides={"value": pl.String})


@pytest.fixture(scope="session")
def demo_delivery(tmp_path_factory) -> Path:
    """The demo delivery rendered from the committed cohort."""
    return render_demo(tmp_path_factory.mktemp("demo") / "extracts")


def work_db(db: Path) -> Path:
    """The work file dbt builds beside the published file ``db`` (app_data.work_db_path):
    what a build that published nothing (a partial selection, failed checks) left."""
    from app import data as app_data  # (streamlit) only when asked

    return app_data.work_db_path(db)


@pytest.fixture(scope="session")
def demo_warehouse(demo_delivery, tmp_path_factory) -> Path:
    """The published DuckDB file of a real `dbt build` of the demo delivery (its work file,
    :func:`work_db`, is beside it; its submission exports in
    ``submission_root(<db folder>/dbt)``)."""
    from expectations.gx_location import gx_dir

    work = tmp_path_factory.mktemp("warehouse")
    db = work / "warehouse.duckdb"
    # its Data Docs in the repository's GX folder, where the page links them (app.data)
    run_dbt(["build"], db=db, extracts=demo_delivery, target=work / "dbt", gx=gx_dir(REPO))
    return db


#: Subjects and transfers of the scale delivery (``trialgen scale``, seed 7).
SCALE_SUBJECTS = 300
SCALE_TRANSFERS = 3


@pytest.fixture(scope="session")
def scale_build(tmp_path_factory) -> tuple[Path, Path]:
    """A real `dbt build` of an uncalibrated scale delivery (``trialgen scale``: a random
    300-subject cohort in 3 transfers, seed 7): the published DuckDB file and the folder of
    the generator's truth (``--cohort-out``). Built once per session: the scale tests and
    the scale browser test (tests/test_app_browser_scale.py) share it."""
    work = tmp_path_factory.mktemp("scale")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "trialgen",
            "scale",
            "--subjects",
            str(SCALE_SUBJECTS),
            "--out",
            str(work / "extracts"),
            "--transfers",
            str(SCALE_TRANSFERS),
            "--seed",
            "7",
            "--cohort-out",
            str(work / "cohort"),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    db = work / "warehouse.duckdb"
    proc = run_dbt(["build"], db=db, extracts=work / "extracts", target=work / "dbt")
    assert "ERROR=0" in proc.stdout
    return db, work / "cohort"


# --------------------------------------------------------------------------- browser tests
@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium (tests/support/page_server.py CHROMIUM), one for the session."""
    from playwright.sync_api import sync_playwright

    from tests.support.page_server import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def server(demo_warehouse, tmp_path_factory):
    """A fresh `streamlit run streamlit_app.py` on the demo warehouse for each test module (its
    first request is a cold one); a module overrides it to serve another file."""
    from tests.support.page_server import start_server, stop_server

    proc, url = start_server(demo_warehouse, tmp_path_factory.mktemp("streamlit") / "server.log")
    try:
        yield url
    finally:
        stop_server(proc)


@pytest.fixture
def page(browser, request):
    """A page in a new browser context (a new Streamlit session), 1440 px wide and as tall as
    the module's ``VIEWPORT_HEIGHT`` (default 2200 px)."""
    height = getattr(request.module, "VIEWPORT_HEIGHT", 2200)
    context = browser.new_context(viewport={"width": 1440, "height": height})
    try:
        yield context.new_page()
    finally:
        context.close()


def sql_rows(db: Path, sql: str, params=None) -> list[tuple]:
    """Rows of ``sql`` on the DuckDB file ``db``, opened read-only (what the tests compare the
    pages with)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def warehouse(demo_warehouse, monkeypatch) -> Path:
    """The demo warehouse as the file the app reads (CTWH_DB) for one AppTest."""
    monkeypatch.setenv("CTWH_DB", str(demo_warehouse))
    return demo_warehouse
