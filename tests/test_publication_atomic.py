"""All-or-nothing publication (docs/VALIDATION.md "Publication"), with real builds killed.

Build A is the session's demo warehouse (final-analysis cutoff): its published file and its
work file are copied. A second build with the primary-analysis cutoff 2018-10-19 (so ADaM and
results differ) is started on that copy and its process group is killed with SIGKILL when
given lines appear on dbt's stdout: after adam.adae was built, after results.analysis_results,
when the publication step starts, while it copies the tables, just before it renames the new
file over CTWH_DB, and once it is done. After each kill the published file (CTWH_DB), opened
read-only, must hold every table exactly as build A published it - or, from the publication
on, exactly as a fresh build with the 2018-10-19 cutoff in another file publishes it - and
the status the page shows must name the build on show and, when that is A, say that the
latest build did not finish. A complete build then publishes B over
what the earlier builds left behind: every published table equals the fresh build's (build
ids and run timestamps aside), results bit for bit, and nothing is stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from conftest import DBT, REPO, dbt_env, run_dbt, work_db

from app import data as app_data

CUTOFF_B = "2018-10-19"
VARS_B = ["--vars", f'{{data_cutoff: "{CUTOFF_B}"}}']
# columns that name the build or the moment it ran: they differ between two builds of the
# same delivery, everything else must not
RUN_COLUMNS = {"BUILD_ID", "RUN_STARTED_AT", "PUBLISHED_AT"}
KILL_TIMEOUT_S = 900


# ------------------------------------------------------------------------------ content
def published_tables(db: Path) -> list[str]:
    """Every table of the published file (all of it is what users read)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            f"{s}.{t}"
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() order by 1, 2"
            ).fetchall()
        ]


def content(
    db: Path, ignore: set[str] = frozenset(), tables: list[str] | None = None, stored_order: bool = False
) -> dict[str, str]:
    """Per table (default: every table of ``db``): SHA-256 of its column names and types and
    of its rows in a canonical order (sorted by their exact text: floats as repr, so
    bit-identical or different) or, with ``stored_order``, in the order they are stored,
    leaving out the columns in ``ignore``."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for name in tables or published_tables(db):
            schema, table = name.split(".")
            columns = [
                (c, t)
                for c, t in con.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = ? "
                    "and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                if c not in ignore
            ]
            select = ", ".join(f'"{c}"' for c, _ in columns)
            rows = [repr(r) for r in con.execute(f'select {select} from "{schema}"."{table}"').fetchall()]
            rows = rows if stored_order else sorted(rows)
            digest = hashlib.sha256(repr(columns).encode())
            for row in rows:
                digest.update(row.encode() + b"\n")
            out[name] = f"{len(rows)}:{digest.hexdigest()}"
    return out


def differing(got: dict[str, str], want: dict[str, str]) -> list[str]:
    return sorted(t for t in set(got) | set(want) if got.get(t) != want.get(t))


def publication(db: Path) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("select * from results.publication")
        return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def status(db: Path, monkeypatch) -> dict:
    """What the page shows: app.data.publication_status() for CTWH_DB = ``db``."""
    monkeypatch.setenv("CTWH_DB", str(db))
    frame = app_data.publication_status()
    assert frame.height == 1
    return frame.row(0, named=True)


def latest_attempt(db: Path) -> dict:
    with duckdb.connect(str(work_db(db)), read_only=True) as con:
        cur = con.execute("select * from validation.build_attempts order by STARTED_AT desc limit 1")
        return dict(zip([d[0] for d in cur.description], cur.fetchone()))


# ------------------------------------------------------------------------------ builds
def build_and_kill(
    db: Path, extracts: Path, target: Path, pattern: str | None, delay_s: float = 0.0
) -> tuple[int, str]:
    """``dbt build`` (cutoff B) on ``db``; SIGKILL to its process group ``delay_s`` after a
    stdout line matches ``pattern`` (``None``: let it finish). Returns (exit code, stdout)."""
    env = dict(dbt_env(db=db, extracts=extracts, target=target), DBT_USE_COLORS="false")
    proc = subprocess.Popen(
        [str(DBT), "build", *VARS_B],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines = []
    deadline = time.monotonic() + KILL_TIMEOUT_S
    try:
        for line in proc.stdout:
            lines.append(line)
            if pattern and re.search(pattern, line):
                time.sleep(delay_s)
                os.killpg(proc.pid, signal.SIGKILL)
                break
            assert time.monotonic() < deadline, "dbt build did not reach the kill point in time"
        proc.wait(timeout=KILL_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
    return proc.returncode, "".join(lines)


@pytest.fixture(scope="module")
def fresh_b(demo_delivery, tmp_path_factory) -> dict:
    """A fresh build with cutoff B in a file of its own: what B must publish."""
    work = tmp_path_factory.mktemp("publication_fresh_b")
    db = work / "warehouse.duckdb"
    run_dbt(["build", *VARS_B], db=db, extracts=demo_delivery, target=work / "dbt")
    return {"db": db, "content": content(db, RUN_COLUMNS), "publication": publication(db)}


@pytest.fixture(scope="module")
def build_a(demo_warehouse, tmp_path_factory) -> dict:
    """Build A: a copy of the session's demo warehouse, published file and work file."""
    work = tmp_path_factory.mktemp("publication_atomic")
    db = work / "warehouse.duckdb"
    shutil.copy(demo_warehouse, db)
    shutil.copy(work_db(demo_warehouse), work_db(db))
    return {
        "db": db,
        "work": work,
        "content": content(db),
        "publication": publication(db),
        "manifest": json.loads((demo_warehouse.parent / "dbt" / "target" / "manifest.json").read_text()),
    }


