"""The validation code on small inputs (fast): the delivery reader never raises and locates
defects, the delivery checks (file level + DuckDB reductions + GX) find what they must on a
small real delivery, and the real GX suites fire on data that breaks them (ADaM rules, study
rules).

GX runs for real, in a temporary GX project (not the build's ``CTWH_GX_DIR``). The
delivery checks read a base layer built here exactly as the warehouse's
(models/staging/edc/base): the sources' own ``read_csv`` calls from _edc__sources.yml.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import REPO

import trialgen.bad as bad
from expectations.checks import run_adam_checks, run_delivery_checks, run_study_rule_checks
from expectations.contract import Contract, site_id_regex
from expectations.delivery import inspect_bytes, inventory, parse_csv_bytes, scan_files

SEEDS = REPO / "seeds"
FORMS = ("dm", "vs", "mh", "ecog", "pt", "fish", "ex", "lb", "rs", "ae", "ds", "dd", "fu", "cm")


def seed(name: str) -> pd.DataFrame:
    """A seed by its dbt name, wherever under seeds/ it lives (the ADaM spec: seeds/adam_spec/)."""
    (path,) = SEEDS.rglob(f"{name}.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)


# ------------------------------------------------------------------------------ reader
def test_reader_locates_bytes_that_are_not_utf8():
    data = "A,AETERM\n1,ok\n2,外来\n".encode("cp932")
    parsed = parse_csv_bytes(data)
    assert not parsed.utf8_ok
    assert (parsed.bad_utf8_row, parsed.bad_utf8_column) == (2, "AETERM")
    assert parsed.rows == 2
    assert inspect_bytes(data).bad_utf8_row == 2  # the fast path hands it over


@pytest.mark.parametrize(
    "data, error",
    [
        (b"A,B\n1,2,3\n", "row 1 has 3 field(s), the header has 2"),
        (b'A,B\n1,"2\n', "not valid CSV"),
        (b"", "no header row"),
        (b"A,A\n1,2\n", "duplicate column(s) in the header: A"),
    ],
)
def test_reader_reports_broken_csv_without_raising(data, error):
    assert error in parse_csv_bytes(data).csv_error
    fast = inspect_bytes(data)  # reports it too, or leaves it to DuckDB's row count
    assert fast.csv_error == parse_csv_bytes(data).csv_error or not fast.exact


def test_reader_counts_rows_hashes_and_sees_a_bom():
    for read in (parse_csv_bytes, inspect_bytes):
        parsed = read(b"\xef\xbb\xbfA,B\r\n1,2\r\n3,4\r\n")
        assert parsed.has_bom and parsed.rows == 2 and parsed.csv_error is None
        assert parsed.header == ["A", "B"]


@pytest.mark.parametrize(
    "data, fast, rows",
    [
        (b"A,B\n1,2\n3,4\n", True, 2),
        (b"A,B\n1,2\n3,4", True, 2),  # no final newline
        (bytearray(b"A,B\n1,2\n"), True, 1),  # the thread pool's buffer
        (b'A,B\n1,"x, y"\n', True, 1),  # a quoted comma: still one line a record
        (b'A,B\n1,"x\ny"\n2,3\n', False, 2),  # a record over two lines: exact path
        (b"A,B\n1,2\r3,4\n", False, 2),  # a bare CR: exact path
        ("A,B\n1,外来\n".encode(), True, 1),  # UTF-8, not ASCII
    ],
)
def test_fast_path_counts_records_like_the_csv_module(data, fast, rows):
    parsed = inspect_bytes(data)
    assert parsed.exact is not fast
    assert parsed.rows == rows == parse_csv_bytes(bytes(data)).rows
    assert parsed.sha256 == parse_csv_bytes(bytes(data)).sha256


def test_reader_survives_any_folder(tmp_path):
    contract = Contract.from_seed_dir(SEEDS)
    (tmp_path / "not_a_transfer" / "site_1x3").mkdir(parents=True)
    (tmp_path / "not_a_transfer" / "site_1x3" / "ae.csv").write_bytes(b"\x00\xff")
    (tmp_path / "20190101T0200").mkdir()
    (tmp_path / "20190101T0200" / "manifest.csv").write_text("nonsense")
    files = scan_files(tmp_path, contract, {})
    assert set(files.files["TRANSFER_ID"]) == {"not_a_transfer", "20190101T0200"}
    # a folder that is no site folder is listed with its error and never entered or read
    odd = files.files[files.files["SOURCE_FILE"] == "not_a_transfer/site_1x3"]
    assert odd["PATH_ERROR"].tolist() == ["folder 'site_1x3' is not a site folder site_<SITEID>"]
    assert not files.files["READ_OK"].any()
    assert scan_files(tmp_path / "missing", contract, {}).files.empty


def test_inventory_refuses_links_and_near_names_and_reads_nothing_it_refuses(tmp_path):
    contract = Contract.from_seed_dir(SEEDS)
    transfer = tmp_path / "extracts" / "20190101T0200"
    good = transfer / "site_101"
    good.mkdir(parents=True)
    (good / "ae.csv").write_text("STUDYID,SITEID\nNCT02917941,101\n", encoding="utf-8")
    (good / "cm.csv").symlink_to(good / "ae.csv")  # a linked file
    (tmp_path / "elsewhere").mkdir()
    (transfer / "site_102").symlink_to(tmp_path / "elsewhere")  # a linked site folder
    (transfer / "SITE_103").mkdir()  # near names
    (transfer / "site_104 ").mkdir()
    (transfer / "SITE_103" / "ae.csv").write_text("A\n1\n", encoding="utf-8")
    (transfer / "manifest.csv").write_text(
        "SITEID,FORM,FILE,ROWS,SHA256\n101,ae,site_101/ae.csv,1,x\n101,ae,site_101/ae.csv,1,x\n",
        encoding="utf-8",
    )
    frame = inventory(tmp_path / "extracts", contract)
    by_file = {r["FILE"]: r for r in frame.to_dict("records")}
    assert by_file["site_101/ae.csv"]["READ_OK"] is True
    assert by_file["site_101/ae.csv"]["MANIFEST_COUNT"] == 2
    assert (
        by_file["site_101/cm.csv"]["PATH_ERROR"]
        == "site_101/cm.csv is a symbolic link: refused, not followed"
    )
    assert by_file["site_102"]["PATH_ERROR"] == "site_102 is a symbolic link: refused, not followed"
    assert (
        by_file["SITE_103"]["PATH_ERROR"]
        == "folder 'SITE_103' is not named exactly site_103: its files are not read"
    )
    assert by_file["site_104 "]["SITE_FOLDER"] == "104"
    assert "SITE_103/ae.csv" not in by_file  # never entered
    assert [r["FILE"] for r in frame.to_dict("records") if r["READ_OK"]] == [
        "manifest.csv",
        "site_101/ae.csv",
    ]
    assert {r["SITE_FOLDER"] for r in frame.to_dict("records") if r["PATH_ERROR"]} == {
        "101",
        "102",
        "103",
        "104",
    }


@pytest.mark.parametrize(
    "data, row, fragment",
    [
        (b'A,B\n1,2\n3,"x\n4,5\n', 2, "not valid CSV"),  # a quote never closed
        (b"A,B\n1,2\n3," + b"x" * 2_100_000 + b"\n", 2, "longer than"),  # DuckDB's line limit
        (b'A,B\n1,"' + b"y\n" * 1_100_000 + b'"\n', 1, "longer than"),  # a record over many lines
    ],
)
def test_files_the_reader_cannot_read_are_found_with_their_row(data, row, fragment):
    parsed = inspect_bytes(data)
    assert not parsed.usable
    assert fragment in parsed.csv_error and parsed.csv_error_row == row


def test_site_id_range_is_a_var():
    for site_ids in ("101-116", "101-999", "1-999", "95-1205"):
        first, last = map(int, site_ids.split("-"))
        regex = re.compile(rf"\A{site_id_regex(site_ids)}\Z")
        assert all(bool(regex.match(str(n))) == (first <= n <= last) for n in range(2000))
    spec = Contract.from_seed_dir(SEEDS)  # the spec's 101..116
    scale = Contract.from_seed_dir(SEEDS, site_ids="101-999")
    assert re.fullmatch(spec.type_regex["siteid"], "116")
    assert not re.fullmatch(spec.type_regex["siteid"], "117")
    assert re.fullmatch(scale.type_regex["subjid"], "202-001")
    assert "101..116" in spec.type_expected["siteid"]


# ------------------------------------------------------------------------------ delivery checks
def base_layer(root: Path) -> tuple[duckdb.DuckDBPyConnection, dict, str]:
    """The warehouse's base layer of ``root`` in an in-memory DuckDB: raw_edc__<form> read by
    the sources' own read_csv (models/staging/edc/_edc__sources.yml), base_edc__files as
    macro edc_file_lineage makes it."""
    sources = yaml.safe_load((REPO / "models/staging/edc/_edc__sources.yml").read_text())
    reads = {t["name"]: t["config"]["meta"]["external_location"] for t in sources["sources"][0]["tables"]}
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true; create schema staging")
    lineage = []
    for form in ("manifest", *FORMS):
        read = re.sub(r"\{\{ *env_var\('CTWH_EXTRACT_ROOT'[^}]*\}\}", str(root), reads[form])
        con.execute(f"create table staging.raw_edc__{form} as select * from {read}")
        depth = -2 if form == "manifest" else -3
        site = (
            "NULL::VARCHAR"
            if form == "manifest"
            else "regexp_replace(parse_path(filename)[-2], '^site_', '')"
        )
        lineage.append(
            f"select '{form}' as FORM, filename as FILENAME, parse_path(filename)[{depth}] "
            f"as TRANSFER_ID, {site} as SITE_FOLDER, array_to_string(parse_path(filename)"
            f"[{depth}:], '/') as SOURCE_FILE, min(rowid) as FIRST_ROWID, max(rowid) as "
            f"LAST_ROWID, count(*) as N_ROWS from staging.raw_edc__{form} group by filename"
        )
    con.execute("create table staging.base_edc__files as " + " union all ".join(lineage))
    return con, {f: f"staging.raw_edc__{f}" for f in FORMS}, "staging.base_edc__files"


def delivery_checks(root: Path, gx_root: Path, site_ids: str | None = None) -> pd.DataFrame:
    con, raw, files = base_layer(root)
    contract = {k: seed(f"extract_{k}") for k in ("columns", "types", "codelists", "lab_tests")}
    report = run_delivery_checks(
        root, contract, "unit-test", gx_root=gx_root, con=con, raw=raw, files_table=files, site_ids=site_ids
    )
    assert "validation_error" not in set(report["CHECK_ID"]), report["MESSAGE"].tolist()
    return report


@pytest.fixture(scope="module")
def small_delivery(demo_delivery, tmp_path_factory) -> Path:
    """The demo delivery's last two transfers (a delivery of its own)."""
    out = tmp_path_factory.mktemp("small") / "extracts"
    for transfer in sorted(p for p in demo_delivery.iterdir() if p.is_dir())[-2:]:
        shutil.copytree(transfer, out / transfer.name)
    return out


