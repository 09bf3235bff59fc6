"""Submission exports of the nightly build (submission.export, models/submission/): the eCTD
module 5 folder of the demo build read back by independent readers (pyreadstat, R haven,
the official Dataset-JSON schemas, the Define-XML 2.1 XSD) and compared with the DuckDB
tables and the ADaM specification they were made from."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyreadstat
import pytest
import yaml
from conftest import REPO, submission_root, tlf_root, work_db
from lxml import etree
from test_submission_xpt import RSCRIPT, haven_read, namestr_lengths

from submission.dataset_json import validate_dataset_json
from submission.define_xml import DEF_NS, ODM_NS, define_item_defs, validate_define_xml
from submission.export import SubmissionExportError, adam_folder, export_submission
from submission.xpt import read_xpt

needs_r = pytest.mark.skipif(
    RSCRIPT is None, reason="Rscript not installed (make test installs r-cran-haven)"
)

STUDY = "NCT02917941"  # seeds/extract_codelists.csv STUDYID: the study of the demo delivery
DATA_CUTOFF = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["data_cutoff"]
SPEC_TABLES = ("datasets", "variables", "value_level", "codelists")
NS = {"odm": ODM_NS, "def": DEF_NS}


# --- the demo build and what it wrote --------------------------------------------------------


@pytest.fixture(scope="module")
def build(demo_warehouse):
    """The published DuckDB file's ADaM tables, spec and manifest, and the folder the build wrote."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        spec = {name: con.sql(f"select * from ref.adam_{name}").pl() for name in SPEC_TABLES}
        # the files hold the rows in key order (adam_datasets KEYS), whatever the stored order
        keys = dict(spec["datasets"].select("DATASET", "KEYS").iter_rows())
        tables = {ds: con.sql(f"select * from adam.{ds} order by {keys[ds]}").pl() for ds in keys}
        manifest = con.sql("select * from submission.submission_exports").pl()
        ard = con.sql("select * from results.ard").pl()
    # Analysis Results Metadata inputs as the build had them (the seed is in the work file)
    with duckdb.connect(str(work_db(demo_warehouse)), read_only=True) as con:
        arm = {"analysis_results": con.sql("select * from ref.adam_analysis_results").pl(), "ard": ard}
    root = submission_root(demo_warehouse.parent / "dbt")
    return {
        "root": root,
        "folder": adam_folder(root, STUDY),
        "spec": spec,
        "tables": tables,
        "manifest": manifest,
        "arm": arm,
    }


def spec_vars(spec: dict, dataset: str) -> list[dict]:
    return spec["variables"].filter(pl.col("DATASET") == dataset).sort("VARNUM").to_dicts()


def xpt_expected(build: dict, dataset: str) -> pl.DataFrame:
    """The table as the XPT file must hold it: XPT_VALUE_FROM variables carry their source."""
    table = build["tables"][dataset]
    return table.with_columns(
        pl.col(v["XPT_VALUE_FROM"]).alias(v["VARIABLE"])
        for v in spec_vars(build["spec"], dataset)
        if v["XPT_VALUE_FROM"]
    )


def export(build: dict, root: Path, **spec_overrides) -> pl.DataFrame:
    """Export as the build did; the TLF folder beside ``root`` as the build's (tlf_root), so
    define.xml's relative hrefs to the outputs are the build's."""
    spec = {**build["spec"], **build["arm"], **spec_overrides}
    return export_submission(
        build["tables"], **spec, data_cutoff=DATA_CUTOFF, root=root, tlf_root=tlf_root(Path(root).parent)
    )