# ------------------------------------------------------------------------------ tests
def test_every_table_users_read_is_published(build_a):
    """ADaM, their lineage, results, seeds, the validation report and the page's intermediate
    tables are all in the published file (so a new model of those kinds cannot be forgotten)."""
    nodes = build_a["manifest"]["nodes"].values()
    expected = {
        f"{n['schema']}.{n['alias']}"
        for n in nodes
        if n["resource_type"] in ("model", "seed")
        and n["config"]["materialized"] != "view"
        and n["schema"] in ("adam", "lineage", "results", "ref", "submission")
    }
    assert {t for t in expected if t.startswith("lineage.")} == {
        "lineage.adsl_lineage",
        "lineage.adrs_lineage",
        "lineage.adae_lineage",
    }
    expected |= {
        f"validation.{t}"
        for t in (
            "build_info",
            "delivery_checks",
            "quarantine",
            "delivery_report",
            "adam_checks",
            "adam_conformance",
            "publication_gate",
            "study_rule_checks",
        )
    }
    expected |= {
        f"intermediate.{n['alias']}"
        for n in nodes
        if n["resource_type"] == "model"
        and re.fullmatch(r"int_[a-z]+__current|int_edc__site_summary", n["alias"])
    }
    assert len([t for t in expected if t.startswith("intermediate.int_")]) >= 15
    published = set(published_tables(build_a["db"]))
    assert expected <= published, sorted(expected - published)
    assert set(build_a["publication"]["TABLES"]) | {"results.publication"} == published
    # copies of the work file's tables, row for row in their stored order (the page reads
    # published_comparison in rowid order)
    tables = build_a["publication"]["TABLES"]
    assert content(build_a["db"], tables=tables, stored_order=True) == content(
        work_db(build_a["db"]), tables=tables, stored_order=True
    )
    # only tables: the raw/staging layers, the audit-trail view and the history stay in the work file
    assert not any(
        t.startswith(("staging.", "validation.run_log", "validation.publication_log")) for t in published
    )


