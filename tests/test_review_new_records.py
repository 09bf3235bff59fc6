"""What each site's latest transfer changed (docs/derivations.md#new-since-the-last-transfer),
checked independently of the models that derive it.

The expected values come from the raw CSV extracts, read here with the csv module: per site
and form the latest transfer that lists the site's file and the one before it; per record
(RECID) its highest RECVER in each (ties: the later row). A current record (highest version
not DELETED, not dated after the data cutoff) is NEW when the previous transfer lacks its
RECID, CHANGED when the previous highest RECVER differs; a record is DELETED by the latest
transfer when its highest version there is DELETED and its highest version in the previous
one is not.

Two deliveries: the demo as rendered, and a copy in which the latest transfer of site 101
adds one ae record, corrects one (RECVER + 1, new verbatim term) and deletes one (RECVER + 1,
RECSTAT DELETED) that the previous transfer held unchanged; the manifest's row count and
SHA-256 of that file are rewritten, as the contract asks of a site.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import run_dbt

FORMS = ("dm", "vs", "mh", "ecog", "pt", "fish", "ex", "lb", "rs", "ae", "ds", "dd", "fu", "cm")
#: The data cutoff of a default build (dbt_project.yml var data_cutoff).
CUTOFF = date(2019, 10, 18)
#: Each form's main date, the one the cutoff applies to (docs/extract-contract.md forms table,
#: docs/derivations.md#data-cutoff); mh and pt (history) are not cut.
MAIN_DATE = {
    "dm": "ICDAT",
    "vs": "VSDAT",
    "ecog": "QSDAT",
    "fish": "FISHDAT",
    "ex": "EXSTDAT",
    "lb": "LBDAT",
    "rs": "RSDAT",
    "ae": "AESTDAT",  # partial: the earliest day it can mean
    "ds": "DSSTDAT",
    "dd": "DTHDAT",
    "fu": "FUDAT",
    "cm": "CMSTDAT",
}
SITE = "101"


# --------------------------------------------------------------------------- the CSV side
def _manifests(root: Path) -> dict[tuple[str, str], list[str]]:
    """(site, form) -> transfer ids whose manifest lists the site's file of the form, in order."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        with (folder / "manifest.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out[(row["SITEID"], row["FORM"])].append(folder.name)
    return out


def _highest_versions(path: Path) -> dict[str, dict]:
    """RECID -> its row with the highest RECVER in one file (ties: the later row)."""
    best: dict[str, dict] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            old = best.get(row["RECID"])
            if old is None or int(row["RECVER"]) >= int(old["RECVER"]):
                best[row["RECID"]] = row
    return best


def _earliest_day(text: str) -> date | None:
    """``2019-10`` -> 2019-10-01, ``2019`` -> 2019-01-01; None when empty or unreadable."""
    parts = (text or "").split("-")
    try:
        return date(
            int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1
        )
    except (ValueError, IndexError):
        return None


def _kept_by_cutoff(form: str, row: dict) -> bool:
    if form not in MAIN_DATE:
        return True
    day = _earliest_day(row.get(MAIN_DATE[form], ""))
    return day is None or day <= CUTOFF  # an unknown date is kept


def expected_changes(root: Path) -> tuple[dict, dict]:
    """From the CSV files: ``counts[(site, form)] = (latest, previous, n_current, n_new,
    n_changed, n_deleted)`` and ``chgtype[(site, form, RECID)]`` of every current record."""
    counts, chgtype = {}, {}
    for (site, form), transfers in _manifests(root).items():
        latest, previous = transfers[-1], (transfers[-2] if len(transfers) > 1 else None)
        now = _highest_versions(root / latest / f"site_{site}" / f"{form}.csv")
        before = _highest_versions(root / previous / f"site_{site}" / f"{form}.csv") if previous else {}
        n_current = n_new = n_changed = n_deleted = 0
        for recid, row in now.items():
            if row["RECSTAT"] == "DELETED":
                if recid in before and before[recid]["RECSTAT"] != "DELETED":
                    n_deleted += 1
                continue
            if not _kept_by_cutoff(form, row):
                continue
            n_current += 1
            if recid not in before:
                kind = "NEW"
                n_new += 1
            elif int(before[recid]["RECVER"]) != int(row["RECVER"]):
                kind = "CHANGED"
                n_changed += 1
            else:
                kind = None
            chgtype[(site, form, recid)] = kind
        counts[(site, form)] = (latest, previous, n_current, n_new, n_changed, n_deleted)
    return counts, chgtype


