"""The audit trail and the site summary follow the site's CURRENT (accepted) transfer.

A delivery whose newest transfer of one site is quarantined (``python -m trialgen bad
--case code_outside_list``: an invalid AEOUT code, manifest row count and hash updated) is
built with the real ``dbt build``. The site's current data is then its latest
non-quarantined transfer (``int_edc__site_latest_transfer``); the audit trail's
``CURRENT_FL`` must point at that transfer's versions too, so the singular test
``assert_current_state_matches_audit_trail`` passes, and the per-site counts equal what
the accepted transfer's CSV files hold (counted here with the csv module, not with the
warehouse's SQL).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, run_dbt, work_db

CASE = "code_outside_list"
AUDIT_TEST = "assert_current_state_matches_audit_trail"
CUTOFF = dt.date(2019, 10, 18)  # dbt_project.yml default data_cutoff


def current_records_in_csv(site_dir: Path) -> Counter:
    """Per form: records whose current version (highest RECVER in the file; ties: the later
    row, as macro edc_current) is not a deletion."""
    counts: Counter = Counter()
    for path in sorted(site_dir.glob("*.csv")):
        latest: dict[str, tuple[int, str]] = {}
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                version = int(row["RECVER"])
                if row["RECID"] not in latest or version >= latest[row["RECID"]][0]:
                    latest[row["RECID"]] = (version, row["RECSTAT"])
        counts[path.stem] = sum(1 for _v, status in latest.values() if status != "DELETED")
    return counts


@pytest.fixture(scope="module")
def quarantined_build(tmp_path_factory):
    work = tmp_path_factory.mktemp("audit_quarantine")
    delivery = work / "extracts"
    proc = subprocess.run(
        [sys.executable, "-m", "trialgen", "bad", "--case", CASE, "--out", str(delivery)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    desc = json.loads(proc.stdout)
    db = work / "warehouse.duckdb"
    build = run_dbt(
        ["build", "--select", f"+{AUDIT_TEST}", "+int_edc__site_summary", "--indirect-selection", "cautious"],
        db=db,
        extracts=delivery,
        target=work / "dbt",
        check=False,
    )
    results = json.loads((work / "dbt" / "target" / "run_results.json").read_text())
    statuses = {
        r["unique_id"].split(".")[-1] if r["unique_id"].startswith("test.") else r["unique_id"]: r["status"]
        for r in results["results"]
    }
    return desc, delivery, db, statuses, build


def test_quarantined_newest_transfer_leaves_audit_trail_on_accepted_transfer(quarantined_build):
    desc, delivery, db, statuses, build = quarantined_build
    site, bad_transfer = desc["site"], desc["transfer"]
    transfers = sorted(p.name for p in delivery.iterdir() if p.is_dir() and (p / f"site_{site}").is_dir())
    assert transfers[-1] == bad_transfer  # the site's newest transfer is the bad one
    accepted = transfers[-2]
    # nothing in a transfer is dated after it (a delivery check), so before the cutoff
    # nothing of the accepted transfer is cut off: its CSVs give the current state
    assert dt.datetime.strptime(accepted, "%Y%m%dT%H%M").date() <= CUTOFF
    expected = current_records_in_csv(delivery / accepted / f"site_{site}")
    assert sum(expected.values()) > 0

    # a partial build publishes nothing, and the audit trail is in the work file anyway
    with duckdb.connect(str(work_db(db)), read_only=True) as con:
        quarantined = con.sql("select SITEID, TRANSFER_ID from validation.quarantine").fetchall()
        summary = con.sql(
            "select LATEST_TRANSFER_ID, CURRENT_RECORDS from "
            "intermediate.int_edc__site_summary where SITEID = ?",
            params=[site],
        ).fetchall()
        audit = dict(
            con.sql(
                "select FORM, count(*) from intermediate.int_edc__audit_trail "
                "where SITE_FOLDER = ? and CURRENT_FL = 'Y' and RECSTAT = 'ACTIVE' group by FORM",
                params=[site],
            ).fetchall()
        )
        new_in_bad_transfer = con.execute(
            "select count(*) from intermediate.int_edc__audit_trail where SITE_FOLDER = ? "
            "and CURRENT_FL = 'Y' and FIRST_TRANSFER_ID = ?",
            [site, bad_transfer],
        ).fetchone()[0]

    assert quarantined == [(site, bad_transfer)]
    # the singular test that compares the current state with the audit trail
    assert statuses.get(AUDIT_TEST) == "pass", (
        f"{AUDIT_TEST}: {statuses.get(AUDIT_TEST)}\n{build.stdout[-4000:]}"
    )
    broken = {k: v for k, v in statuses.items() if v not in ("success", "pass", "warn")}
    assert not broken, f"{broken}\n{build.stdout[-4000:]}"
    # the audit trail's current versions are the accepted transfer's, form by form
    assert {f: n for f, n in audit.items() if n} == {f: n for f, n in expected.items() if n}
    # a version sent for the first time in the quarantined transfer is never current
    assert new_in_bad_transfer == 0
    # the site summary shows the accepted transfer and its current records
    assert summary == [(accepted, sum(expected.values()))]