def _edit(root: Path, site: str, form: str):
    transfer = sorted(p for p in root.iterdir() if p.is_dir())[-1]
    return transfer, bad.SiteFileEditor(transfer, site, form)


def _save(transfer: Path, editor) -> None:
    bad.refresh_manifest(transfer, editor.name, editor.save())


def _consent(transfer: Path, site: str) -> dict[str, dt.date]:
    with (transfer / f"site_{site}" / "dm.csv").open(encoding="utf-8", newline="") as fh:
        return {r["SUBJID"]: dt.date.fromisoformat(r["ICDAT"]) for r in csv.DictReader(fh)}


def test_clean_small_delivery_passes(small_delivery, gx_root):
    report = delivery_checks(small_delivery, gx_root)
    assert report.empty, report["MESSAGE"].tolist()


def test_row_level_defects_are_found_where_they_are(small_delivery, tmp_path, gx_root):
    """Defects the reductions must not hide, each on its own site of the latest transfer."""
    root = tmp_path / "extracts"
    shutil.copytree(small_delivery, root)
    sites = sorted(p.name.removeprefix("site_") for p in sorted(root.iterdir())[-1].glob("site_*"))
    want = {}
    # timestamps: a day that does not exist and an hour 25 (both match the ISO pattern;
    # only the second GX run over the failing date/time groups finds the exact values)
    transfer, ed = _edit(root, sites[0], "ex")
    ed.set(3, "MODDTC", "2019-02-30T10:00:00")
    ed.set(7, "MODDTC", "2018-05-01T25:10:00")
    ed.set(9, "MODDTC", "")  # and one missing: a group of its own
    ed.set(11, "MODDTC", "2018-5-1T10:10:00")  # DuckDB parses it: no date group for it
    _save(transfer, ed)
    want["timestamp_calendar"] = (
        sites[0],
        f"site_{sites[0]}/ex.csv",
        3,
        "MODDTC",
        "'2019-02-30T10:00:00' is not a valid timestamp",
    )
    want["required"] = (sites[0], f"site_{sites[0]}/ex.csv", 9, "MODDTC", "required value is missing")
    # a record version repeated far from its first row (the file is no longer in RECID
    # order: that file is grouped exactly)
    transfer, ed = _edit(root, sites[1], "lb")
    ed.lines.append(ed.lines[2])
    _save(transfer, ed)
    last = len(ed.lines) - 1
    want["duplicate_record"] = (sites[1], f"site_{sites[1]}/lb.csv", last, "RECID", "already in row 2")
    # a record spread over two lines (valid CSV, exact path), then a bad code below it: its
    # row is the record's number, not the line's
    transfer, ed = _edit(root, sites[2], "ae")
    fields = [v if c != "AETERM" else "first line\nsecond line" for c, v in ed.row(1).items()]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)  # quotes the line break
    ed.lines[1] = out.getvalue().removesuffix("\n").encode("utf-8")
    k = len(ed.lines) - 1
    ed.set(k, "AEOUT", "RESOLVED")
    _save(transfer, ed)
    bad.edit_manifest(transfer, ed.name, lambda e: e | {"ROWS": str(k)})  # records, not lines
    want["code"] = (sites[2], f"site_{sites[2]}/ae.csv", k, "AEOUT", "outside its list")
    # partial dates at their own precision: the consent month is not before consent, the
    # month before it is
    transfer, ed = _edit(root, sites[3], "ae")
    consent = _consent(transfer, sites[3])
    rows = [k for k in range(1, len(ed.lines)) if ed.row(k)["SUBJID"] in consent]
    first, second = rows[0], rows[1]
    ic = consent[ed.row(first)["SUBJID"]]
    ed.set(first, "AESTDAT", ic.strftime("%Y-%m"))
    ic2 = consent[ed.row(second)["SUBJID"]]
    before = (ic2.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    ed.set(second, "AESTDAT", before)
    ed.set(second, "AEENDAT", "")
    _save(transfer, ed)
    want["before_consent"] = (
        sites[3],
        f"site_{sites[3]}/ae.csv",
        second,
        "AESTDAT",
        f"AESTDAT {before} is before informed consent",
    )
    # an empty line: DuckDB skips it, the line count does not
    transfer, ed = _edit(root, sites[4], "vs")
    ed.lines.insert(2, b"")
    _save(transfer, ed)
    want["csv"] = (sites[4], f"site_{sites[4]}/vs.csv", 2, None, "row 2 is an empty line")
    # a site id outside the study's range (101..116)
    transfer, ed = _edit(root, sites[5], "fu")
    ed.set(1, "SITEID", "117")
    _save(transfer, ed)
    want["type_siteid"] = (
        sites[5],
        f"site_{sites[5]}/fu.csv",
        1,
        "SITEID",
        "'117' is not a study site id (101..116)",
    )
    want["siteid_folder"] = (
        sites[5],
        f"site_{sites[5]}/fu.csv",
        1,
        "SITEID",
        f"SITEID 117 differs from the folder site_{sites[5]}",
    )

    everything = delivery_checks(root, gx_root)
    # the edits change records already accepted in the previous transfer in place (same
    # RECVER): the reconciliation reports those too, on the same sites; the row-level checks
    # are under test here (the reconciliation: test_reconciliation_... below)
    reconciled = everything[everything.SUITE == "delivery_reconciliation"]
    assert set(reconciled.SITEID) <= {w[0] for w in want.values()}
    report = everything[everything.SUITE != "delivery_reconciliation"]
    for check, (site, file, row, column, text) in want.items():
        hits = report[(check == report.CHECK_ID) & (site == report.SITEID)]
        assert len(hits) == 1, (check, report["MESSAGE"].tolist())
        hit = hits.iloc[0]
        assert f"{transfer.name}/{file}" == hit.FILE, (check, hit.FILE)
        assert row == hit.ROW, (check, hit.MESSAGE)
        assert column is None or column == hit.COLUMN_NAME, (check, hit.COLUMN_NAME)
        assert text in hit.MESSAGE, (check, hit.MESSAGE)
        assert f"site {site}, transfer {transfer.name}, file {hit.FILE}" in hit.MESSAGE
    calendar = report[report.CHECK_ID == "timestamp_calendar"].iloc[0]
    assert calendar.UNEXPECTED_COUNT == 2 and "row 7: 2018-05-01T25:10:00" in calendar.EXAMPLES
    pattern = report[report.CHECK_ID == "type_timestamp"]
    assert pattern.ROW.tolist() == [11], pattern["MESSAGE"].tolist()
    assert set(report.SITEID) == {w[0] for w in want.values()}
    assert len(report) == len(want) + 1, report["MESSAGE"].tolist()  # + type_timestamp
    assert not (report.CHECK_ID == "before_consent").sum() > 1  # the consent month is fine
    # the site var: with a wider range, 117 is a site id - but not this folder's
    wide = delivery_checks(root, gx_root, site_ids="101-999")
    wide = wide[(sites[5] == wide.SITEID) & (wide.SUITE != "delivery_reconciliation")]
    assert set(wide.CHECK_ID) == {"siteid_folder"}, wide["MESSAGE"].tolist()


# ------------------------------------------------------------------------------ GX suites
@pytest.fixture(scope="module")
def gx_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gx_project")


def test_adam_suites_fire_on_broken_adam_data(gx_root):
    d = dt.date
    adsl = pd.DataFrame(
        {
            "USUBJID": ["NCT02917941-101-001", "NCT02917941-101-001", "NCT02917941-102-001"],
            "SITEID": ["101", "101", "102"],
            "STUDYID": ["NCT02917941"] * 3,
            "SUBJID": ["101-001", "101-001", "102-001"],
            "AGE": [60, 60, 61],
            "FASFL": ["Y", "Y", None],
            "TRTSDT": [d(2017, 3, 1)] * 3,
            "TRTEDT": [d(2017, 2, 1), d(2017, 4, 1), d(2017, 4, 1)],
        }
    )
    adtte = pd.DataFrame(
        {
            "USUBJID": ["NCT02917941-101-001", "NCT02917941-102-001"],
            "PARAMCD": ["PFS", "XYZ"],
            "STARTDT": [d(2017, 3, 1)] * 2,
            "ADT": [d(2017, 2, 1), d(2017, 5, 1)],
            "AVAL": [-27, 62],
            "CNSR": [-1, 0],
        }
    )
    empty = pd.DataFrame({"USUBJID": pd.Series(dtype=object)})
    report = run_adam_checks(
        {"adsl": adsl, "adrs": empty, "adtte": adtte, "adae": empty, "adex": empty},
        seed("adam_variables"),
        seed("adam_rules"),
        "unit-test",
        gx_root=gx_root,
        codelists=seed("adam_codelists"),
    )
    assert "validation_error" not in set(report["CHECK_ID"]), report["MESSAGE"].tolist()
    found = set(zip(report["DATASET"], report["CHECK_ID"], report["COLUMN_NAME"]))
    for expected in [
        ("adam.adsl", "not_null", "FASFL"),
        ("adam.adsl", "not_before", "TRTEDT"),
        ("adam.adtte", "in_set", "PARAMCD"),
        ("adam.adtte", "in_set", "CNSR"),
        ("adam.adtte", "not_before", "ADT"),
        ("adam.adsl", "required_variables", None),
    ]:
        assert expected in found, (expected, sorted(found, key=str))
    # the duplicated USUBJID is the dbt key test's (models/adam/_adam__models.yml), not GX's
    assert ("adam.adsl", "unique", "USUBJID") not in found
    cnsr = report[
        (report.DATASET == "adam.adtte") & (report.CHECK_ID == "in_set") & (report.COLUMN_NAME == "CNSR")
    ].iloc[0]
    assert cnsr["SITEID"] == "101" and cnsr["USUBJID"] == "NCT02917941-101-001"
    assert "CNSR -1 is not one of 0|1|2|3" in cnsr["MESSAGE"]


def test_study_rules_raise_queries(gx_root):
    d = dt.date
    subjects = pd.DataFrame(
        {
            "USUBJID": ["NCT02917941-101-001", "NCT02917941-102-001"],
            "SITEID": ["101", "102"],
            "SUBJID": ["101-001", "102-001"],
            "AGE": [70, 19],
            "ECOGBL": [1, 1],
            "PRLINES": [2, 1],
            "CRCLBL": [45.2, 80.0],
            "LENSTDOS": [10.0, 25.0],
            "LEN_START_DOSE": [25.0, 25.0],
            "LEN_START_DT": [d(2017, 3, 1)] * 2,
            "LEN_REFRACTORY": ["Y", "N"],
            "LEN_REFRACTORY_LINES": ["line 1 (LENALIDOMIDE)", None],
            "PI_REFRACTORY": ["N", "N"],
            "PI_REFRACTORY_LINES": [None, None],
        }
    )
    # validation.study_rule_records: one row per subject and domain (see the SQL test below)
    records = pd.DataFrame(
        {
            "DOMAIN": ["ex", "ae"],
            "USUBJID": ["NCT02917941-101-001", "NCT02917941-102-001"],
            "SITEID": ["101", "102"],
            "EVENT": ["LENALIDOMIDE 10 mg", "Nausea"],
            "EVENT_DTC": ["2018-01-05", "2018-03"],
            "EVENT_DT": [d(2018, 1, 5), d(2018, 3, 1)],
            "EOTDT": [d(2018, 1, 1), None],
            "DTHDT": [None, d(2018, 2, 10)],
            "TRANSFER_ID": ["20180301T0200"] * 2,
            "SOURCE_FILE": ["20180301T0200/site_101/ex.csv", "20180301T0200/site_102/ae.csv"],
            "SOURCE_ROW": [7, 3],
            "N_RECORDS": [40, 5],
            "LAST_EVENT_DT": [d(2018, 1, 5), d(2018, 3, 1)],
            "N_AFTER": [1, 1],
        }
    )
    report = run_study_rule_checks(
        {"subjects": subjects, "records": records}, seed("study_rules"), "unit-test", gx_root=gx_root
    )
    by_rule = {r.CHECK_ID: r for r in report.itertuples()}
    assert set(by_rule) == {
        "eligibility_lenalidomide_refractory",
        "eligibility_age",
        "lenalidomide_starting_dose",
        "dose_after_end_of_treatment",
        "ae_after_death",
    }, report["MESSAGE"].tolist()
    assert "site 101" in by_rule["lenalidomide_starting_dose"].MESSAGE
    assert "protocol starting dose is 10" in by_rule["lenalidomide_starting_dose"].MESSAGE
    dose = by_rule["dose_after_end_of_treatment"]
    assert (dose.SITEID, dose.FILE, dose.ROW) == ("101", "20180301T0200/site_101/ex.csv", 7)
    assert "after the end-of-treatment date 2018-01-01" in dose.MESSAGE
    assert "after the date of death 2018-02-10" in by_rule["ae_after_death"].MESSAGE


# ------------------------------------------------------------- reductions (scale to 100k)
def _model_sql(name: str, tables: dict[str, str]) -> str:
    """The real SQL of models/validation/<name>.sql, its refs pointing at ``tables`` (Jinja
    with the project's impute_partial_date macro, as dbt renders it)."""
    import jinja2

    macros = (REPO / "macros" / "impute_partial_date.sql").read_text(encoding="utf-8")
    model = (REPO / "models" / "validation" / f"{name}.sql").read_text(encoding="utf-8")
    return jinja2.Environment().from_string(macros + model).render(ref=tables.__getitem__)


def test_study_rule_records_reduce_doses_and_aes_to_one_row_per_subject(gx_root):
    """Doses after the end of treatment and AEs after death, computed by hand: two doses of
    101-001 after its EOTDT -> one query naming the first of them (row 5), counting 2 with the
    one of 101-003 -> 3 for the file; a dose not taken (EXDOSE 0) and a subject without EOTDT
    are no query; an AE known only as 2018-02 is not after a death on 2018-02-10."""
    import duckdb

    d = dt.date
    con = duckdb.connect()
    con.execute("""create table adsl as select * from (values
        ('NCT02917941-101-001', '101', date '2018-01-01', cast(null as date)),
        ('NCT02917941-101-002', '101', null, null),
        ('NCT02917941-101-003', '101', date '2018-03-01', null),
        ('NCT02917941-102-001', '102', date '2018-06-01', date '2018-02-10'))
        t(USUBJID, SITEID, EOTDT, DTHDT)""")
    ex_file, ae_file = "20180401T0200/site_101/ex.csv", "20180401T0200/site_102/ae.csv"
    con.execute(f"""create table ex as select *, '20180401T0200' as TRANSFER_ID,
        '{ex_file}' as SOURCE_FILE from (values
        ('NCT02917941-101-001', 'LENALIDOMIDE', 10.0, '2017-12-20', date '2017-12-20', 3),
        ('NCT02917941-101-001', 'LENALIDOMIDE', 10.0, '2018-01-02', date '2018-01-02', 5),
        ('NCT02917941-101-001', 'DEXAMETHASONE', 20.0, '2018-01-05', date '2018-01-05', 6),
        ('NCT02917941-101-001', 'IXAZOMIB', 0.0, '2018-02-01', date '2018-02-01', 8),
        ('NCT02917941-101-002', 'IXAZOMIB', 4.0, '2019-01-01', date '2019-01-01', 9),
        ('NCT02917941-101-003', 'IXAZOMIB', 4.0, '2018-02-20', date '2018-02-20', 10),
        ('NCT02917941-101-003', 'IXAZOMIB', 3.0, '2018-03-08', date '2018-03-08', 12))
        t(USUBJID, EXTRT, EXDOSE, EXSTDTC, EXSTDT, SOURCE_ROW)""")
    con.execute(f"""create table ae as select *, '20180401T0200' as TRANSFER_ID,
        '{ae_file}' as SOURCE_FILE from (values
        ('NCT02917941-102-001', 'Nausea', '2018-02', 2018, 2, cast(null as integer), 2),
        ('NCT02917941-102-001', 'Fatigue', '2018-03', 2018, 3, null, 4),
        ('NCT02917941-102-001', 'Anaemia', '2018-03-05', 2018, 3, 5, 7))
        t(USUBJID, AEDECOD, AESTDTC, AESTDT_Y, AESTDT_M, AESTDT_D, SOURCE_ROW)""")
    sql = _model_sql("study_rule_records", {"adsl": "adsl", "int_ex__current": "ex", "int_ae__current": "ae"})
    records = con.sql(sql).df()
    assert len(records) == 4  # one row per subject and domain
    first = records.set_index(["DOMAIN", "USUBJID"]).loc[("ex", "NCT02917941-101-001")]
    assert (first.N_RECORDS, first.N_AFTER, first.SOURCE_ROW) == (3, 2, 5)
    assert first.EVENT == "LENALIDOMIDE 10.0 mg" and pd.Timestamp(d(2018, 1, 5)) == first.LAST_EVENT_DT

    report = run_study_rule_checks({"records": records}, seed("study_rules"), "unit-test", gx_root=gx_root)
    by_rule = {r.CHECK_ID: r for r in report.itertuples()}
    assert set(by_rule) == {"dose_after_end_of_treatment", "ae_after_death"}, report.MESSAGE
    dose = by_rule["dose_after_end_of_treatment"]
    assert ("101", "NCT02917941-101-001", ex_file, 5, 3) == (
        dose.SITEID,
        dose.USUBJID,
        dose.FILE,
        dose.ROW,
        dose.UNEXPECTED_COUNT,
    )
    assert dose.TRANSFER_ID == "20180401T0200"
    assert (
        "row 5" in dose.MESSAGE
        and "dose taken on 2018-01-02 (LENALIDOMIDE 10.0 mg) after "
        "the end-of-treatment date 2018-01-01; the subject has 2 dose(s) after it, the last on "
        "2018-01-05 (and 2 more row(s))"
        in dose.MESSAGE
    )
    ae = by_rule["ae_after_death"]
    assert ("102", ae_file, 4, 2) == (ae.SITEID, ae.FILE, ae.ROW, ae.UNEXPECTED_COUNT)
    assert "adverse event Fatigue starting 2018-03 after the date of death 2018-02-10" in ae.MESSAGE


def test_adam_reduction_counts_every_offending_row(gx_root):
    """600 adtte rows at 3 sites reduce to a few dozen; the failures keep their first subject
    (in row order) and count every offending row of the dataset, computed by hand."""
    import duckdb

    from expectations.checks import adam_frame
    from expectations.suites import adam_value_sets

    rows = []
    for site in ("101", "102", "103"):
        for n in range(1, 101):
            for param in ("PFS", "OS"):
                rows.append(
                    {
                        "STUDYID": "NCT02917941",
                        "USUBJID": f"NCT02917941-{site}-{n:03d}",
                        "TRTP": "Ixazomib + Lenalidomide + Dexamethasone",  # seeds/study_arms.csv
                        "PARAMCD": param,
                        "PARAM": param,
                        "STARTDT": dt.date(2017, 3, 1),
                        "ADT": dt.date(2017, 3, 1) + dt.timedelta(days=n),
                        "AVAL": n + 1,
                        "CNSR": n % 2,
                        "EVNTDESC": "DEATH",
                        "SRCDOM": "ADSL",
                        "SRCVAR": "DTHDT",
                    }
                )
    adtte = pd.DataFrame(rows)
    bad = adtte.USUBJID.str.startswith("NCT02917941-102-")
    adtte.loc[bad & adtte.USUBJID.str[-3:].astype(int).between(10, 14), "CNSR"] = -1  # 10 rows
    adtte.loc[bad & (adtte.USUBJID.str[-3:] == "020") & (adtte.PARAMCD == "OS"), "PARAMCD"] = "XYZ"
    adtte.loc[adtte.USUBJID.isin(["NCT02917941-103-050", "NCT02917941-103-060"]), "ADT"] = dt.date(
        2017, 2, 1
    )  # 4 rows before STARTDT (and AVAL unequal)
    adtte = pd.concat(
        [adtte, adtte[adtte.USUBJID == "NCT02917941-101-007"]], ignore_index=True
    )  # 2 duplicated keys -> 4 rows
    rules = adam_value_sets(seed("adam_rules"), seed("adam_variables"), seed("adam_codelists"))
    rules = rules[rules.DATASET == "adtte"]
    for c in ("MIN_VALUE", "MAX_VALUE"):
        rules[c] = pd.to_numeric(rules[c])

    con = duckdb.connect()
    con.register("adtte_df", adtte)
    con.execute("create table adtte as select * from adtte_df")
    frame = adam_frame(con, "adtte", "adtte", rules)
    assert len(frame) < 60, len(frame)  # not 602

    # the seed leaves key uniqueness to dbt; the kind stays in the vocabulary and is counted
    unique = pd.DataFrame([{"DATASET": "adtte", "CHECK_KIND": "unique", "VARIABLE": "USUBJID|PARAMCD"}])
    empty = pd.DataFrame({"USUBJID": pd.Series(dtype=object)})
    report = run_adam_checks(
        {"adsl": empty, "adrs": empty, "adtte": adtte, "adae": empty, "adex": empty},
        seed("adam_variables"),
        pd.concat([seed("adam_rules"), unique], ignore_index=True),
        "unit-test",
        gx_root=gx_root,
        codelists=seed("adam_codelists"),
    )
    found = {
        (r.CHECK_ID, r.COLUMN_NAME, r.SITEID): r
        for r in report.itertuples()
        if r.DATASET == "adam.adtte" and r.CHECK_ID != "required_variables"
    }
    expected = {
        ("in_set", "CNSR", "102"): ("NCT02917941-102-010", 10),
        ("in_set", "PARAMCD", "102"): ("NCT02917941-102-020", 1),
        ("not_before", "ADT", "103"): ("NCT02917941-103-050", 4),
        ("equal", "AVAL", "103"): ("NCT02917941-103-050", 4),
        ("unique", "USUBJID", "101"): ("NCT02917941-101-007", 4),
    }
    assert {k: (r.USUBJID, r.UNEXPECTED_COUNT) for k, r in found.items()} == expected, report.MESSAGE.tolist()
    assert found[("in_set", "CNSR", "102")].MESSAGE.endswith(
        "column CNSR: CNSR -1 is not one of 0|1|2|3 (and 9 more row(s))"
    )


def test_adam_suite_reads_its_column_list_from_seed_adam_variables():
    """The one column list of the ADaM datasets is seed adam_variables: the suite's
    required_variables expectation is exactly its variables, in VARNUM order."""
    from expectations.suites import adam_suite, adam_value_sets, adam_variables_of

    variables = seed("adam_variables")
    rules = adam_value_sets(seed("adam_rules"), variables, seed("adam_codelists"))
    sizes = {}
    for dataset in ("adsl", "adrs", "adtte", "adae", "adex"):
        rows = variables[dataset == variables.DATASET]
        listed = rows.assign(N=rows.VARNUM.astype(int)).sort_values("N").VARIABLE.tolist()
        suite = adam_suite(dataset, adam_variables_of(variables, dataset), rules[dataset == rules.DATASET])
        required = suite.expectations[0]
        assert required.meta["check"] == "required_variables"
        assert list(required.column_set) == listed
        sizes[dataset] = len(listed)
    assert sizes == {"adsl": 68, "adrs": 17, "adtte": 15, "adae": 41, "adex": 8}
    assert adam_variables_of(variables, "adex") == [
        "STUDYID", "USUBJID", "TRTA", "PARAMCD", "PARAM", "EXTRT", "AVAL", "PARAMN"
    ]  # fmt: skip
    assert variables.LABEL.str.len().max() <= 40 and set(variables.TYPE) == {"Char", "Num"}


def test_adam_missing_variable_and_value_outside_its_list_still_fail(gx_root):
    """A listed variable missing (RACE) and a value outside its list (SEX 'X') fail GX; the
    same frame with RACE and SEX 'M' does not fail those two checks."""
    variables = seed("adam_variables")
    adsl_columns = variables[variables.DATASET == "adsl"].VARIABLE.tolist()
    row = dict.fromkeys(adsl_columns) | {
        "STUDYID": "NCT02917941",
        "USUBJID": "NCT02917941-101-001",
        "SUBJID": "101-001",
        "SITEID": "101",
        "AGE": 60,
        "SEX": "X",
        "RACE": "WHITE",
    }
    empty = pd.DataFrame({"USUBJID": pd.Series(dtype=object)})

    def failures(adsl):
        report = run_adam_checks(
            {"adsl": adsl, "adrs": empty, "adtte": empty, "adae": empty, "adex": empty},
            variables,
            seed("adam_rules"),
            "unit-test",
            gx_root=gx_root,
            codelists=seed("adam_codelists"),
        )
        assert "validation_error" not in set(report["CHECK_ID"]), report["MESSAGE"].tolist()
        return report[report.DATASET == "adam.adsl"]

    broken = failures(pd.DataFrame([row]).drop(columns="RACE"))
    missing = broken[broken.CHECK_ID == "required_variables"]
    assert len(missing) == 1 and "RACE" in missing.MESSAGE.iloc[0]
    assert "SUBJID" not in missing.MESSAGE.iloc[0].split("missing:")[1]
    sex = broken[(broken.CHECK_ID == "in_set") & (broken.COLUMN_NAME == "SEX")]
    assert sex.USUBJID.tolist() == ["NCT02917941-101-001"]
    assert "SEX 'X' is not one of M|F" in sex.MESSAGE.iloc[0]

    fixed = failures(pd.DataFrame([row | {"SEX": "M"}]))
    assert "required_variables" not in set(fixed.CHECK_ID)
    assert not ((fixed.CHECK_ID == "in_set") & (fixed.COLUMN_NAME == "SEX")).any()


def test_each_adam_rule_has_one_home():
    """A content rule of the ADaM datasets is a GX rule (seed adam_rules) or a dbt test
    (models/adam/_adam__models.yml), never both: dbt keeps key variables not null, links to
    adsl and the rules on a subset of rows (``where``), which adam_rules cannot express."""
    spec = yaml.safe_load((REPO / "models" / "adam" / "_adam__models.yml").read_text())
    rules = seed("adam_rules")
    gx = set(zip(rules.DATASET, rules.VARIABLE, rules.CHECK_KIND))
    dbt = set()
    for model in spec["models"]:
        for column in model.get("columns", []):
            for test in column.get("data_tests", []):
                name, body = (test, {}) if isinstance(test, str) else next(iter(test.items()))
                if ((body or {}).get("config") or {}).get("where"):
                    continue  # a rule on a subset of rows
                assert name in ("not_null", "unique", "relationships"), (model["name"], name)
                kind = {"relationships": "relationships"}.get(name, name)
                dbt.add((model["name"], column["name"], kind))
    assert gx.isdisjoint(dbt), sorted(gx & dbt)
    assert not any(kind == "unique" for _, _, kind in gx)
    # the KEYS of seeds/adam_spec/adam_datasets.csv are unique_keys of validation.adam_conformance
    # (GX), not dbt tests: no unique test on a key, no combination test of the whole key
    keys = {r.DATASET: r.KEYS.split(", ") for r in seed("adam_datasets").itertuples()}
    assert not any(kind == "unique" for _, _, kind in dbt)
    for model in spec["models"]:
        for test in model.get("data_tests", []):
            _name, body = next(iter(test.items()))
            where = ((body or {}).get("config") or {}).get("where")
            combination = (body.get("arguments") or {}).get("combination_of_columns")
            assert where or combination != keys[model["name"]], (model["name"], combination)
    assert ("adsl", "USUBJID", "not_null") in dbt and ("adae", "USUBJID", "relationships") in dbt
    assert ("adsl", "AGE", "between") in gx and ("adrs", "AVALC", "in_set") in gx


def test_reconciliation_compares_with_the_last_ACCEPTED_transfer(demo_delivery, tmp_path, gx_root):
    """A site's middle transfer changes an accepted AE under the same RECVER (quarantined);
    its next transfer, identical to the first, is compared with the first (accepted), not
    with the quarantined one (where it would look like the same change undone)."""
    root = tmp_path / "extracts"
    names = sorted(p for p in demo_delivery.iterdir() if p.is_dir())[-3:]
    for transfer in names:
        shutil.copytree(transfer, root / transfer.name)
    first, middle, last = (root / t.name for t in names)
    site = next(
        s
        for s in sorted(p.name.removeprefix("site_") for p in last.glob("site_*"))
        if (first / f"site_{s}").is_dir() and (middle / f"site_{s}").is_dir()
    )
    accepted = {r["RECID"]: r for r in bad.SiteFileEditor(first, site, "ae").rows()}
    editor = bad.SiteFileEditor(middle, site, "ae")
    k = editor.find(lambda r: r["RECID"] in accepted and r["RECVER"] == accepted[r["RECID"]]["RECVER"])
    was = editor.row(k)["AETOXGR"]
    editor.set(k, "AETOXGR", "5" if was != "5" else "1")
    _save(middle, editor)
    last_row = bad.SiteFileEditor(last, site, "ae").find(lambda r: r["RECID"] == editor.row(k)["RECID"])
    assert bad.SiteFileEditor(last, site, "ae").row(last_row)["AETOXGR"] == was
    report = delivery_checks(root, gx_root)
    assert sorted(zip(report["SITEID"], report["TRANSFER_ID"], report["CHECK_ID"])) == [
        (site, middle.name, "record_changed")
    ]
    row = report.iloc[0]
    assert row["ROW"] == k and row["COLUMN_NAME"] == "AETOXGR"
    assert row["MESSAGE"] == (
        f"site {site}, transfer {middle.name}, file {middle.name}/site_{site}/ae.csv, row {k}, "
        f"column AETOXGR: record {editor.row(k)['RECID']} changed under the same RECVER "
        f"{editor.row(k)['RECVER']}: AETOXGR was '{was}' in the accepted transfer {first.name}, "
        f"is '{editor.row(k)['AETOXGR']}' now (a correction needs RECVER + 1)"
    )