# --------------------------------------------------------------------------- the warehouse side
def warehouse_changes(db: Path) -> tuple[dict, dict]:
    """The same two maps from ``intermediate.int_edc__changes_by_form`` and the CHGTYPE of
    every ``intermediate.int_<form>__current`` of the published file."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select SITEID, FORM, LATEST_TRANSFER_ID, PREVIOUS_TRANSFER_ID, N_CURRENT, N_NEW, N_CHANGED, "
            "N_DELETED from intermediate.int_edc__changes_by_form"
        ).fetchall()
        counts = {(str(r[0]), r[1]): tuple(r[2:4]) + tuple(int(x) for x in r[4:]) for r in rows}
        chgtype = {}
        for form in FORMS:
            for site, recid, kind in con.execute(
                f"select SITE_FOLDER, cast(RECID as varchar), CHGTYPE from intermediate.int_{form}__current"
            ).fetchall():
                chgtype[(str(site), form, recid)] = kind
    return counts, chgtype


def _require_change_columns(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        n = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'intermediate' and table_name = 'int_edc__changes_by_form'"
        ).fetchone()[0]
    if not n:
        pytest.skip("the build has no intermediate.int_edc__changes_by_form (change columns not merged yet)")


def _assert_same(expected: dict, actual: dict, what: str) -> None:
    missing, extra = set(expected) - set(actual), set(actual) - set(expected)
    assert not missing and not extra, f"{what}: missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
    wrong = {k: (expected[k], actual[k]) for k in expected if expected[k] != actual[k]}
    assert not wrong, f"{what}: {len(wrong)} differ (expected, warehouse), e.g. {sorted(wrong.items())[:5]}"


def test_demo_changes_equal_a_comparison_of_the_last_two_transfers(demo_warehouse, demo_delivery):
    _require_change_columns(demo_warehouse)
    counts, chgtype = expected_changes(demo_delivery)
    actual_counts, actual_chgtype = warehouse_changes(demo_warehouse)
    _assert_same(counts, actual_counts, "int_edc__changes_by_form")
    _assert_same(chgtype, actual_chgtype, "CHGTYPE of int_<form>__current")
    # the demo's last transfers add records (so the comparison is not vacuous); they correct
    # none, which the edited delivery below does
    assert sum(c[3] for c in counts.values()) > 0


# --------------------------------------------------------------------------- one added, corrected, deleted
def _read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _fix_manifest(transfer: Path, site: str, form: str) -> None:
    """The manifest line of ``site_<site>/<form>.csv``: its data rows and SHA-256 again."""
    file = transfer / f"site_{site}" / f"{form}.csv"
    _, rows = _read(file)
    header, lines = _read(transfer / "manifest.csv")
    for line in lines:
        if line["SITEID"] == site and line["FORM"] == form:
            line["ROWS"] = str(len(rows))
            line["SHA256"] = hashlib.sha256(file.read_bytes()).hexdigest()
    _write(transfer / "manifest.csv", header, lines)


@pytest.fixture(scope="module")
def edited(demo_delivery, tmp_path_factory):
    """The demo delivery with site 101's latest ae file adding, correcting and deleting one
    record, built; returns (db, extracts, {'NEW': recid, 'CHANGED': recid, 'DELETED': recid})."""
    work = tmp_path_factory.mktemp("newrecs")
    root = work / "extracts"
    shutil.copytree(demo_delivery, root)
    transfers = _manifests(root)[(SITE, "ae")]
    latest, previous = root / transfers[-1], root / transfers[-2]
    before = _highest_versions(previous / f"site_{SITE}" / "ae.csv")
    path = latest / f"site_{SITE}" / "ae.csv"
    header, rows = _read(path)
    # records the previous transfer held at the same version, active and before the cutoff
    steady = [
        r
        for r in rows
        if r["RECSTAT"] == "ACTIVE"
        and _kept_by_cutoff("ae", r)
        and r["RECID"] in before
        and before[r["RECID"]]["RECVER"] == r["RECVER"]
    ]
    assert len(steady) >= 3, "site 101 needs three unchanged ae records in its latest transfer"
    template, corrected, deleted = steady[0], steady[1], steady[2]
    new = dict(template)
    # a RECID of the same form (AE-<site>-<subject>-<5 digits>; adae.RECID is 16 bytes long)
    # that no transfer of the site ever used
    used = {recid for t in transfers for recid in _highest_versions(root / t / f"site_{SITE}" / "ae.csv")}
    prefix = template["RECID"][:-5]
    new["RECID"] = next(f"{prefix}{n:05d}" for n in range(99_999, 0, -1) if f"{prefix}{n:05d}" not in used)
    new["RECVER"] = "1"
    new["AESPID"] = str(max(int(r["AESPID"]) for r in rows if r["SUBJID"] == template["SUBJID"]) + 1)
    assert new["RECID"] not in {r["RECID"] for r in rows}
    for row in rows:
        if row["RECID"] == corrected["RECID"]:
            row["RECVER"] = str(int(row["RECVER"]) + 1)
            row["AETERM"] = row["AETERM"] + " (corrected)"
        elif row["RECID"] == deleted["RECID"]:
            row["RECVER"] = str(int(row["RECVER"]) + 1)
            row["RECSTAT"] = "DELETED"
    _write(path, header, rows + [new])
    _fix_manifest(latest, SITE, "ae")
    db = work / "warehouse.duckdb"
    run_dbt(["build"], db=db, extracts=root, target=work / "dbt")
    return db, root, {"NEW": new["RECID"], "CHANGED": corrected["RECID"], "DELETED": deleted["RECID"]}


def test_added_corrected_deleted_record_are_counted(edited, demo_delivery):
    db, _root, recids = edited
    _require_change_columns(db)
    demo_counts, _ = expected_changes(demo_delivery)
    counts, chgtype = warehouse_changes(db)
    latest, previous, n_current, n_new, n_changed, n_deleted = demo_counts[(SITE, "ae")]
    # the demo's own changes of site 101's ae, plus one of each; one record more, one less
    assert counts[(SITE, "ae")] == (
        latest,
        previous,
        n_current + 1 - 1,
        n_new + 1,
        n_changed + 1,
        n_deleted + 1,
    )
    assert chgtype[(SITE, "ae", recids["NEW"])] == "NEW"
    assert chgtype[(SITE, "ae", recids["CHANGED"])] == "CHANGED"
    assert (SITE, "ae", recids["DELETED"]) not in chgtype  # a deleted record is not current
    # nothing else moved: every other site and form as in the demo
    others = {k: v for k, v in counts.items() if k != (SITE, "ae")}
    assert others == {k: v for k, v in demo_counts.items() if k != (SITE, "ae")}


def test_edited_delivery_equals_its_csv_comparison(edited):
    db, root, _ = edited
    _require_change_columns(db)
    counts, chgtype = expected_changes(root)
    actual_counts, actual_chgtype = warehouse_changes(db)
    _assert_same(counts, actual_counts, "int_edc__changes_by_form")
    _assert_same(chgtype, actual_chgtype, "CHGTYPE of int_<form>__current")


def test_the_page_lists_the_three_edits(edited, monkeypatch):
    """Adverse events page data: the new and the corrected record are marked, the deleted one
    is gone; the Data quality listing of site 101's ae holds the two."""
    db, _, recids = edited
    _require_change_columns(db)
    monkeypatch.setenv("CTWH_DB", str(db))
    from app import data

    listing = data.adverse_events(limit=10_000, sites=[SITE], new_only=True)
    marked = dict(zip(listing["RECID"].to_list(), listing["CHGTYPE"].to_list()))
    assert marked[recids["NEW"]] == "NEW" and marked[recids["CHANGED"]] == "CHANGED"
    assert recids["DELETED"] not in marked
    records = data.changed_records("ae", SITE)
    assert {recids["NEW"], recids["CHANGED"]} <= set(records["RECID"].to_list())
    assert recids["DELETED"] not in set(records["RECID"].to_list())


