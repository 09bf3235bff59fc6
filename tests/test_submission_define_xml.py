"""Define-XML 2.1 validation and ItemDef listing, checked against the CDISC ADaM pilot define.xml.

The pilot's define.xml (standards/dataset-json-1.1/examples/adam/, see standards/README.md)
carries Analysis Results Metadata, so it is validated with the ARM 1.0 schema; broken copies
must fail with the line and element named.
"""

from __future__ import annotations

import json
from pathlib import Path

from submission.define_xml import (
    DEF_NS,
    define_datasets,
    define_item_defs,
    define_schema_path,
    validate_define_xml,
)

PILOT = Path(__file__).resolve().parent.parent / "standards" / "dataset-json-1.1" / "examples" / "adam"
DEFINE = PILOT / "define.xml"


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFINE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "define.xml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _line_of(text: str) -> int:
    """Line on which the start tag beginning with ``text`` ends: where libxml2 reports an element."""
    before, after = DEFINE.read_text(encoding="utf-8").split(text)
    rest = "" if text.endswith(">") else after[: after.index(">")]
    return before.count("\n") + 1 + text.count("\n") + rest.count("\n")


def test_schemas_ship_in_odmlib():
    assert define_schema_path(False).name == "define2-1-0.xsd" and define_schema_path(False).is_file()
    assert define_schema_path(True).name == "arm1-0-0.xsd" and define_schema_path(True).is_file()


def test_pilot_define_is_valid():
    assert validate_define_xml(DEFINE) == []


def test_arm_content_needs_the_arm_schema(tmp_path):
    # Without its ARM block the pilot is plain Define-XML 2.1 and still valid: the schema is
    # chosen by use of the arm namespace (the ARM schema is a superset via xs:redefine).
    text = DEFINE.read_text(encoding="utf-8")
    start, end = text.index("<arm:AnalysisResultDisplays>"), text.index("</arm:AnalysisResultDisplays>")
    path = tmp_path / "define.xml"
    path.write_text(text[:start] + text[end + len("</arm:AnalysisResultDisplays>") :], encoding="utf-8")
    assert validate_define_xml(path) == []


def test_missing_required_attribute_is_named_with_its_line(tmp_path):
    # ItemDef/@DataType is required (Define-XML 2.1, 4.3.3).
    old = '<ItemDef OID="IT.ADSL.USUBJID" Name="USUBJID" DataType="text" Length="11"'
    path = _copy_with(tmp_path, old, '<ItemDef OID="IT.ADSL.USUBJID" Name="USUBJID" Length="11"')
    messages = validate_define_xml(path)
    assert messages == [
        f"define.xml: line {_line_of(old)}: Element '{{http://www.cdisc.org/ns/odm/v1.3}}ItemDef': "
        "The attribute 'DataType' is required but missing."
    ]


def test_unknown_element_is_named_with_its_line(tmp_path):
    old = '<ItemRef ItemOID="IT.ADSL.USUBJID" Mandatory="No" OrderNumber="2" KeySequence="1"/>'
    path = _copy_with(tmp_path, old, old + "<Comment>not Define-XML</Comment>")
    messages = validate_define_xml(path)
    assert len(messages) == 1
    assert messages[0].startswith(f"define.xml: line {_line_of(old)}: ")
    assert "Element '{http://www.cdisc.org/ns/odm/v1.3}Comment': This element is not expected." in messages[0]


