"""Validation on the clean demo build, and the publication gate on an ADaM failure.

- The session's real ``dbt build`` of the demo delivery (``demo_warehouse``) passes every
  delivery check, ADaM check and study rule; it publishes (``results.publication`` of the
  published file names it, ``results.publication_status`` of the work file is not stale) and
  renders the GX Data Docs of this build.
- A later delivery that is valid (so it loads) but breaks an ADaM conformance rule - a subject
  aged 15, outside ADSL's plausible 18..100 - fails the build through the publication gate:
  the work file's ADaM data is rebuilt, nothing of the build is published (neither ADaM nor
  results: the published file keeps the last good build whole) and the status the page shows
  marks it stale with the reason.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import REPO, run_dbt, work_db

from app import data as app_data
from expectations.gx_location import gx_dir

GX = gx_dir(REPO)  # the builds below run in REPO: CTWH_GX_DIR, default build/gx
DOCS = GX / "uncommitted" / "data_docs" / "local_site"
SUITES = (
    ["delivery_files", "delivery_common", "delivery_records", "delivery_dates"]
    + [
        f"delivery_{f}"
        for f in ("dm", "vs", "mh", "ecog", "pt", "fish", "ex", "lb", "rs", "ae", "ds", "dd", "fu", "cm")
    ]
    + [
        f"adam_{d}{part}"
        for d in ("adsl", "adrs", "adtte", "adae", "adex")
        for part in ("", "_columns", "_conformance")
    ]
    + ["adam_spec"]
    + ["study_rules_subjects", "study_rules_records"]
)
RESULTS = ["analysis_results", "ard", "km_curves", "km_at_risk", "published_comparison"]


def query(db: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql, params=params or None).pl()


def count(db: Path, table: str) -> int:
    return query(db, f"select count(*) as n from {table}")["n"][0]


# ------------------------------------------------------------------------------ clean demo
def test_clean_demo_passes_every_check(demo_warehouse):
    for table in (
        "validation.delivery_checks",
        "validation.quarantine",
        "validation.delivery_report",
        "validation.adam_checks",
        "validation.study_rule_checks",
    ):
        assert count(demo_warehouse, table) == 0, query(demo_warehouse, f"select * from {table}")
    conformance = query(demo_warehouse, "select * from validation.adam_conformance")
    assert conformance.height > 0 and not conformance["BLOCKING"].any(), conformance.filter(
        pl.col("BLOCKING")
    )
    gate = query(demo_warehouse, "select * from validation.publication_gate").row(0, named=True)
    assert gate["ADAM_CHECKS_PASSED"] is True and gate["REASON"] is None
    assert gate["N_FAILED_CONFORMANCE"] == 0
    build = query(demo_warehouse, "select * from validation.build_info").row(0, named=True)
    published = query(demo_warehouse, "select * from results.publication").row(0, named=True)
    assert (published["BUILD_ID"], published["DATA_CUTOFF"]) == (build["BUILD_ID"], "2019-10-18")
    work = work_db(demo_warehouse)
    status = query(work, "select * from results.publication_status").row(0, named=True)
    assert status["STALE"] is False and status["REASON"] is None
    assert status["PUBLISHED_BUILD_ID"] == build["BUILD_ID"]
    assert status["DATA_CUTOFF"] == "2019-10-18"
    log = query(work, "select * from validation.run_log")
    assert log.height == 1
    row = log.row(0, named=True)
    assert (
        row["N_FAILED_DELIVERY_CHECKS"],
        row["N_QUARANTINED_SITE_TRANSFERS"],
        row["N_FAILED_ADAM_CHECKS"],
        row["N_STUDY_RULE_QUERIES"],
    ) == (0, 0, 0, 0)
    # every site and every subject of the delivery is loaded
    assert query(demo_warehouse, "select count(distinct SITEID) as n from adam.adsl")["n"][0] >= 10
    assert count(demo_warehouse, "adam.adsl") == 34


def test_suites_are_kept_in_the_gx_project(demo_warehouse):
    for suite in SUITES:
        stored = json.loads((GX / "expectations" / f"{suite}.json").read_text())
        assert stored["name"] == suite and stored["expectations"], suite
        for expectation in stored["expectations"]:
            assert expectation["meta"]["check"] and expectation["meta"]["message"]
        assert (GX / "checkpoints" / f"{suite}.json").is_file()
        assert (GX / "validation_definitions" / f"{suite}.json").is_file()


def test_data_docs_show_this_build(demo_warehouse):
    build_id = query(demo_warehouse, "select BUILD_ID from validation.build_info")["BUILD_ID"][0]
    index = DOCS / "index.html"
    assert index.is_file()
    for suite in SUITES:
        pages = list((DOCS / "validations" / suite / build_id).rglob("*.html"))
        assert pages, f"no Data Docs page of suite {suite} for build {build_id}"
        assert (DOCS / "expectations" / f"{suite}.html").is_file()
    assert build_id in index.read_text(encoding="utf-8")
    # validation.run_log names that page (relative to the dbt project folder unless absolute)
    docs = query(
        work_db(demo_warehouse),  # the run log stays in the work file
        "select DATA_DOCS from validation.run_log",
    )["DATA_DOCS"][0]
    assert (REPO / docs).resolve() == index.resolve()


# ------------------------------------------------------------------------------ ADaM failure
def _set_age(delivery: Path, usubjid: str, age: str) -> str:
    """Correct one subject's dm AGE in its site's latest transfer, as a site corrects a
    record: a new version (RECVER + 1; a change under the same RECVER is refused by the
    reconciliation with the accepted transfers), manifest kept right."""
    subjid = usubjid.split("-", 1)[1]
    site = subjid.split("-")[0]
    transfer = sorted(t for t in delivery.iterdir() if (t / f"site_{site}").is_dir())[-1]
    path = transfer / f"site_{site}" / "dm.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("SUBJID")] == subjid:
            row[header.index("AGE")] = age
            row[header.index("RECVER")] = str(int(row[header.index("RECVER")]) + 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    data = path.read_bytes()
    manifest = transfer / "manifest.csv"
    with manifest.open(encoding="utf-8", newline="") as fh:
        entries = list(csv.reader(fh))
    for entry in entries[1:]:
        if entry[entries[0].index("FILE")] == f"site_{site}/dm.csv":
            entry[entries[0].index("SHA256")] = hashlib.sha256(data).hexdigest()
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(entries)
    return transfer.name


@pytest.fixture(scope="module")
def adam_failure(demo_delivery, demo_warehouse, tmp_path_factory):
    """The clean warehouse (its published file), rebuilt from a delivery that loads but breaks
    an ADaM rule. The work file is not copied: its ledger of accepted transfers would refuse
    the edited transfer as changed (a bad delivery, not an ADaM failure)."""
    work = tmp_path_factory.mktemp("adam_failure")
    db = work / "warehouse.duckdb"
    shutil.copy(demo_warehouse, db)
    delivery = work / "extracts"
    shutil.copytree(demo_delivery, delivery)
    usubjid = query(db, "select min(USUBJID) as u from adam.adsl")["u"][0]
    _set_age(delivery, usubjid, "15")
    before = {t: query(db, f"select * from results.{t}") for t in RESULTS}
    before["adam.adsl"] = query(db, "select * from adam.adsl")
    clean_build = query(db, "select BUILD_ID from validation.build_info")["BUILD_ID"][0]
    proc = run_dbt(["build"], db=db, extracts=delivery, target=work / "dbt", check=False)
    target = work / "dbt" / "target"
    statuses = {
        r["unique_id"]: r["status"] for r in json.loads((target / "run_results.json").read_text())["results"]
    }
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        "db": db,
        "work": work_db(db),
        "proc": proc,
        "usubjid": usubjid,
        "before": before,
        "clean_build": clean_build,
        "statuses": statuses,
        "manifest": manifest,
    }


def test_adam_failure_is_reported_and_fails_the_build(adam_failure):
    db, proc = adam_failure["work"], adam_failure["proc"]  # the build's own tables
    assert proc.returncode == 1, proc.stdout[-3000:]
    # the delivery itself is valid: it loaded
    assert count(db, "validation.delivery_checks") == 0
    assert query(db, "select AGE from adam.adsl where USUBJID = ?", [adam_failure["usubjid"]])[
        "AGE"
    ].to_list() == [15]
    checks = query(db, "select * from validation.adam_checks")
    assert checks.height == 1, checks
    check = checks.row(0, named=True)
    assert (check["DATASET"], check["COLUMN_NAME"], check["USUBJID"]) == (
        "adam.adsl",
        "AGE",
        adam_failure["usubjid"],
    )
    assert "AGE 15 is outside 18..100" in check["MESSAGE"]
    gate = query(db, "select * from validation.publication_gate").row(0, named=True)
    assert gate["ADAM_CHECKS_PASSED"] is False and "failed ADaM check" in gate["REASON"]
    failed = {
        uid: s
        for uid, s in adam_failure["statuses"].items()
        if s not in ("pass", "success", "warn", "skipped")
    }
    assert list(failed) and all("publication_gate_adam_checks_pass" in uid for uid in failed), failed


def test_last_good_results_stay_and_are_marked_stale(adam_failure, monkeypatch):
    db = adam_failure["db"]
    latest = query(adam_failure["work"], "select BUILD_ID from validation.build_info")["BUILD_ID"][0]
    monkeypatch.setenv("CTWH_DB", str(db))
    status = app_data.publication_status().row(0, named=True)  # what the page shows
    assert status["STALE"] is True and status["BUILD_RUNNING"] is False
    assert status["PUBLISHED_BUILD_ID"] == adam_failure["clean_build"] != latest
    assert status["LATEST_BUILD_ID"] == latest
    assert "failed ADaM check" in status["REASON"] and "AGE" in status["REASON"]
    # the same reason in the work file's view (SQL users)
    view = query(adam_failure["work"], "select * from results.publication_status").row(0, named=True)
    assert (view["STALE"], view["REASON"], view["LATEST_BUILD_ID"]) == (True, status["REASON"], latest)
    assert query(db, "select BUILD_ID from results.publication")["BUILD_ID"][0] == adam_failure["clean_build"]
    wired = [
        m
        for m in RESULTS
        if "model.ixrd_warehouse.publication_gate"
        in adam_failure["manifest"]["nodes"][f"model.ixrd_warehouse.{m}"]["depends_on"]["nodes"]
    ]
    assert len(wired) == 3  # analysis_results, km_curves and km_at_risk read ADaM directly
    for table, before in adam_failure["before"].items():
        name = table if "." in table else f"results.{table}"
        after = query(db, f"select * from {name}")
        assert after.equals(before), f"{name} changed in the published file although ADaM checks failed"
        if "." not in table:
            assert adam_failure["statuses"][f"model.ixrd_warehouse.{table}"] == "skipped"
    assert adam_failure["statuses"]["model.ixrd_warehouse.publish"] == "skipped"


def test_a_failed_adam_check_skips_the_submission_exports(adam_failure):
    """Like the results: no XPT/Dataset-JSON/define.xml of a build whose ADaM checks failed,
    and no folder at all (docs/DESIGN.md "Submission exports")."""
    from conftest import submission_root

    assert adam_failure["statuses"]["model.ixrd_warehouse.submission_exports"] == "skipped"
    assert (
        "model.ixrd_warehouse.publication_gate"
        in (
            adam_failure["manifest"]["nodes"]["model.ixrd_warehouse.submission_exports"]["depends_on"][
                "nodes"
            ]
        )
    )
    assert not submission_root(adam_failure["db"].parent / "dbt").exists()
