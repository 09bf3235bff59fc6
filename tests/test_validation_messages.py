"""What the lab checks of the delivery say: the row's test, or that a value is empty.

Every lab result or unit that failed was reported as "... is not a result of test (empty)"
(the message read LBTESTCD, a column that is empty on the rows of these checks, instead of the
row's test code); a row that really had no test code read the same. The messages now name the
row's test, and say which value is empty when one is. Real messages: the demo's latest transfer with lb rows
edited, through the real ``dbt build`` (``validation.delivery_checks``, GX inside dbt).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import run_dbt, work_db

import trialgen.bad as bad


def _edit_lb(transfer: Path, site: str, test: str, changes: dict[str, str]) -> tuple:
    """Change one row of the site's lb.csv holding a result of ``test``; its row number and
    original values."""
    editor = bad.SiteFileEditor(transfer, site, "lb")
    k = editor.find(lambda r: r["LBTESTCD"] == test and r["LBORRES"] != "")
    original = editor.row(k)
    for column, value in changes.items():
        editor.set(k, column, value)
    bad.refresh_manifest(transfer, editor.name, editor.save())
    return k, original


@pytest.fixture(scope="module")
def lab_messages(demo_delivery, tmp_path_factory):
    work = tmp_path_factory.mktemp("lab_messages")
    latest = sorted(p for p in demo_delivery.iterdir() if p.is_dir())[-1]
    root = work / "extracts"
    shutil.copytree(latest, root / latest.name)
    transfer = root / latest.name
    sites = sorted(p.name.removeprefix("site_") for p in transfer.glob("site_*"))[:5]
    rows = {
        # a numeric result with its unit, but no test code
        sites[0]: _edit_lb(transfer, sites[0], "SPEP", {"LBTESTCD": ""}),
        # a test without a unit (SIFE), its code removed: no code, no unit
        sites[1]: _edit_lb(transfer, sites[1], "SIFE", {"LBTESTCD": ""}),
        # a test with a unit (HGB), its unit removed
        sites[2]: _edit_lb(transfer, sites[2], "HGB", {"LBORRESU": ""}),
        # a result that is not a number, and a wrong unit, of a test that is there
        sites[3]: _edit_lb(transfer, sites[3], "HGB", {"LBORRES": "abc"}),
        sites[4]: _edit_lb(transfer, sites[4], "HGB", {"LBORRESU": "mg"}),
    }
    db = work / "warehouse.duckdb"
    run_dbt(
        ["build", "--select", "+delivery_checks", "--indirect-selection", "cautious"],
        db=db,
        extracts=root,
        target=work / "dbt",
        check=False,
    )
    with duckdb.connect(str(work_db(db)), read_only=True) as con:  # partial: not published
        found = con.execute(
            "select SITEID, CHECK_ID, ROW, MESSAGE from validation.delivery_checks "
            "where CHECK_ID like 'lab_%' order by SITEID, CHECK_ID"
        ).fetchall()
    return sites, rows, {(site, check): (row, message) for site, check, row, message in found}


def test_wrong_result_or_unit_names_the_rows_test(lab_messages):
    sites, rows, found = lab_messages
    row, message = found[(sites[3], "lab_result")]
    assert row == rows[sites[3]][0]
    assert message.endswith(
        "column LBORRES: LBORRES 'abc' is not a result of test HGB (see seeds/extract_lab_tests.csv)"
    ), message
    row, message = found[(sites[4], "lab_unit")]
    assert row == rows[sites[4]][0]
    assert message.endswith("column LBORRESU: unit 'mg' is not the spec's unit of test HGB"), message
    assert (sites[3], "lab_unit") not in found and (sites[4], "lab_result") not in found


def test_no_message_prints_an_empty_value_as_a_name(lab_messages):
    _sites, _rows, found = lab_messages
    assert found
    for (_site, _check), (_row, message) in found.items():
        assert "(empty)" not in message, message


def test_result_without_a_test_code_says_the_code_is_empty(lab_messages):
    sites, rows, found = lab_messages
    k, original = rows[sites[0]]
    row, message = found[(sites[0], "lab_result")]
    assert row == k
    assert message.endswith(
        f"column LBORRES: LBORRES {original['LBORRES']!r} has no test code: LBTESTCD is empty"
    ), message
    row, message = found[(sites[0], "lab_unit")]
    assert row == k
    assert message.endswith("column LBORRESU: unit 'g/dL' has no test code: LBTESTCD is empty"), message


def test_neither_code_nor_unit(lab_messages):
    sites, rows, found = lab_messages
    k, original = rows[sites[1]]
    row, message = found[(sites[1], "lab_result")]
    assert row == k
    assert message.endswith(
        f"column LBORRES: LBORRES {original['LBORRES']!r} has no test code: LBTESTCD is empty"
    ), message
    row, message = found[(sites[1], "lab_unit")]
    assert row == k
    assert message.endswith("column LBORRESU: no unit and no test code: LBORRESU and LBTESTCD are empty"), (
        message
    )


def test_missing_unit_names_the_test(lab_messages):
    sites, rows, found = lab_messages
    assert (sites[2], "lab_result") not in found
    row, message = found[(sites[2], "lab_unit")]
    assert row == rows[sites[2]][0]
    assert message.endswith(
        "column LBORRESU: LBORRESU is empty, but test HGB has a unit (see seeds/extract_lab_tests.csv)"
    ), message
