"""The validation code on small inputs (fast): the delivery reader never raises and locates
defects, and the real GX suites fire on data that breaks them (ADaM rules, study rules).

GX runs for real, in a temporary GX project (not the repository's ``expectations/gx``).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO
from expectations.checks import run_adam_checks, run_study_rule_checks
from expectations.contract import Contract
from expectations.delivery import parse_csv_bytes, read_delivery

SEEDS = REPO / "seeds"


def seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS / f"{name}.csv", dtype=str, keep_default_na=False) \
        .replace("", None)


# ------------------------------------------------------------------------------ reader
def test_reader_locates_bytes_that_are_not_utf8():
    data = "A,AETERM\n1,ok\n2,外来\n".encode("cp932")
    parsed = parse_csv_bytes(data)
    assert not parsed.utf8_ok
    assert (parsed.bad_utf8_row, parsed.bad_utf8_column) == (2, "AETERM")
    assert parsed.rows == 2


@pytest.mark.parametrize("data, error", [
    (b"A,B\n1,2,3\n", "row 1 has 3 field(s), the header has 2"),
    (b'A,B\n1,"2\n', "not valid CSV"),
    (b"", "no header row"),
    (b"A,A\n1,2\n", "duplicate column(s) in the header: A"),
])
def test_reader_reports_broken_csv_without_raising(data, error):
    assert error in parse_csv_bytes(data).csv_error


def test_reader_counts_rows_hashes_and_sees_a_bom():
    parsed = parse_csv_bytes(b"\xef\xbb\xbfA,B\r\n1,2\r\n3,4\r\n")
    assert parsed.has_bom and parsed.rows == 2 and parsed.csv_error is None
    assert parsed.header == ["A", "B"]


def test_reader_survives_any_folder(tmp_path):
    contract = Contract.from_seed_dir(SEEDS)
    (tmp_path / "not_a_transfer" / "site_1x3").mkdir(parents=True)
    (tmp_path / "not_a_transfer" / "site_1x3" / "ae.csv").write_bytes(b"\x00\xff")
    (tmp_path / "20190101T0200").mkdir()
    (tmp_path / "20190101T0200" / "manifest.csv").write_text("nonsense")
    delivery = read_delivery(tmp_path, contract)
    assert set(delivery.files["TRANSFER_ID"]) == {"not_a_transfer", "20190101T0200"}
    assert read_delivery(tmp_path / "missing", contract).files.empty


def test_partial_dates_are_bounded_at_their_own_precision(tmp_path):
    contract = Contract.from_seed_dir(SEEDS)
    site = tmp_path / "20170401T0200" / "site_101"
    site.mkdir(parents=True)
    common = "STUDYID,SITEID,SUBJID,RECID,RECVER,RECSTAT,MODDTC"
    (site / "ae.csv").write_text(
        f"{common},AESPID,AETERM,AEDECOD,AEBODSYS,AESTDAT,AEENDAT,AEONGO,AETOXGR,AESER,"
        "AEREL_IXA,AEREL_LEN,AEREL_DEX,AEACN_IXA,AEACN_LEN,AEACN_DEX,AECYDLY,AEDISCON,AEOUT\n"
        "NCT02917941,101,101-001,AE-1,1,ACTIVE,2017-03-21T00:00:00,1,x,x,x,2017-03,,Y,1,N,"
        "RELATED,RELATED,RELATED,DOSE NOT CHANGED,DOSE NOT CHANGED,DOSE NOT CHANGED,N,N,"
        "RECOVERED/RESOLVED\n", encoding="utf-8")
    ae = read_delivery(tmp_path, contract).forms["ae"]
    assert ae["AESTDAT__LO"][0] == pd.Timestamp("2017-03-01")
    assert ae["AESTDAT__HI"][0] == pd.Timestamp("2017-03-31")     # not before 2017-03-20


# ------------------------------------------------------------------------------ GX suites
@pytest.fixture(scope="module")
def gx_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gx_project")


def test_adam_suites_fire_on_broken_adam_data(gx_root):
    d = dt.date
    adsl = pd.DataFrame({
        "USUBJID": ["NCT02917941-101-001", "NCT02917941-101-001", "NCT02917941-102-001"],
        "SITEID": ["101", "101", "102"], "STUDYID": ["NCT02917941"] * 3,
        "SUBJID": ["101-001", "101-001", "102-001"], "AGE": [60, 60, 61],
        "FASFL": ["Y", "Y", None], "TRTSDT": [d(2017, 3, 1)] * 3,
        "TRTEDT": [d(2017, 2, 1), d(2017, 4, 1), d(2017, 4, 1)],
    })
    adtte = pd.DataFrame({
        "USUBJID": ["NCT02917941-101-001", "NCT02917941-102-001"], "PARAMCD": ["PFS", "XYZ"],
        "STARTDT": [d(2017, 3, 1)] * 2, "ADT": [d(2017, 2, 1), d(2017, 5, 1)],
        "AVAL": [-27, 62], "CNSR": [-1, 0],
    })
    empty = pd.DataFrame({"USUBJID": pd.Series(dtype=object)})
    report = run_adam_checks(
        {"adsl": adsl, "adrs": empty, "adtte": adtte, "adae": empty, "adex": empty},
        seed("adam_required_variables"), seed("adam_rules"), "unit-test", gx_root=gx_root)
    assert "validation_error" not in set(report["CHECK_ID"]), report["MESSAGE"].tolist()
    found = set(zip(report["DATASET"], report["CHECK_ID"], report["COLUMN_NAME"]))
    for expected in [("adam.adsl", "unique", "USUBJID"), ("adam.adsl", "not_null", "FASFL"),
                     ("adam.adsl", "not_before", "TRTEDT"), ("adam.adtte", "in_set", "PARAMCD"),
                     ("adam.adtte", "between", "CNSR"), ("adam.adtte", "not_before", "ADT"),
                     ("adam.adsl", "required_variables", None)]:
        assert expected in found, (expected, sorted(found, key=str))
    cnsr = report[(report.DATASET == "adam.adtte") & (report.CHECK_ID == "between")
                  & (report.COLUMN_NAME == "CNSR")].iloc[0]
    assert cnsr["SITEID"] == "101" and cnsr["USUBJID"] == "NCT02917941-101-001"
    assert "CNSR -1 is outside 0..99" in cnsr["MESSAGE"]


def test_study_rules_raise_queries(gx_root):
    d = dt.date
    subjects = pd.DataFrame({
        "USUBJID": ["NCT02917941-101-001", "NCT02917941-102-001"], "SITEID": ["101", "102"],
        "SUBJID": ["101-001", "102-001"], "AGE": [70, 19], "ECOGBL": [1, 1], "PRLINES": [2, 1],
        "CRCLBL": [45.2, 80.0], "LENSTDOS": [10.0, 25.0], "LEN_START_DOSE": [25.0, 25.0],
        "LEN_START_DT": [d(2017, 3, 1)] * 2,
        "LEN_REFRACTORY": ["Y", "N"], "LEN_REFRACTORY_LINES": ["line 1 (LENALIDOMIDE)", None],
        "PI_REFRACTORY": ["N", "N"], "PI_REFRACTORY_LINES": [None, None],
    })
    records = pd.DataFrame({
        "DOMAIN": ["ex", "ae"], "USUBJID": ["NCT02917941-101-001", "NCT02917941-102-001"],
        "SITEID": ["101", "102"], "EVENT": ["LENALIDOMIDE 10 mg", "Nausea"],
        "EVENT_DTC": ["2018-01-05", "2018-03"], "EVENT_DT": [d(2018, 1, 5), d(2018, 3, 1)],
        "EOTDT": [d(2018, 1, 1), None], "DTHDT": [None, d(2018, 2, 10)],
        "TRANSFER_ID": ["20180301T0200"] * 2,
        "SOURCE_FILE": ["20180301T0200/site_101/ex.csv", "20180301T0200/site_102/ae.csv"],
        "SOURCE_ROW": [7, 3],
    })
    report = run_study_rule_checks({"subjects": subjects, "records": records},
                                   seed("study_rules"), "unit-test", gx_root=gx_root)
    by_rule = {r.CHECK_ID: r for r in report.itertuples()}
    assert set(by_rule) == {"eligibility_lenalidomide_refractory", "eligibility_age",
                            "lenalidomide_starting_dose", "dose_after_end_of_treatment",
                            "ae_after_death"}, report["MESSAGE"].tolist()
    assert "site 101" in by_rule["lenalidomide_starting_dose"].MESSAGE
    assert "protocol starting dose is 10" in by_rule["lenalidomide_starting_dose"].MESSAGE
    dose = by_rule["dose_after_end_of_treatment"]
    assert (dose.SITEID, dose.FILE, dose.ROW) == ("101", "20180301T0200/site_101/ex.csv", 7)
    assert "after the end-of-treatment date 2018-01-01" in dose.MESSAGE
    assert "after the date of death 2018-02-10" in by_rule["ae_after_death"].MESSAGE
