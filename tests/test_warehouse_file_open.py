"""Opening the DuckDB file: only a lock conflict is waited for, anything else fails at once
in one line naming the file and the cause (warehouse_file, used by dbt and by the page).

Real situations, no simulated errors:

- a read-only file system: a read-only bind mount of a temporary folder holding a real
  DuckDB file (root with CAP_SYS_ADMIN; ``chmod`` would not stop root). dbt used to retry
  the open for 559 s (dbt-duckdb's ``retries``, 31 s per open) and end in a traceback;
- a lock held by another process (a real ``duckdb.connect`` in a child process);
- an empty file and a text file at ``CTWH_DB``, through app.data's public functions and
  every page (AppTest): they are not a DuckDB database, not "not completely built".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml
from conftest import REPO
from streamlit.testing.v1 import AppTest

import warehouse_file
from app import data as app_data

APP = str(REPO / "streamlit_app.py")
PAGES = ("summary", "tables", "published", "data_quality", "subjects")


# ------------------------------------------------------------------------------ real files
def make_duckdb(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as x")
    return path


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder holding a real DuckDB file, bind-mounted read-only."""
    source, mounted = tmp_path / "source", tmp_path / "ro"
    source.mkdir()
    mounted.mkdir()
    make_duckdb(source / "warehouse.duckdb")
    bind = subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True, text=True)
    if bind.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here (needs root): {bind.stderr.strip()}")
    try:
        subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(mounted)], check=True, capture_output=True, text=True
        )
        with pytest.raises(OSError):  # really read-only, even for root
            (mounted / "probe").write_text("x")
        yield mounted
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


class LockHolder:
    """Another process that opens ``path`` (read-write: an exclusive lock) for ``seconds``."""

    def __init__(self, path: Path, seconds: float):
        code = (
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(path)!r})\n"
            "print('locked', flush=True)\n"
            f"time.sleep({seconds})\n"
            "con.close()\n"
        )
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=20)


# ------------------------------------------------------------------------------ the module
def test_read_only_file_system_fails_at_once_in_one_line(read_only_folder):
    path = read_only_folder / "warehouse.duckdb"
    started = time.monotonic()
    with pytest.raises(warehouse_file.WarehouseOpenError) as caught:
        warehouse_file.connect(path, read_only=False)
    assert time.monotonic() - started < 1.0  # no retry
    message = str(caught.value)
    assert message == (
        f"cannot open the warehouse {path} for writing: the file system is "
        "read-only; build on a writable file system (set CTWH_DB to a "
        "writable path)"
    )
    assert not caught.value.lock_conflict
    # reading it is fine (the page opens it read-only)
    with warehouse_file.connect(path, read_only=True) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]


@pytest.mark.parametrize(
    "content, cause",
    [
        (b"", "the file is empty (0 bytes), not a DuckDB database"),
        (b"USUBJID,AGE\nNCT02917941-101-001,67\n", "the file is not a DuckDB database"),
    ],
)
@pytest.mark.parametrize("read_only", [True, False])
def test_a_file_that_is_not_a_duckdb_database(tmp_path, content, cause, read_only):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(content)
    started = time.monotonic()
    with pytest.raises(warehouse_file.WarehouseOpenError) as caught:
        warehouse_file.connect(path, read_only=read_only)
    assert time.monotonic() - started < 1.0
    assert caught.value.cause == cause
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert path.read_bytes() == content  # left as it was


def test_a_short_lock_is_waited_for(tmp_path):
    path = make_duckdb(tmp_path / "warehouse.duckdb")
    holder = LockHolder(path, seconds=1.0)
    try:
        started = time.monotonic()
        with warehouse_file.connect(path, read_only=False) as con:
            waited = time.monotonic() - started
            assert con.execute("select x from t").fetchall() == [(1,)]
    finally:
        holder.stop()
    assert (
        0.2
        < waited
        < sum(warehouse_file.LOCK_BACKOFF_S * 2**i for i in range(warehouse_file.LOCK_ATTEMPTS - 1)) + 1
    )


def test_a_lock_that_stays_ends_the_wait_in_one_line(tmp_path):
    path = make_duckdb(tmp_path / "warehouse.duckdb")
    holder = LockHolder(path, seconds=120)
    try:
        started = time.monotonic()
        with pytest.raises(warehouse_file.WarehouseOpenError) as caught:
            warehouse_file.connect(path, read_only=False, attempts=4, backoff_s=0.1)
        waited = time.monotonic() - started
    finally:
        holder.stop()
    assert 0.6 <= waited < 5  # 0.1 + 0.2 + 0.4 s of back-off
    assert caught.value.lock_conflict
    assert f"PID {holder.proc.pid})" in str(caught.value)
    assert "still after 4 attempts" in str(caught.value) and "\n" not in str(caught.value)


