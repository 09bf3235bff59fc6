"""ADaM conformance to the specification (expectations/conformance.py, validation.adam_conformance).

Build-free: datasets made from the spec itself (two rows per dataset, every variable of its
TYPE / DATA_TYPE, values within LENGTH, distinct keys) pass every check; one edit each - a
column dropped, a column moved, a value longer than LENGTH in UTF-8 bytes only, a duplicated
key, a wrong column type - fails exactly that check, naming dataset, variable and the first
offending row's key. On the demo build: the conformance table lists every check as run and
passed (the variable names the ADaMIG renames fix are listed, not blocking); edited copies of
its ADaM tables, checked by the dbt models adam_conformance and publication_gate, stop
publication.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pandas as pd
import pytest
from conftest import REPO, run_dbt, work_db

from expectations import adam_spec
from expectations.conformance import run_adam_conformance

SPEC = adam_spec.read_spec()
RULES = pd.read_csv(REPO / "seeds" / "adam_rules.csv", dtype=str, keep_default_na=False).replace("", None)
WARN: tuple[str, ...] = ()  # dbt var adam_conformance_warn_checks (dbt_project.yml): empty


def value(row, n: int):
    """A value of variable ``row`` (spec row) for dataset row ``n`` (0 or 1): fits its type and
    LENGTH; differs between the rows (so the keys are distinct)."""
    if row["TYPE"] == "Char":
        return "AB"[n] * min(int(row["LENGTH"]), 3)
    return {
        "integer": n + 1,
        "float": n + 0.5,
        "date": dt.date(2017, 1, 1 + n),
    }[row["DATA_TYPE"]]


def spec_datasets() -> dict[str, pd.DataFrame]:
    frames = {}
    for dataset in adam_spec.dataset_names(SPEC.datasets):
        rows = adam_spec.variables_of(SPEC.variables, dataset).to_dict("records")
        frames[dataset] = pd.DataFrame({r["VARIABLE"]: [value(r, 0), value(r, 1)] for r in rows})
        for r in rows:
            if r["DATA_TYPE"] == "date":
                frames[dataset][r["VARIABLE"]] = pd.to_datetime(frames[dataset][r["VARIABLE"]]).dt.date
    return frames


def check(frames: dict, gx_root) -> pd.DataFrame:
    report = run_adam_conformance(
        frames, SPEC.datasets, SPEC.variables, RULES, "unit-test", gx_root=gx_root, warn_checks=WARN
    )
    assert "validation_error" not in set(report.CHECK_ID), report.MESSAGE.tolist()
    return report


def failures(report: pd.DataFrame) -> set[tuple]:
    bad = report[report.BLOCKING]
    return set(zip(bad.DATASET, bad.CHECK_ID, bad.VARIABLE.fillna("")))


def first_char_variable(dataset: str, free_text: bool = True) -> dict:
    """The first Char variable of a dataset (without a codelist when ``free_text``)."""
    rows = adam_spec.variables_of(SPEC.variables, dataset)
    rows = rows[(rows.TYPE == "Char") & (rows.CODELIST.isna() if free_text else True)]
    return rows.iloc[0].to_dict()


@pytest.fixture
def gx_root(tmp_path):
    return tmp_path / "gx"


def test_datasets_made_from_the_spec_pass_every_blocking_check(gx_root):
    report = check(spec_datasets(), gx_root)
    assert failures(report) == set()
    variables = SPEC.variables
    n_char = int((variables.TYPE == "Char").sum())
    per_check = report.groupby("CHECK_ID").size().to_dict()
    # one unit per variable, per Char variable, per dataset: counted from the spec
    assert per_check["type"] == len(variables) == 149
    assert per_check["length"] == per_check["length_max"] == n_char == 102
    assert per_check["variables"] == per_check["unique_keys"] == per_check["key_variables"] == 5
    assert per_check["label_length"] == len(variables) + len(SPEC.datasets) == 154
    assert per_check["codelist_covered"] == int(variables.CODELIST.notna().sum()) == 86
    # every name of the spec is a SAS V5 name: no check failed, blocking or not
    assert report.PASSED.all()


def test_each_edit_fails_its_check_with_dataset_variable_and_key(gx_root):
    frames = spec_datasets()
    # a column dropped: the last variable of adtte
    dropped = adam_spec.variables_of(SPEC.variables, "adtte").VARIABLE.iloc[-1]
    frames["adtte"] = frames["adtte"].drop(columns=dropped)
    # adsl's first two columns swapped
    first, second = frames["adsl"].columns[:2]
    frames["adsl"] = frames["adsl"][[second, first, *frames["adsl"].columns[2:]]]
    # a value longer than LENGTH in UTF-8 bytes, not in characters: "é" is 2 bytes
    long = first_char_variable("adae")
    length = int(long["LENGTH"])
    frames["adae"][long["VARIABLE"]] = frames["adae"][long["VARIABLE"]].astype(object)
    frames["adae"].loc[1, long["VARIABLE"]] = "é" * (length // 2 + 1)  # length//2+1 <= LENGTH chars
    # a duplicated key: adex's first row twice
    frames["adex"] = pd.concat([frames["adex"], frames["adex"].iloc[[0]]], ignore_index=True)
    # a Char variable stored as a number
    typed = first_char_variable("adrs", free_text=False)
    frames["adrs"][typed["VARIABLE"]] = [1, 2]

    report = check(frames, gx_root)
    assert failures(report) == {
        ("adtte", "variables", dropped),
        ("adsl", "variables", second),
        ("adae", "length", long["VARIABLE"]),
        ("adex", "unique_keys", ""),
        ("adrs", "type", typed["VARIABLE"]),
    }
    row = report[report.BLOCKING].set_index(["DATASET", "CHECK_ID"])
    assert row.loc[("adtte", "variables"), "MESSAGE"] == (
        f"dataset adam.adtte, variable {dropped}: 1 variable(s) of the spec missing: {dropped}"
    )
    assert f"first {second} at column 1 (VARNUM order: 2)" in row.loc[("adsl", "variables"), "MESSAGE"]
    keys = adam_spec.keys_of(SPEC.datasets, "adae")
    key = ", ".join(f"{k}={frames['adae'].loc[1, k]}" for k in keys)
    assert row.loc[("adae", "length"), "FIRST_KEY"] == key
    assert row.loc[("adae", "length"), "MESSAGE"] == (
        f"dataset adam.adae, variable {long['VARIABLE']}: 1 value(s) longer than LENGTH {length} bytes "
        f"(longest {2 * (length // 2 + 1)} bytes, UTF-8); first at {key}"
    )
    adex_keys = adam_spec.keys_of(SPEC.datasets, "adex")
    assert row.loc[("adex", "unique_keys"), "UNEXPECTED_COUNT"] == 2  # both rows of the key
    assert row.loc[("adex", "unique_keys"), "FIRST_KEY"] == ", ".join(
        f"{k}={frames['adex'].loc[0, k]}" for k in adex_keys
    )
    assert (
        "column type BIGINT, but the spec says Char (text): expected VARCHAR"
        in (row.loc[("adrs", "type"), "MESSAGE"])
    )


def test_a_bad_input_is_one_row_not_a_traceback(gx_root):
    frames = spec_datasets()
    del frames["adex"]
    report = run_adam_conformance(frames, SPEC.datasets, SPEC.variables, RULES, "unit-test", gx_root=gx_root)
    assert report.CHECK_ID.tolist() == ["validation_error"] and report.BLOCKING.tolist() == [True]
    assert report.MESSAGE.iloc[0] == (
        "validation could not run (adam_conformance): ValueError: dataset adex of seed adam_datasets is not given"
    )


# ------------------------------------------------------------------------------ demo build
def query(db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).df()


def test_demo_build_runs_every_check_and_passes(demo_warehouse):
    report = query(demo_warehouse, "select * from validation.adam_conformance")
    assert not report.BLOCKING.any(), report[report.BLOCKING].MESSAGE.tolist()
    # per dataset: variables, key_variables, unique_keys; per variable: type, variable_name; per
    # Char variable: length, length_max; per variable and dataset: label_length, label_ascii;
    # per variable with a codelist: codelist_covered; per dataset: dataset_name
    assert len(report) == 5 * 3 + 149 * 2 + 102 * 2 + 154 * 2 + 86 + 5  # = 916
    assert report.PASSED.all(), report[~report.PASSED].MESSAGE.tolist()
    gate = query(demo_warehouse, "select * from validation.publication_gate").iloc[0]
    assert bool(gate.ADAM_CHECKS_PASSED) and gate.N_FAILED_CONFORMANCE == 0


def test_edited_adam_tables_stop_publication(demo_warehouse, demo_delivery, tmp_path):
    """The work file of the demo build with a column dropped, a value too long and a key
    duplicated; dbt rebuilds adam_conformance and publication_gate only (the ADaM tables stay
    as edited): the gate's test fails, the gate names the failures."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, db)
    shutil.copy(work_db(demo_warehouse), work_db(db))
    dropped = adam_spec.variables_of(SPEC.variables, "adtte").VARIABLE.iloc[-1]
    long = first_char_variable("adae")
    keys = adam_spec.keys_of(SPEC.datasets, "adex")
    with duckdb.connect(str(work_db(db))) as con:
        con.execute(f'alter table adam.adtte drop column "{dropped}"')
        con.execute(
            f"update adam.adae set \"{long['VARIABLE']}\" = repeat('é', {int(long['LENGTH'])}) "
            "where rowid = (select min(rowid) from adam.adae)"
        )
        con.execute("insert into adam.adex select * from adam.adex where rowid = 0")
        first_key = con.sql(
            "select concat_ws(', ', "
            + ", ".join(f"'{k}=' || coalesce(cast(\"{k}\" as varchar), '(null)')" for k in keys)
            + ") from adam.adex where rowid = 0"
        ).fetchall()[0][0]
    proc = run_dbt(
        ["build", "--select", "adam_conformance", "publication_gate"],
        db=db,
        extracts=demo_delivery,
        target=tmp_path / "dbt",
        check=False,
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    results = json.loads((tmp_path / "dbt" / "target" / "run_results.json").read_text())["results"]
    failed = sorted(r["unique_id"].split(".")[2] for r in results if r["status"] == "fail")
    assert failed == ["publication_gate_adam_checks_pass"]
    report = query(work_db(db), "select * from validation.adam_conformance where BLOCKING")
    assert sorted(zip(report.DATASET, report.CHECK_ID)) == [
        ("adae", "length"),
        ("adex", "unique_keys"),
        ("adtte", "variables"),
    ]
    row = report.set_index("CHECK_ID")
    assert (
        row.loc["unique_keys", "FIRST_KEY"] == first_key and row.loc["unique_keys", "UNEXPECTED_COUNT"] == 2
    )
    assert row.loc["variables", "VARIABLE"] == dropped
    assert row.loc["length", "VARIABLE"] == long["VARIABLE"]
    assert (
        f"longer than LENGTH {long['LENGTH']} bytes (longest {2 * int(long['LENGTH'])} bytes"
        in (row.loc["length", "MESSAGE"])
    )
    gate = query(work_db(db), "select * from validation.publication_gate").iloc[0]
    assert not gate.ADAM_CHECKS_PASSED and gate.N_FAILED_CONFORMANCE == 3
    assert gate.REASON.startswith("new results not published: 3 failed ADaM check(s); first: dataset adam.")