def test_not_well_formed_is_reported(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text("<ODM><Study></ODM>", encoding="utf-8")
    [message] = validate_define_xml(path)
    assert message.startswith("define.xml: not well-formed XML:")


def test_pilot_item_defs_of_adsl():
    rows = [row for row in define_item_defs(DEFINE) if row.dataset == "ADSL"]
    assert len(rows) == 49
    first = rows[1]
    assert (first.variable, first.label, first.data_type, first.length, first.key_sequence) == (
        "USUBJID",
        "Unique Subject Identifier",
        "text",
        11,
        1,
    )
    trtsdt = next(row for row in rows if row.variable == "TRTSDT")
    assert (trtsdt.data_type, trtsdt.length, trtsdt.display_format) == ("integer", 8, "DATE9.")
    [adsl] = [d for d in define_datasets(DEFINE) if d.name == "ADSL"]
    assert (adsl.label, adsl.item_group_oid, adsl.study_oid, adsl.metadata_version_oid) == (
        "Subject-Level Analysis",
        "IG.ADSL",
        "TDF_ADaM.ADaMIG.1.1",
        "MDV.TDF_ADaM.ADaMIG.1.1",
    )


# Define-XML DataType -> the Dataset-JSON dataType CDISC wrote for it in adsl.json.
DATA_TYPE_TO_JSON = {"text": "string", "integer": "integer", "float": "float", "datetime": "datetime"}


def test_adsl_item_defs_agree_with_cdisc_adsl_json():
    columns = json.loads((PILOT / "adsl.json").read_text(encoding="utf-8"))["columns"]
    rows = [row for row in define_item_defs(DEFINE) if row.dataset == "ADSL"]
    # Same variables, same order, same OIDs, labels, key sequence.
    assert [(r.item_oid, r.variable, r.label, r.key_sequence) for r in rows] == [
        (c["itemOID"], c["name"], c["label"], c.get("keySequence")) for c in columns
    ]
    for row, column in zip(rows, columns):
        if row.display_format == "DATE9.":
            # Disagreement by design: Define-XML types a SAS date by its storage (integer, the
            # day count since 1960-01-01, Length 8); Dataset-JSON v1.1 writes the ISO 8601 date
            # (dataType date) and keeps the storage type as targetDataType.
            assert (row.data_type, row.length) == ("integer", 8)
            assert (column["dataType"], column["targetDataType"], column["displayFormat"]) == (
                "date",
                "integer",
                "DATE9.",
            )
            assert "length" not in column
            continue
        assert column["dataType"] == DATA_TYPE_TO_JSON[row.data_type], row.variable
        assert column.get("displayFormat") == row.display_format, row.variable
        if row.data_type == "text":
            assert column["length"] == row.length, row.variable
        else:
            # Disagreement by design: Define-XML gives numbers Length 8 (SAS storage bytes);
            # CDISC's Dataset-JSON omits length for numbers (a length bounds a string value).
            # The two datetime (character ISO 8601) variables have no Length in either.
            assert "length" not in column and row.length in (8, None), row.variable
    kinds = [row.data_type for row in rows]
    assert (kinds.count("text"), kinds.count("integer"), kinds.count("float"), kinds.count("datetime")) == (
        27,
        14,
        6,
        2,
    )


# --- the writer: define.xml from the ADaM specification seeds ------------------------------------

SPEC = Path(__file__).resolve().parent.parent / "seeds" / "adam_spec"


def spec_frames() -> dict:
    import polars as pl

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(SPEC / f"adam_{name}.csv", infer_schema_length=0)  # all text, as written

    return {name: read(name) for name in ("datasets", "variables", "value_level", "codelists")}


def written(tmp_path, **overrides) -> Path:
    from submission.define_xml import DefineStudy, write_define_xml

    spec = {**spec_frames(), **overrides}
    study = DefineStudy(study_id="NCT02917941", creation_datetime="2019-10-18T00:00:00")
    return write_define_xml(tmp_path / "define.xml", **spec, study=study)


def test_written_define_is_valid_and_reads_back_as_the_spec(tmp_path):
    import csv

    path = written(tmp_path)
    with (SPEC / "adam_variables.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if any(len(r["VARIABLE"]) > 8 for r in rows):  # the XSD's SASFieldName: at most 8 characters
        assert any("SASFieldName" in m for m in validate_define_xml(path))
        return
    assert validate_define_xml(path) == []
    order = [line.split(",")[0] for line in (SPEC / "adam_datasets.csv").read_text().splitlines()[1:]]
    rows.sort(key=lambda r: (order.index(r["DATASET"]), int(r["VARNUM"])))
    assert [
        (
            i.dataset,
            i.variable,
            i.label,
            i.data_type,
            i.length,
            i.display_format,
            i.key_sequence,
            i.order_number,
        )
        for i in define_item_defs(path)
    ] == [
        (
            r["DATASET"].upper(),
            r["VARIABLE"],
            r["LABEL"],
            # a SAS numeric date is an integer day count in Define-XML, as in the CDISC pilot
            # (test_adsl_item_defs_agree_with_cdisc_adsl_json: TRTSDT integer, Length 8)
            "integer" if r["TYPE"] == "Num" and r["DATA_TYPE"] == "date" else r["DATA_TYPE"],
            int(r["LENGTH"]) if r["DATA_TYPE"] in ("text", "integer", "date") else None,
            r["DISPLAY_FORMAT"] or None,
            int(r["KEY_SEQUENCE"]) if r["KEY_SEQUENCE"] else None,
            int(r["VARNUM"]),
        )
        for r in rows
    ]


def test_written_define_is_byte_identical_and_names_its_stylesheet(tmp_path):
    first = written(tmp_path).read_bytes()
    (tmp_path / "again").mkdir()
    assert written(tmp_path / "again").read_bytes() == first
    assert first.splitlines()[1] == b'<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>'
    assert b'CreationDateTime="2019-10-18T00:00:00"' in first


def test_a_codelist_without_terms_is_refused_with_dataset_and_variable(tmp_path):
    import polars as pl
    import pytest

    from submission.define_xml import DefineXMLError

    spec = spec_frames()
    first = spec["variables"].filter(pl.col("CODELIST").is_not_null()).row(0, named=True)
    codelists = spec["codelists"].filter(pl.col("CODELIST") != first["CODELIST"])
    with pytest.raises(DefineXMLError) as error:
        written(tmp_path, codelists=codelists)
    assert str(error.value).startswith(
        f"dataset {first['DATASET']}, variable {first['VARIABLE']}: CODELIST {first['CODELIST']} has no terms"
    )


def test_a_ct_version_is_claimed_only_when_given(tmp_path):
    from lxml import etree

    from submission.define_xml import DefineStudy, define_xml_bytes

    def standards(study) -> list[dict]:
        root = etree.fromstring(define_xml_bytes(**spec_frames(), study=study))
        return [dict(s.attrib) for s in root.iterfind(f".//{{{DEF_NS}}}Standard")]

    without = standards(DefineStudy("NCT02917941", "2019-10-18T00:00:00"))
    assert [(s["Name"], s["Type"], s["Version"]) for s in without] == [("ADaMIG", "IG", "1.3")]
    with_ct = standards(DefineStudy("NCT02917941", "2019-10-18T00:00:00", ct_version="2019-09-27"))
    assert [(s["Name"], s["Type"], s.get("PublishingSet"), s["Version"]) for s in with_ct] == [
        ("ADaMIG", "IG", None, "1.3"),
        ("CDISC/NCI", "CT", "ADaM", "2019-09-27"),
    ]
    path = tmp_path / "define.xml"
    path.write_bytes(
        define_xml_bytes(
            **spec_frames(), study=DefineStudy("NCT02917941", "2019-10-18T00:00:00", ct_version="2019-09-27")
        )
    )
    # valid apart from names longer than 8 (before the ADaM names conform; see above)
    assert [m for m in validate_define_xml(path) if "SASFieldName" not in m] == []