def test_data_quality_page_shows_the_csv_counts(edited, monkeypatch):
    """The Data quality page on the edited delivery: its totals and site 101's ae listing
    equal the CSV comparison."""
    from conftest import REPO
    from streamlit.testing.v1 import AppTest

    db, root, recids = edited
    _require_change_columns(db)
    monkeypatch.setenv("CTWH_DB", str(db))
    counts, _ = expected_changes(root)
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=180)
    at.run()
    at.switch_page("app/pages/data_quality.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["New records (all sites)"] == f"{sum(c[3] for c in counts.values()):,}"
    assert metrics["Changed records"] == f"{sum(c[4] for c in counts.values()):,}"
    assert metrics["Deleted records"] == f"{sum(c[5] for c in counts.values()):,}"
    at.selectbox(key="dq_changes_site").set_value(SITE).run()
    at.selectbox(key=f"dq_changes_form_{SITE}").set_value("ae").run()
    n = counts[(SITE, "ae")][3] + counts[(SITE, "ae")][4]
    assert any(f"All {n} new or changed ae records of site {SITE}." == c.value for c in at.caption)
    (listed,) = [d.value for d in at.dataframe if "CHGTYPE" in d.value.columns]
    assert len(listed) == n and {recids["NEW"], recids["CHANGED"]} <= set(listed["RECID"])