# ------------------------------------------------------------------------------ dbt
def _seconds(output: str, marker: str) -> int:
    """Time of day (s) of dbt's first console line containing ``marker``."""
    match = re.search(r"(\d\d):(\d\d):(\d\d)  [^\n]*" + re.escape(marker), output)
    assert match, (marker, output[-3000:])
    h, m, s = map(int, match.groups())
    return h * 3600 + m * 60 + s


def dbt_database(ctwh_db: Path) -> Path:
    """The file dbt opens for ``CTWH_DB=ctwh_db``: the profile's ``path`` rendered as dbt
    renders it (jinja with ``env_var``), relative to the project folder."""
    profile = yaml.safe_load((REPO / "profiles.yml").read_text())
    template = profile["ixrd_warehouse"]["outputs"]["dev"]["path"]
    env = dict(os.environ, CTWH_DB=str(ctwh_db))
    path = Path(
        jinja2.Environment()
        .from_string(template)
        .render(env_var=lambda name, default=None: env.get(name, default))
    )
    return path if path.is_absolute() else REPO / path


def _dbt(args: list[str], db: Path, work: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        CTWH_DB=str(db),
        CTWH_EXTRACT_ROOT=str(work),
        DBT_PROFILES_DIR=str(REPO),
        DBT_TARGET_PATH=str(work / "dbt" / "target"),
        DBT_LOG_PATH=str(work / "dbt" / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("dbt")), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_dbt_build_on_a_read_only_file_system_fails_at_once(read_only_folder, tmp_path):
    """The real ``dbt build`` with the repository's profile: it used to retry the open for
    559 s (31 s per open) and end in a traceback."""
    db = read_only_folder / "warehouse.duckdb"
    opened = dbt_database(db)
    assert opened.parent == read_only_folder
    out, _ = _dbt(["build", "--select", "build_info"], db, tmp_path).communicate(timeout=900)
    assert (
        f"cannot open the warehouse {opened} for writing: the file system is read-only; "
        "build on a writable file system (set CTWH_DB to a writable path)" in out
    ), out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    # from the moment dbt starts to run nodes (after parsing) to the error
    assert (_seconds(out, "Encountered an error") - _seconds(out, "Concurrency:")) % 86400 <= 3


def test_dbt_waits_for_a_lock_and_builds(tmp_path):
    """Another process holds the file when dbt opens it (a page query, a moment longer): dbt
    says it waits, and builds once the lock is gone."""
    db = tmp_path / "warehouse.duckdb"
    opened = make_duckdb(dbt_database(db))
    log = tmp_path / "dbt" / "logs" / "dbt.log"
    holder = LockHolder(opened, seconds=600)
    dbt = _dbt(["build", "--select", "build_info"], db, tmp_path)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and dbt.poll() is None:
            if log.is_file() and "another process holds a conflicting lock on it" in log.read_text(
                errors="replace"
            ):
                break
            time.sleep(0.05)
        holder.stop()  # the page's query is done
        out, _ = dbt.communicate(timeout=300)
    finally:
        holder.stop()
        if dbt.poll() is None:
            dbt.kill()
    assert dbt.returncode == 0, out[-3000:]
    assert f"{opened}: another process holds a conflicting lock on it" in out
    assert f"PID {holder.proc.pid}); waiting" in out
    with duckdb.connect(str(opened), read_only=True) as con:
        assert con.execute("select count(*) from validation.build_info").fetchall() == [(1,)]


# ------------------------------------------------------------------------------ the page
@pytest.fixture(params=["empty", "text"])
def not_a_database(request, tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"" if request.param == "empty" else b"this is a CSV export, not a warehouse\n")
    monkeypatch.setenv("CTWH_DB", str(path))
    cause = (
        "the file is empty (0 bytes), not a DuckDB database"
        if request.param == "empty"
        else "the file is not a DuckDB database"
    )
    return path, cause


def test_app_data_says_the_file_is_not_a_duckdb_database(not_a_database):
    path, cause = not_a_database
    for call in (
        app_data.warehouse_status,
        lambda: app_data.require(*app_data.ADAM_TABLES),
        app_data.analysis_results,
    ):
        with pytest.raises(app_data.WarehouseUnreadable) as caught:
            call()
        assert caught.value.cause == cause
        assert str(caught.value).startswith(f"cannot open the warehouse {path}: {cause}; ")
        assert "make build" in caught.value.hint
    assert not isinstance(caught.value, app_data.WarehouseNotBuilt)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_the_file_is_not_a_duckdb_database(page, not_a_database):
    path, cause = not_a_database
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    if page != "summary":
        at.switch_page(f"app/pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [str(e.value) for e in at.error]
    assert errors == [f"The warehouse file `{path}` cannot be opened: {cause}."]
    text = "\n".join(str(e.value) for kind in ("markdown", "warning", "info") for e in getattr(at, kind))
    assert "What to do: remove or move it, then build the warehouse there (make build)" in text
    assert "not completely built" not in text and "has not been built" not in text
    assert not at.metric and not at.dataframe and not at.table