def test_a_partial_build_publishes_nothing(build_a, demo_delivery, monkeypatch):
    db = build_a["db"]
    proc = run_dbt(
        ["build", "--select", "publish", *VARS_B],
        db=db,
        extracts=demo_delivery,
        target=build_a["work"] / "dbt_partial",
        check=False,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "only a complete `dbt build` publishes" in proc.stdout
    assert differing(content(db), build_a["content"]) == []
    shown = status(db, monkeypatch)
    assert shown["PUBLISHED_BUILD_ID"] == build_a["publication"]["BUILD_ID"]
    assert shown["STALE"] is True and "only a complete `dbt build` publishes" in shown["REASON"]
    assert "validation.publish" in shown["REASON"]


KILL_POINTS = [  # (stdout pattern, seconds after it, what is on show afterwards)
    (r"OK created sql table model adam\.adae\b", 0.0, "A"),
    (r"OK created python table model results\.analysis_results\b", 0.0, "A"),
    (r"START python table model validation\.publish\b", 0.0, "A"),
    # validation.publish says what it does: in the middle of copying the tables (~0.4 s for
    # the demo), and just before the rename - either build may be on show, but whole
    (r"^publish: copying \d+ tables", 0.05, "A or B"),
    (r"^publish: renaming ", 0.0, "A or B"),
    (r"OK created python table model validation\.publish\b", 0.0, "B"),
]


@pytest.mark.parametrize(
    "pattern, delay_s, on_show",
    KILL_POINTS,
    ids=[
        "after-adae",
        "after-analysis_results",
        "publish-start",
        "publish-copying+0.05s",
        "publish-renaming",
        "after-publish",
    ],
)
def test_a_killed_build_leaves_one_whole_build_on_show(
    pattern, delay_s, on_show, build_a, fresh_b, demo_delivery, monkeypatch, tmp_path
):
    db = build_a["db"]
    code, out = build_and_kill(db, demo_delivery, tmp_path / "dbt", pattern, delay_s)
    assert code == -signal.SIGKILL, f"not killed at {pattern!r} (exit {code}):\n{out[-3000:]}"
    killed = latest_attempt(db)
    assert killed["FINISHED_AT"] is None and killed["BUILD_ID"] != build_a["publication"]["BUILD_ID"]

    got_a = differing(content(db), build_a["content"])
    got_b = differing(content(db, RUN_COLUMNS), fresh_b["content"])
    shown = status(db, monkeypatch)
    assert shown["BUILD_RUNNING"] is False
    if on_show == "A or B":
        on_show = "A" if not got_a else "B"
    if on_show == "A":
        assert got_a == [], f"killed at {pattern!r}: tables differ from build A: {got_a}"
        assert publication(db)["BUILD_ID"] == build_a["publication"]["BUILD_ID"]
        assert shown["PUBLISHED_BUILD_ID"] == build_a["publication"]["BUILD_ID"]
        assert shown["STALE"] is True and shown["LATEST_BUILD_ID"] == killed["BUILD_ID"]
        assert "did not finish" in shown["REASON"] and killed["BUILD_ID"] in shown["REASON"]
    else:
        assert got_b == [], f"killed at {pattern!r}: tables differ from a fresh build B: {got_b}"
        assert publication(db)["BUILD_ID"] == killed["BUILD_ID"]
        assert shown["PUBLISHED_BUILD_ID"] == killed["BUILD_ID"] == shown["LATEST_BUILD_ID"]
        assert shown["STALE"] is False and shown["REASON"] is None


def test_a_complete_build_publishes_b_over_whatever_was_there(
    build_a, fresh_b, demo_delivery, monkeypatch, tmp_path
):
    """After the killed builds: a complete build publishes exactly what a fresh build with the
    same cutoff publishes (every table; build ids and run timestamps aside) and is on show."""
    db = build_a["db"]
    code, out = build_and_kill(db, demo_delivery, tmp_path / "dbt", None)
    assert code == 0, out[-5000:]
    assert differing(content(db, RUN_COLUMNS), fresh_b["content"]) == []
    latest = latest_attempt(db)
    assert latest["PUBLISHED"] is True and latest["REASON"] is None
    assert publication(db)["BUILD_ID"] == latest["BUILD_ID"]
    assert publication(db)["DATA_CUTOFF"] == CUTOFF_B
    shown = status(db, monkeypatch)
    assert (shown["PUBLISHED_BUILD_ID"], shown["LATEST_BUILD_ID"]) == (latest["BUILD_ID"],) * 2
    assert shown["STALE"] is False and shown["REASON"] is None and shown["BUILD_RUNNING"] is False
    # no temporary file of a killed publication is left beside the published file
    assert sorted(p.name for p in db.parent.glob(f"{db.name}*")) == [db.name]


def test_a_quarantined_transfer_still_publishes(tmp_path, monkeypatch):
    """A bad site transfer fails the build on purpose (exit 1, the leaf's exit-status test) but
    skips nothing: the accepted data of every site is published, with the quarantine in its
    validation report, and the results on show are this build's (not stale)."""
    delivery = tmp_path / "extracts"
    subprocess.run(
        [
            str(DBT.with_name("python")),
            "-m",
            "trialgen",
            "bad",
            "--case",
            "hash_mismatch",
            "--out",
            str(delivery),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    db = tmp_path / "warehouse.duckdb"
    proc = run_dbt(["build"], db=db, extracts=delivery, target=tmp_path / "dbt", check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    results = json.loads((tmp_path / "dbt" / "target" / "run_results.json").read_text())["results"]
    failed = {r["unique_id"]: r["status"] for r in results if r["status"] not in ("pass", "success", "warn")}
    assert list(failed.values()) == ["fail"] and "delivery_report_no_open_quarantine" in next(iter(failed))
    with duckdb.connect(str(db), read_only=True) as con:
        (build_id,) = con.execute("select BUILD_ID from validation.build_info").fetchone()
        assert (
            con.execute("select count(*) from validation.delivery_report where STATUS = 'OPEN'").fetchone()[0]
            >= 1
        )
    assert publication(db)["BUILD_ID"] == build_id == latest_attempt(db)["BUILD_ID"]
    tables = publication(db)["TABLES"]  # this build's tables, every one of them
    assert content(db, tables=tables) == content(work_db(db), tables=tables)
    shown = status(db, monkeypatch)
    assert shown["PUBLISHED_BUILD_ID"] == build_id and shown["STALE"] is False
