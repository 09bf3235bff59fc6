"""Dataset-JSON v1.1 writer and validator, checked against the CDISC ADaM pilot (outside truth).

The pilot's SAS XPORT files are read with pyreadstat (data and SAS metadata), the column
metadata is taken from the pilot's define.xml, our writer writes Dataset-JSON, and the result is
compared with CDISC's own Dataset-JSON of the same datasets (standards/dataset-json-1.1/, see
standards/README.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pyreadstat
import pytest

from submission.dataset_json import (
    Column,
    DatasetJSONError,
    DatasetMeta,
    dataset_json_bytes,
    validate_dataset_json,
    write_dataset_json,
    write_dataset_ndjson,
)
from submission.define_xml import define_datasets, define_item_defs

PILOT = Path(__file__).resolve().parent.parent / "standards" / "dataset-json-1.1" / "examples" / "adam"
DEFINE = PILOT / "define.xml"
DATASETS = ("adsl", "adtte", "adae")
# Our own sourceSystem: the one top-level field we fill differently from CDISC (theirs names SAS).
OUR_SOURCE = ("ixrd-warehouse submission.dataset_json", "0.1.0")


def column_from_define(item) -> Column:
    """Define-XML ItemDef -> Dataset-JSON column, the mapping the Dataset-JSON v1.1 spec gives.

    Define ``text`` is Dataset-JSON ``string`` (with its Length); a SAS numeric date (Define
    ``integer`` with a DATE9. display format) is ``date`` with ``targetDataType`` ``integer``;
    numbers carry no length (Define's Length 8 is the SAS storage width, not a value length).
    """
    if item.data_type == "text":
        return Column(item.item_oid, item.variable, item.label, "string", length=item.length,
                      key_sequence=item.key_sequence)  # fmt: skip
    if item.display_format == "DATE9.":
        return Column(item.item_oid, item.variable, item.label, "date", display_format="DATE9.",
                      key_sequence=item.key_sequence, target_data_type="integer")  # fmt: skip
    return Column(item.item_oid, item.variable, item.label, item.data_type,
                  display_format=item.display_format, key_sequence=item.key_sequence)  # fmt: skip


def pilot_json(name: str) -> dict:
    return json.loads((PILOT / f"{name}.json").read_text(encoding="utf-8"))


def pilot_meta(name: str) -> DatasetMeta:
    """Metadata from the pilot's define.xml; the build-time stamps passed in as parameters.

    datasetJSONCreationDateTime, dbLastModifiedDateTime, fileOID and originator are not data
    or metadata but values the build passes in (our build: the data cut-off and build stamp);
    here the pilot's values are passed so the rest of the header can be compared byte for byte.
    """
    dataset = next(d for d in define_datasets(DEFINE) if d.name == name.upper())
    items = [item for item in define_item_defs(DEFINE) if item.dataset == name.upper()]
    stamps = pilot_json(name)
    return DatasetMeta(
        name=dataset.name,
        label=dataset.label,
        item_group_oid=dataset.item_group_oid,
        columns=[column_from_define(item) for item in items],
        creation_datetime=stamps["datasetJSONCreationDateTime"],
        file_oid=stamps["fileOID"],
        db_last_modified_datetime=stamps["dbLastModifiedDateTime"],
        originator=stamps["originator"],
        source_system=OUR_SOURCE,
        study_oid=dataset.study_oid,
        metadata_version_oid=dataset.metadata_version_oid,
        metadata_ref="define.xml",
    )


def pilot_frame(name: str) -> pl.DataFrame:
    frame, _ = pyreadstat.read_xport(str(PILOT / f"{name}.xpt"), output_format="polars")
    return frame


@pytest.fixture(scope="module", params=DATASETS)
def written(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name)
    frame, meta = pilot_frame(name), pilot_meta(name)
    json_path = write_dataset_json(frame, out / f"{name}.json", meta=meta)
    ndjson_path = write_dataset_ndjson(frame, out / f"{name}.ndjson", meta=meta)
    return name, json_path, ndjson_path


def test_columns_agree_with_cdisc(written):
    name, json_path, _ = written
    ours = json.loads(json_path.read_text(encoding="utf-8"))
    # itemOID, name, label, dataType, targetDataType, length, displayFormat, keySequence: all
    # of them equal for every column of ADSL (49), ADTTE (26) and ADAE (55).
    assert ours["columns"] == pilot_json(name)["columns"]
    assert len(ours["columns"]) == {"adsl": 49, "adtte": 26, "adae": 55}[name]


def test_header_agrees_with_cdisc(written):
    name, json_path, _ = written
    ours = json.loads(json_path.read_text(encoding="utf-8"))
    theirs = pilot_json(name)
    # Same keys in the same order (the specification's order).
    assert list(ours) == list(theirs)
    # sourceSystem is the one header field we fill from our own build, not from SAS.
    assert theirs["sourceSystem"] == {"name": "SAS on X64_10PRO", "version": "9.0401M7"}
    assert ours["sourceSystem"] == {"name": OUR_SOURCE[0], "version": OUR_SOURCE[1]}
    for key in theirs:
        if key not in ("sourceSystem", "columns", "rows"):
            assert ours[key] == theirs[key], key
    assert ours["records"] == {"adsl": 254, "adtte": 254, "adae": 1191}[name]


def _same_value(ours, theirs, data_type: str) -> bool:
    # Strings, integers, dates and nulls must be identical in value and JSON type; floats equal
    # in value (see test_integral_floats_are_the_one_spelling_difference).
    if data_type in ("float", "double") and ours is not None and theirs is not None:
        # XPT stores IBM base-16 floats; both sides convert to IEEE, so allow a last-digit
        # rounding difference (relative 1e-12), far below any value the pilot holds (1 decimal).
        return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=0.0)
    return ours == theirs and type(ours) is type(theirs)


def test_rows_agree_with_cdisc(written):
    name, json_path, _ = written
    ours = json.loads(json_path.read_text(encoding="utf-8"))
    theirs = pilot_json(name)
    assert len(ours["rows"]) == len(theirs["rows"]) == theirs["records"]
    types = [column["dataType"] for column in theirs["columns"]]
    names = [column["name"] for column in theirs["columns"]]
    differences = [
        (row, names[col], our_value, their_value)
        for row, (our_row, their_row) in enumerate(zip(ours["rows"], theirs["rows"]))
        for col, (our_value, their_value) in enumerate(zip(our_row, their_row))
        if not _same_value(our_value, their_value, types[col])
    ]
    assert differences == []


def test_integral_floats_are_the_one_spelling_difference(written):
    # CDISC's SAS export writes an integral value of a float column as a JSON integer (0, 63);
    # Python writes it as 0.0, 63.0. Same JSON number, same value: the row comparison above
    # therefore compares float columns by value. Counted here so the difference stays known:
    # ADSL's 6 float columns hold 1522 non-missing values, 545 of them integral.
    name, json_path, _ = written
    ours, theirs = json.loads(json_path.read_text(encoding="utf-8")), pilot_json(name)
    floats = [i for i, column in enumerate(theirs["columns"]) if column["dataType"] == "float"]
    integral = sum(isinstance(row[i], int) for row in theirs["rows"] for i in floats)
    assert integral == {"adsl": 545, "adtte": 0, "adae": 0}[name]
    assert all(isinstance(row[i], float | None) for row in ours["rows"] for i in floats)


def test_pilot_values_as_cdisc_writes_them(written):
    # Spot checks read off CDISC's adsl.json / adae.json, first record: dates ISO 8601,
    # SAS-missing character '' kept as '', SAS-missing numeric as null, integers as integers.
    name, json_path, _ = written
    first = json.loads(json_path.read_text(encoding="utf-8"))["rows"][0]
    if name == "adsl":
        assert first[:3] == ["CDISCPILOT01", "01-701-1015", "1015"]
        assert first[10:15] == ["2014-01-02", "2014-07-02", 182, 0, 0]  # TRTSDT TRTEDT TRTDURD AVGDD CUMDOSE
        assert first[32] == 25.1 and first[29] == ""  # BMIBL, DISCONFL blank
    if name == "adae":
        assert first[14:18] == ["2014-01-03", "", 2, None]  # ASTDT ASTDTF ASTDY AENDT(missing)


def test_written_files_validate_against_the_official_schema(written):
    _, json_path, ndjson_path = written
    assert validate_dataset_json(json_path) == []
    assert validate_dataset_json(ndjson_path) == []


def test_ndjson_holds_the_same_content_as_json(written):
    _, json_path, ndjson_path = written
    document = json.loads(json_path.read_text(encoding="utf-8"))
    lines = ndjson_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {k: v for k, v in document.items() if k != "rows"}
    assert [json.loads(line) for line in lines[1:]] == document["rows"]


@pytest.mark.parametrize("name", DATASETS)
def test_cdisc_pilot_json_validates(name):
    assert validate_dataset_json(PILOT / f"{name}.json") == []


def test_identical_input_gives_identical_bytes():
    frame, meta = pilot_frame("adtte"), pilot_meta("adtte")
    assert dataset_json_bytes(frame, meta=meta) == dataset_json_bytes(frame.clone(), meta=meta)


# -- broken files: the validator names the problem ---------------------------------------------


def _broken(tmp_path: Path, change, suffix=".json") -> Path:
    document = pilot_json("adtte")
    change(document)
    path = tmp_path / f"adtte{suffix}"
    if suffix == ".ndjson":
        rows = document.pop("rows")
        path.write_text("\n".join(json.dumps(x) for x in [document, *rows]) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_missing_columns_is_named(tmp_path, suffix):
    messages = validate_dataset_json(_broken(tmp_path, lambda d: d.pop("columns"), suffix))
    assert any("'columns' is a required property" in m for m in messages), messages


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_wrong_data_type_is_named(tmp_path, suffix):
    def change(document):
        document["columns"][3]["dataType"] = "text"  # AGE; "text" is Define-XML's word, not Dataset-JSON's

    messages = validate_dataset_json(_broken(tmp_path, change, suffix))
    assert any("columns/3/dataType" in m and "'text' is not one of" in m for m in messages), messages


def test_row_width_and_record_count_are_checked(tmp_path):
    def change(document):
        document["rows"][4] = document["rows"][4][:-1]
        document["records"] = 253

    messages = validate_dataset_json(_broken(tmp_path, change))
    assert "adtte.json: rows/4: 25 values for 26 columns" in messages
    assert "adtte.json: records: says 253 but the file has 254 rows" in messages


# -- writer: values it will not mangle -----------------------------------------------------------


def _meta(columns, name="ADAE") -> DatasetMeta:
    return DatasetMeta(name=name, label="Adverse Events", item_group_oid=f"IG.{name}", columns=columns,
                       creation_datetime="2026-12-07T06:00:00")  # fmt: skip


def test_japanese_verbatim_text_is_kept_in_utf8(tmp_path):
    term = Column("IT.ADAE.AETERM", "AETERM", "Reported Term for the Adverse Event", "string", length=200)
    frame = pl.DataFrame({"AETERM": ["頭痛", "HEADACHE"]})
    path = write_dataset_json(frame, tmp_path / "adae.json", meta=_meta([term]))
    assert "頭痛".encode() in path.read_bytes()  # written as UTF-8, not \\u escapes
    assert json.loads(path.read_text(encoding="utf-8"))["rows"] == [["頭痛"], ["HEADACHE"]]
    assert validate_dataset_json(path) == []


def test_string_longer_than_its_length_is_refused():
    term = Column("IT.ADAE.AETERM", "AETERM", "Reported Term", "string", length=4)
    with pytest.raises(
        DatasetJSONError, match=r"ADAE\.AETERM row 2: 'HEADACHE' is 8 characters, longer than length 4"
    ):
        dataset_json_bytes(pl.DataFrame({"AETERM": ["頭痛", "HEADACHE"]}), meta=_meta([term]))


def test_fraction_in_an_integer_column_is_refused():
    day = Column("IT.ADAE.ASTDY", "ASTDY", "Analysis Start Relative Day", "integer")
    with pytest.raises(DatasetJSONError, match=r"ADAE\.ASTDY row 3: 2\.5 is not an integer"):
        dataset_json_bytes(pl.DataFrame({"ASTDY": [1.0, None, 2.5]}), meta=_meta([day]))


def test_metadata_not_matching_the_frame_is_refused():
    day = Column("IT.ADAE.ASTDY", "ASTDY", "Analysis Start Relative Day", "integer")
    with pytest.raises(DatasetJSONError, match=r"ADAE: .*not described: \['AESEQ'\]"):
        dataset_json_bytes(pl.DataFrame({"ASTDY": [1], "AESEQ": [1]}), meta=_meta([day]))


def test_clock_free_stamp_must_be_iso_8601():
    day = Column("IT.ADAE.ASTDY", "ASTDY", "Analysis Start Relative Day", "integer")
    meta = DatasetMeta(name="ADAE", label="x", item_group_oid="IG.ADAE", columns=[day],
                       creation_datetime="07DEC2026:06:00")  # fmt: skip
    with pytest.raises(DatasetJSONError, match="creation_datetime '07DEC2026:06:00' is not an ISO 8601"):
        dataset_json_bytes(pl.DataFrame({"ASTDY": [1]}), meta=meta)


def test_shipped_ndjson_schema_lacks_the_definitions_it_refers_to():
    # Why submission.dataset_json.ndjson_schema() fills in $defs: CDISC's NDJSON schema (UTF-16)
    # refers to #/$defs/Column and #/$defs/SourceSystem but defines neither at that path.
    from submission.dataset_json import NDJSON_SCHEMA_PATH, ndjson_schema

    shipped = json.loads(NDJSON_SCHEMA_PATH.read_bytes().decode("utf-16"))
    assert shipped["properties"]["columns"]["items"] == {"$ref": "#/$defs/Column"}
    assert shipped["properties"]["sourceSystem"]["$ref"] == "#/$defs/SourceSystem"
    assert {"Column", "SourceSystem"}.isdisjoint(shipped["$defs"])
    assert {"Column", "SourceSystem", "DataTypesEnum"} <= set(ndjson_schema()["$defs"])


def test_polars_types_become_dataset_json_values(tmp_path):
    import datetime as dt
    from decimal import Decimal

    columns = [
        Column(
            "IT.ADEX.ASTDT",
            "ASTDT",
            "Analysis Start Date",
            "date",
            display_format="DATE9.",
            target_data_type="integer",
        ),
        Column("IT.ADEX.ASTDTM", "ASTDTM", "Analysis Start Datetime", "datetime"),
        Column("IT.ADEX.ASTTM", "ASTTM", "Analysis Start Time", "time"),
        Column("IT.ADEX.DOSE", "DOSE", "Dose", "decimal", target_data_type="decimal"),
        Column("IT.ADEX.ANLFL", "ANLFL", "Analysis Flag", "boolean"),
    ]
    frame = pl.DataFrame(
        {
            "ASTDT": [dt.date(2017, 3, 1), None],
            "ASTDTM": [dt.datetime(2017, 3, 1, 8, 30), None],
            "ASTTM": [dt.time(8, 30), None],
            "DOSE": pl.Series([Decimal("0.25"), None], dtype=pl.Decimal(10, 2)),
            "ANLFL": [True, None],
        }
    )
    path = write_dataset_json(frame, tmp_path / "adex.json", meta=_meta(columns, "ADEX"))
    # ISO 8601 text for dates/times (Dataset-JSON v1.1), decimal as a string so no digit is
    # lost, null for every missing value.
    assert json.loads(path.read_text(encoding="utf-8"))["rows"] == [
        ["2017-03-01", "2017-03-01T08:30:00", "08:30:00", "0.25", True],
        [None, None, None, None, None],
    ]
    assert validate_dataset_json(path) == []