def sha256s(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --- layout and manifest ------------------------------------------------------------------------


def test_folder_layout_and_manifest(build):
    folder = build["folder"]
    assert folder == build["root"] / "m5" / "datasets" / STUDY / "analysis" / "adam" / "datasets"
    datasets = build["spec"]["datasets"]["DATASET"].to_list()
    assert datasets == ["adsl", "adrs", "adtte", "adae", "adex"]
    expected = {f"{ds}.{ext}" for ds in datasets for ext in ("xpt", "json", "ndjson")} | {
        "define.xml",
        "define2-1.xsl",
    }
    assert {p.name for p in folder.iterdir()} == expected
    # no temporary or previous folder left beside it
    assert [p.name for p in folder.parent.iterdir()] == ["datasets"]
    manifest = build["manifest"]
    assert manifest.columns == ["DATASET", "FILE", "FORMAT", "RECORDS", "BYTES", "SHA256"]
    assert set(manifest["FILE"]) == {
        f"m5/datasets/{STUDY}/analysis/adam/datasets/{name}" for name in expected
    }
    for row in manifest.iter_rows(named=True):
        path = build["root"] / row["FILE"]
        assert row["BYTES"] == path.stat().st_size
        assert row["SHA256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        if row["DATASET"] is not None:
            assert row["RECORDS"] == build["tables"][row["DATASET"].lower()].height
    # the stylesheet is CDISC's, unchanged
    pilot_xsl = REPO / "standards" / "dataset-json-1.1" / "examples" / "adam" / "define2-1-0.xsl"
    assert (folder / "define2-1.xsl").read_bytes() == pilot_xsl.read_bytes()


# --- XPT: pyreadstat and R haven against DuckDB and the spec ----------------------------------


def test_xpt_read_by_pyreadstat_equals_the_duckdb_table(build):
    for dataset, label in build["spec"]["datasets"].select("DATASET", "LABEL").iter_rows():
        variables = spec_vars(build["spec"], dataset)
        frame, meta = pyreadstat.read_xport(str(build["folder"] / f"{dataset}.xpt"))
        assert meta.table_name == dataset.upper()
        assert meta.file_label == label
        assert meta.column_names == [v["VARIABLE"] for v in variables]
        assert meta.column_labels == [v["LABEL"] for v in variables]
        assert meta.variable_storage_width == {v["VARIABLE"]: v["LENGTH"] for v in variables}
        assert meta.readstat_variable_types == {
            v["VARIABLE"]: "string" if v["TYPE"] == "Char" else "double" for v in variables
        }
        assert meta.original_variable_types == {v["VARIABLE"]: v["DISPLAY_FORMAT"] for v in variables}
        expected = xpt_expected(build, dataset)
        assert len(frame) == expected.height
        for v in variables:
            got, want = frame[v["VARIABLE"]].tolist(), expected[v["VARIABLE"]].to_list()
            if v["TYPE"] == "Char":  # missing character is blank in SAS
                want = [w if w is not None else "" for w in want]
            elif v["DATA_TYPE"] == "date":  # pyreadstat: DATE9. -> datetime.date
                got = [None if g is None or (isinstance(g, float) and math.isnan(g)) else g for g in got]
            else:
                got = [None if math.isnan(g) else g for g in got]
                want = [None if w is None else float(w) for w in want]
            assert got == want, (dataset, v["VARIABLE"])


@needs_r
def test_xpt_read_by_r_haven_equals_the_duckdb_table(build, tmp_path):
    for dataset, label in build["spec"]["datasets"].select("DATASET", "LABEL").iter_rows():
        variables = spec_vars(build["spec"], dataset)
        path = build["folder"] / f"{dataset}.xpt"
        out = tmp_path / dataset
        out.mkdir()
        values, meta, haven_label = haven_read(path, out)
        assert haven_label == label
        assert [(m["name"], m["label"]) for m in meta] == [(v["VARIABLE"], v["LABEL"]) for v in variables]
        # haven sets no width attribute for XPT: the stored lengths from the namestr records
        assert namestr_lengths(path.read_bytes()) == {v["VARIABLE"]: v["LENGTH"] for v in variables}
        classes = {m["name"]: m["class"] for m in meta}
        expected = xpt_expected(build, dataset)
        assert len(values) == expected.height
        for v in variables:
            name = v["VARIABLE"]
            got = [row[name] for row in values]  # CSV text, NA empty
            want = expected[name].to_list()
            if v["TYPE"] == "Char":
                assert classes[name] == "character", (dataset, name)
                assert got == [w or "" for w in want], (dataset, name)
            elif v["DATA_TYPE"] == "date":
                assert classes[name] == "Date", (dataset, name)
                assert got == [w.isoformat() if w else "" for w in want], (dataset, name)
            else:
                assert classes[name] == "numeric", (dataset, name)
                # write.csv prints 15 significant digits
                for g, w in zip(got, want, strict=True):
                    assert (g == "") == (w is None), (dataset, name)
                    if w is not None:
                        assert float(g) == pytest.approx(float(w), rel=1e-14, abs=0), (dataset, name)


def test_xpt_value_from_rule(build):
    """adam_variables.XPT_VALUE_FROM: the XPT carries the named variable's value, JSON the verbatim."""
    rules = build["spec"]["variables"].filter(pl.col("XPT_VALUE_FROM").is_not_null())
    assert rules.select("DATASET", "VARIABLE", "XPT_VALUE_FROM").rows() == [("adae", "AETERM", "AEDECOD")]
    for dataset, variable, source in rules.select("DATASET", "VARIABLE", "XPT_VALUE_FROM").iter_rows():
        table = build["tables"][dataset]
        xpt, _ = read_xpt(build["folder"] / f"{dataset}.xpt")
        assert xpt[variable].to_list() == table[source].fill_null("").to_list()
        document = json.loads((build["folder"] / f"{dataset}.json").read_text(encoding="utf-8"))
        column = [c["name"] for c in document["columns"]].index(variable)
        assert [row[column] for row in document["rows"]] == table[variable].to_list()
        # the rule matters: the demo's verbatim terms are not ASCII (Japanese), the XPT's are
        assert any(not (value or "").isascii() for value in table[variable].to_list())
        assert all(value.isascii() for value in xpt[variable].to_list())


# --- Dataset-JSON ---------------------------------------------------------------------------------


def test_dataset_json_validates_and_equals_the_duckdb_table(build):
    for dataset in build["spec"]["datasets"]["DATASET"]:
        variables = spec_vars(build["spec"], dataset)
        json_path, ndjson_path = build["folder"] / f"{dataset}.json", build["folder"] / f"{dataset}.ndjson"
        assert validate_dataset_json(json_path) == []
        assert validate_dataset_json(ndjson_path) == []
        document = json.loads(json_path.read_text(encoding="utf-8"))
        lines = ndjson_path.read_text(encoding="utf-8").splitlines()
        assert json.loads(lines[0]) == {k: v for k, v in document.items() if k != "rows"}
        assert [json.loads(line) for line in lines[1:]] == document["rows"]
        assert document["datasetJSONCreationDateTime"] == f"{DATA_CUTOFF}T00:00:00"
        assert document["metaDataRef"] == "define.xml"
        assert [(c["name"], c["label"]) for c in document["columns"]] == [
            (v["VARIABLE"], v["LABEL"]) for v in variables
        ]
        assert [c.get("length") for c in document["columns"]] == [
            v["LENGTH"] if v["DATA_TYPE"] == "text" else None for v in variables
        ]
        table = build["tables"][dataset]
        assert document["records"] == table.height
        for index, v in enumerate(variables):
            got = [row[index] for row in document["rows"]]
            want = table[v["VARIABLE"]].to_list()
            if v["DATA_TYPE"] == "date":
                want = [w.isoformat() if w else None for w in want]
            assert got == want, (dataset, v["VARIABLE"])


# --- define.xml ------------------------------------------------------------------------------------


def test_define_xml_validates_and_its_item_defs_are_the_spec_and_the_files(build):
    path = build["folder"] / "define.xml"
    assert validate_define_xml(path) == []
    assert path.read_bytes().startswith(
        b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet type=\"text/xsl\" href=\"define2-1.xsl\"?>\n"
    )
    root = etree.parse(str(path)).getroot()
    assert root.get("CreationDateTime") == f"{DATA_CUTOFF}T00:00:00"
    assert root.get(f"{{{DEF_NS}}}Context") == "Submission"
    items = define_item_defs(path)
    expected = [
        (
            v["DATASET"].upper(),
            v["VARIABLE"],
            v["LABEL"],
            # a SAS numeric date: integer (day count), Length 8, DATE9. - as the CDISC pilot types it
            "integer" if v["TYPE"] == "Num" and v["DATA_TYPE"] == "date" else v["DATA_TYPE"],
            v["LENGTH"] if v["DATA_TYPE"] in ("text", "integer", "date") else None,
            v["DISPLAY_FORMAT"],
            v["KEY_SEQUENCE"],
            v["VARNUM"],
        )
        for ds in build["spec"]["datasets"]["DATASET"]
        for v in spec_vars(build["spec"], ds)
    ]
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
        for i in items
    ] == expected
    # ... and the XPT files: names, labels and lengths as written
    for ds in build["spec"]["datasets"]["DATASET"]:
        _, meta = read_xpt(build["folder"] / f"{ds}.xpt")
        defined = [i for i in items if i.dataset == ds.upper()]
        assert [(i.variable, i.label) for i in defined] == [(v.name, v.label) for v in meta.variables]
        assert [i.length for i in defined if i.data_type == "text"] == [
            v.length for v in meta.variables if v.type == "Char"
        ]
    # Mandatory from CORE, MethodOID on Derived variables
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    refs = {r.get("ItemOID"): r for r in mdv.iterfind("odm:ItemGroupDef/odm:ItemRef", NS)}
    methods = {m.get("OID") for m in mdv.iterfind("odm:MethodDef", NS)}
    for v in build["spec"]["variables"].iter_rows(named=True):
        ref = refs[f"IT.{v['DATASET'].upper()}.{v['VARIABLE']}"]
        assert ref.get("Mandatory") == ("Yes" if v["CORE"] == "Req" else "No")
        assert (ref.get("MethodOID") in methods) == (v["ORIGIN"] == "Derived")
    # a method reads as words, with the rule book's anchor after them (spec row adsl.ACTARM)
    actarm = build["spec"]["variables"].filter(pl.col("VARIABLE") == "ACTARM").row(0, named=True)
    method = mdv.find(f"odm:MethodDef[@OID='{refs['IT.ADSL.ACTARM'].get('MethodOID')}']", NS)
    assert "".join(method.itertext()).strip() == f"{actarm['DESCRIPTION']} Rule book: {actarm['METHOD']}."
    # the XPT_VALUE_FROM comment
    comment = mdv.find("def:CommentDef[@OID='COM.ADAE.AETERM.XPT']", NS)
    assert "carries the value of AEDECOD" in "".join(comment.itertext())


def test_define_xml_value_level_metadata_for_every_paramcd(build):
    root = etree.parse(str(build["folder"] / "define.xml")).getroot()
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    where = {
        w.get("OID"): (
            w.find("odm:RangeCheck", NS).get(f"{{{DEF_NS}}}ItemOID"),
            w.findtext("odm:RangeCheck/odm:CheckValue", namespaces=NS),
        )
        for w in mdv.iterfind("def:WhereClauseDef", NS)
    }
    item_defs = {i.get("OID"): i for i in mdv.iterfind("odm:ItemDef", NS)}
    value_level = build["spec"]["value_level"]
    assert value_level.height == 20  # seeds/adam_spec/adam_value_level.csv
    for row in value_level.iter_rows(named=True):
        ds, var, paramcd = row["DATASET"].upper(), row["VARIABLE"], row["PARAMCD"]
        vld = mdv.find(f"def:ValueListDef[@OID='VL.{ds}.{var}']", NS)
        refs = {r.get("ItemOID"): r for r in vld.iterfind("odm:ItemRef", NS)}
        ref = refs[f"IT.{ds}.{var}.{paramcd}"]
        clause = ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")
        assert where[clause] == (f"IT.{ds}.PARAMCD", paramcd)
        item = item_defs[f"IT.{ds}.{var}.{paramcd}"]
        assert item.get("DataType") == row["DATA_TYPE"]
        assert item.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == row["DESCRIPTION"]
        codelist = item.find("odm:CodeListRef", NS)
        assert (codelist.get("CodeListOID") if codelist is not None else None) == (
            f"CL.{row['CODELIST']}" if row["CODELIST"] else None
        )
        # the parent variable points at the value list
        parent = item_defs[f"IT.{ds}.{var}"]
        assert parent.find("def:ValueListRef", NS).get("ValueListOID") == f"VL.{ds}.{var}"


# --- determinism, failure, the spec drives everything ----------------------------------------------


def test_byte_identical_whatever_the_clock(build, tmp_path):
    """The build's files, a fresh export minutes later, and one in another process whose local
    clock is 14 hours ahead (TZ): identical bytes, file for file."""
    built = sha256s(build["folder"])
    again = export(build, tmp_path / "again")
    assert sha256s(adam_folder(tmp_path / "again", STUDY)) == built
    assert again.drop("FILE").equals(build["manifest"].drop("FILE"))
    script = f"""
import duckdb, sys
sys.path.insert(0, {str(REPO / "tests")!r})
from submission.export import export_submission
with duckdb.connect({str(build["root"].parent.parent / "warehouse.duckdb")!r}, read_only=True) as con:
    spec = {{n: con.sql(f"select * from ref.adam_{{n}}").pl() for n in {SPEC_TABLES!r}}}
    # stored order, shuffled: the export puts the rows in key order itself
    tables = {{d: con.sql(f"select * from adam.{{d}}").pl().sample(fraction=1.0, shuffle=True, seed=1)
              for d in spec["datasets"]["DATASET"]}}
    ard = con.sql("select * from results.ard").pl()
with duckdb.connect({str(work_db(build["root"].parent.parent / "warehouse.duckdb"))!r}, read_only=True) as con:
    arm = con.sql("select * from ref.adam_analysis_results").pl()
export_submission(tables, **spec, analysis_results=arm, ard=ard, data_cutoff={DATA_CUTOFF!r},
                  root={str(tmp_path / "tz")!r}, tlf_root={str(tmp_path / "tlf")!r})
"""
    env = dict(os.environ, TZ="Pacific/Kiritimati")
    subprocess.run(
        [sys.executable, "-c", script], check=True, env=env, cwd=REPO, capture_output=True, text=True
    )
    assert sha256s(adam_folder(tmp_path / "tz", STUDY)) == built


def test_a_failed_export_leaves_the_previous_folder_byte_identical(build, tmp_path):
    root = tmp_path / "sub"
    export(build, root)
    folder = adam_folder(root, STUDY)
    before = sha256s(folder)
    # the longest value of the first Char variable (spec order) whose values are longer than 1
    variables = build["spec"]["variables"]
    for v in variables.filter(pl.col("TYPE") == "Char").iter_rows(named=True):
        values = xpt_expected(build, v["DATASET"])[v["VARIABLE"]]
        longest = int(values.str.len_bytes().max() or 0)
        if longest > 1:
            break
    row = int(values.str.len_bytes().arg_max())
    shorter = variables.with_columns(
        pl.when((pl.col("DATASET") == v["DATASET"]) & (pl.col("VARIABLE") == v["VARIABLE"]))
        .then(longest - 1)
        .otherwise(pl.col("LENGTH"))
        .alias("LENGTH")
    )
    with pytest.raises(SubmissionExportError) as error:
        export(build, root, variables=shorter)
    message = str(error.value)
    assert "\n" not in message
    # xpt.check_xpt counts rows from 0
    assert f"dataset {v['DATASET'].upper()}, variable {v['VARIABLE']}, row {row}: " in message
    assert f"more than the length {longest - 1}" in message
    assert sha256s(folder) == before
    assert [p.name for p in folder.parent.iterdir()] == ["datasets"]  # no temporary folder left


def test_a_name_xpt_cannot_hold_is_refused_with_a_clear_message(build, tmp_path):
    variables = build["spec"]["variables"]
    first = variables.row(0, named=True)
    long_name = first["VARIABLE"] + "_TOO_LONG"
    renamed = variables.with_columns(
        pl.when((pl.col("DATASET") == first["DATASET"]) & (pl.col("VARNUM") == first["VARNUM"]))
        .then(pl.lit(long_name))
        .otherwise(pl.col("VARIABLE"))
        .alias("VARIABLE")
    )
    with pytest.raises(
        SubmissionExportError, match=f"^dataset {first['DATASET']}, variable {long_name}: name is not"
    ):
        export(build, tmp_path / "sub", variables=renamed)
    assert not (tmp_path / "sub").exists()  # refused before anything was written


@needs_r
def test_the_spec_drives_every_label(build, tmp_path):
    """Edit one label in a copy of the spec: XPT (pyreadstat, haven), Dataset-JSON and
    define.xml all carry the new one."""
    variables = build["spec"]["variables"]
    target = variables.filter(pl.col("DATASET") == "adae").sort("VARNUM").row(2, named=True)
    new_label = "Edited Label For The Spec Test"
    assert new_label != target["LABEL"] and len(new_label) <= 40
    edited = variables.with_columns(
        pl.when((pl.col("DATASET") == target["DATASET"]) & (pl.col("VARIABLE") == target["VARIABLE"]))
        .then(pl.lit(new_label))
        .otherwise(pl.col("LABEL"))
        .alias("LABEL")
    )
    root = tmp_path / "sub"
    export(build, root, variables=edited)
    folder = adam_folder(root, STUDY)
    ds, var = target["DATASET"], target["VARIABLE"]
    _, meta = pyreadstat.read_xport(str(folder / f"{ds}.xpt"), metadataonly=True)
    assert meta.column_names_to_labels[var] == new_label
    _, haven_meta, _ = haven_read(folder / f"{ds}.xpt", tmp_path)
    assert {m["name"]: m["label"] for m in haven_meta}[var] == new_label
    document = json.loads((folder / f"{ds}.json").read_text(encoding="utf-8"))
    assert {c["name"]: c["label"] for c in document["columns"]}[var] == new_label
    assert {(i.dataset, i.variable): i.label for i in define_item_defs(folder / "define.xml")}[
        (ds.upper(), var)
    ] == new_label
    # and only that label changed
    before = {(i.dataset, i.variable): i.label for i in define_item_defs(build["folder"] / "define.xml")}
    after = {(i.dataset, i.variable): i.label for i in define_item_defs(folder / "define.xml")}
    assert {k for k in before if before[k] != after[k]} == {(ds.upper(), var)}


def test_data_cutoff_is_every_timestamp(build, tmp_path):
    """Another cutoff, other stamps: the XPT header datetimes, JSON and define.xml follow it."""
    root = tmp_path / "sub"
    export_submission(build["tables"], **build["spec"], data_cutoff="2018-10-19", root=root)
    folder = adam_folder(root, STUDY)
    header = (folder / "adsl.xpt").read_bytes()[:560]  # the 7 header records (TS-140)
    assert header.count(b"19OCT18:00:00:00") == 4
    assert (
        json.loads((folder / "adsl.json").read_text())["datasetJSONCreationDateTime"] == "2018-10-19T00:00:00"
    )
    assert etree.parse(str(folder / "define.xml")).getroot().get("CreationDateTime") == "2018-10-19T00:00:00"
    assert dt.date.fromisoformat(DATA_CUTOFF) != dt.date(2018, 10, 19)


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium not installed (scripts/install_system_deps.sh)"
)
def test_define_xml_renders_with_its_stylesheet_in_chromium(build):
    """The stylesheet beside define.xml turns it into HTML tables (scripts/screenshot_define.sh
    takes the screenshots of the same rendering)."""
    proc = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--dump-dom",
            (build["folder"] / "define.xml").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = proc.stdout
    for ds, label in build["spec"]["datasets"].select("DATASET", "LABEL").iter_rows():
        assert f'<table summary="ItemGroup IG.IG.{ds.upper()}">' in dom  # one table per dataset
        assert f"{ds.upper()} ({label})" in dom
        assert f'href="{ds}.xpt"' in dom
    assert "carries the value of AEDECOD" in dom  # the XPT_VALUE_FROM comment, shown


def test_what_a_killed_export_left_is_tidied(build, tmp_path):
    """Killed while writing: the half-written folder goes. Killed between the two renames
    (previous folder moved aside, new one not yet in place): the previous folder comes back
    before the new export replaces it."""
    root = tmp_path / "sub"
    export(build, root)
    folder = adam_folder(root, STUDY)
    before = sha256s(folder)
    half = folder.parent / ".datasets.writing-killed"
    half.mkdir()
    (half / "adsl.xpt").write_bytes(b"half a file")
    os.replace(folder, folder.parent / ".datasets.previous-killed")
    # the next export is refused (a label longer than XPT's 40): what stays is the previous folder
    variables = build["spec"]["variables"].with_columns(
        pl.when(pl.col("VARNUM") == 1).then(pl.lit("L" * 41)).otherwise(pl.col("LABEL")).alias("LABEL")
    )
    with pytest.raises(SubmissionExportError, match="has 41 characters, more than 40"):
        export(build, root, variables=variables)
    assert [p.name for p in folder.parent.iterdir()] == ["datasets"]
    assert sha256s(folder) == before
