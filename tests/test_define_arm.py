"""Analysis Results Metadata (ARM 1.0 for Define-XML 2.1) in the define.xml of the nightly
build (submission.define_xml, seeds/adam_spec/adam_analysis_results.csv; docs/DESIGN.md
"Analysis Results Metadata"): checked against the ARM XML Schema, against results.ard and the
ADaM data of the same build, and against the published figures of the primary endpoint."""

from __future__ import annotations

import random
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml
from conftest import REPO, submission_root, tlf_root, work_db
from lxml import etree

from submission.define_xml import ARM_NS, DEF_NS, ODM_NS, define_schema_path, validate_define_xml
from submission.export import SubmissionExportError, adam_folder, export_submission

STUDY = "NCT02917941"  # seeds/extract_codelists.csv STUDYID
DATA_CUTOFF = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["data_cutoff"]
NS = {"odm": ODM_NS, "def": DEF_NS, "arm": ARM_NS, "xlink": "http://www.w3.org/1999/xlink"}
PILOT_DEFINE = REPO / "standards" / "dataset-json-1.1" / "examples" / "adam" / "define.xml"
SPEC_TABLES = ("datasets", "variables", "value_level", "codelists")
# the four analyses issue 14 asks for, with their display's output file stem (the ARD contract)
REQUIRED = {
    "T3.VGPR_OR_BETTER": "t03_response",
    "T3.ORR": "t03_response",
    "EFF.PFS": "f01_pfs_km",
    "T4.ANY_TEAE": "t04_teae_overview",
}


@pytest.fixture(scope="module")
def build(demo_warehouse):
    """The demo build's define.xml (parsed), its ARD, ADaM tables and spec."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        spec = {name: con.sql(f"select * from ref.adam_{name}").pl() for name in SPEC_TABLES}
        keys = dict(spec["datasets"].select("DATASET", "KEYS").iter_rows())
        tables = {ds: con.sql(f"select * from adam.{ds} order by {keys[ds]}").pl() for ds in keys}
        ard = con.sql("select * from results.ard").pl()
    # the seed as the build loaded it (the work file: the published file holds the seeds the
    # page reads, models/validation/publish.py)
    with duckdb.connect(str(work_db(demo_warehouse)), read_only=True) as con:
        spec["analysis_results"] = con.sql("select * from ref.adam_analysis_results").pl()
    folder = adam_folder(submission_root(demo_warehouse.parent / "dbt"), STUDY)
    return {
        "tlf": tlf_root(demo_warehouse.parent / "dbt"),
        "folder": folder,
        "define": folder / "define.xml",
        "tree": etree.parse(str(folder / "define.xml")),
        "spec": spec,
        "tables": tables,
        "ard": ard,
    }


def results(tree) -> dict[str, etree._Element]:
    """AnalysisResult elements by ANALYSIS_ID (OID ``AR.<ANALYSIS_ID>``)."""
    return {ar.get("OID")[3:]: ar for ar in tree.xpath("//arm:AnalysisResult", namespaces=NS)}


def documentation(ar) -> str:
    return ar.xpath("string(arm:Documentation/odm:Description/odm:TranslatedText)", namespaces=NS)


def export(build: dict, root: Path, **overrides) -> Path:
    spec = {**build["spec"], **overrides}
    arm = {"analysis_results": spec.pop("analysis_results"), "ard": overrides.get("ard", build["ard"])}
    spec.pop("ard", None)
    # the TLF folder beside root, as the build's beside its submission folder (conftest.tlf_root)
    export_submission(
        build["tables"], **spec, **arm, data_cutoff=DATA_CUTOFF, root=root, tlf_root=tlf_root(root.parent)
    )
    return adam_folder(root, STUDY) / "define.xml"


# --- schema ----------------------------------------------------------------------------------


def test_the_built_define_xml_carries_arm_and_validates_against_the_arm_schema(build):
    assert build["tree"].xpath("count(//arm:AnalysisResultDisplays)", namespaces=NS) == 1
    assert validate_define_xml(build["define"]) == []
    # the ARM schema is the one that admitted it: Define-XML 2.1's own rejects arm elements
    define_only = etree.XMLSchema(etree.parse(str(define_schema_path(False))))
    assert not define_only.validate(build["tree"])
    assert "AnalysisResultDisplays" in str(define_only.error_log)


def test_the_cdisc_pilot_define_xml_with_arm_validates_with_our_validator():
    # outside truth: the CDISC pilot's define.xml carries ARM; the schema path must accept it
    tree = etree.parse(str(PILOT_DEFINE))
    assert tree.xpath("count(//arm:AnalysisResult)", namespaces=NS) == 2
    assert validate_define_xml(PILOT_DEFINE) == []


def test_an_arm_element_out_of_schema_is_reported(build, tmp_path):
    tree = etree.parse(str(build["define"]))
    ar = tree.xpath("//arm:AnalysisResult", namespaces=NS)[0]
    del ar.attrib["AnalysisPurpose"]  # required by arm1-0-0.xsd
    broken = tmp_path / "define.xml"
    tree.write(str(broken), xml_declaration=True, encoding="UTF-8")
    problems = validate_define_xml(broken)
    assert problems and "AnalysisPurpose" in problems[0]


# --- each analysis result against the ARD and the data of the same build ----------------------


def test_the_four_required_analyses_name_ard_rows_and_their_result_ids(build):
    found = results(build["tree"])
    assert set(REQUIRED) <= set(found)
    ard = build["ard"]
    for analysis_id in REQUIRED:
        rows = ard.filter(pl.col("ANALYSIS_ID") == analysis_id)
        assert rows.height > 0, analysis_id
        text = documentation(found[analysis_id])
        listed = text.split("): ", 1)[1].split(", ") if "Results (results.ard RESULT_ID" in text else []
        listed = [line.split("\n")[0] for line in listed]
        assert sorted(listed) == sorted(rows["RESULT_ID"].to_list()), analysis_id
        assert listed == sorted(listed)  # RESULT_ID order: the ARD's storage order does not count


def test_every_analysis_result_carries_exactly_the_ard_method_text(build):
    ard = build["ard"]
    for analysis_id, ar in results(build["tree"]).items():
        rows = ard.filter(pl.col("ANALYSIS_ID") == analysis_id)
        expected = {f"Method {m}: {t}" for m, t in rows.select("METHOD_ID", "METHOD").unique().iter_rows()}
        written = {line for line in documentation(ar).split("\n") if line.startswith("Method ")}
        assert written == expected, analysis_id
    # the primary endpoint's interval is the exact one, in the ARD's own words
    vgpr = documentation(results(build["tree"])["T3.VGPR_OR_BETTER"])
    method = ard.filter(pl.col("METHOD_ID") == "CI_CLOPPER_PEARSON")["METHOD"].unique().to_list()
    assert len(method) == 1 and f"Method CI_CLOPPER_PEARSON: {method[0]}" in vgpr.split("\n")


def test_the_primary_endpoint_and_its_published_figures(build, published):
    ar = results(build["tree"])["T3.VGPR_OR_BETTER"]
    assert ar.get("AnalysisPurpose") == "PRIMARY OUTCOME MEASURE"
    assert ar.get("ParameterOID") == "IT.ADRS.PARAMCD"
    # the ARD rows the AnalysisResult lists print the paper's figures (16/32, 50.0%, 31.9-68.1)
    text = documentation(ar)
    ids = text.split("RESULT_ID, shown in t03_response.pdf and t03_response.rtf): ", 1)[1].split(", ")
    printed = dict(
        build["ard"].filter(pl.col("RESULT_ID").is_in(ids)).select("STAT_NAME", "STAT_FMT").iter_rows()
    )
    paper = published.filter((pl.col("table") == "T3") & (pl.col("item") == "VGPR_OR_BETTER"))
    assert printed == dict(paper.select("stat", "value").iter_rows())
    assert printed == {"n": "16", "pct": "50.0", "ci_lo": "31.9", "ci_hi": "68.1"}


def test_datasets_variables_and_where_clauses_resolve_in_the_same_define_xml(build):
    tree = build["tree"]
    groups = set(tree.xpath("//odm:ItemGroupDef/@OID", namespaces=NS))
    items = set(tree.xpath("//odm:ItemDef/@OID", namespaces=NS))
    clauses = {wc.get("OID"): wc for wc in tree.xpath("//def:WhereClauseDef", namespaces=NS)}
    assert len(clauses) == len(tree.xpath("//def:WhereClauseDef", namespaces=NS))  # OIDs unique
    for analysis_id, ar in results(tree).items():
        parameter = ar.get("ParameterOID")
        assert parameter is None or parameter in items, analysis_id
        for ads in ar.xpath("arm:AnalysisDatasets/arm:AnalysisDataset", namespaces=NS):
            group = ads.get("ItemGroupOID")
            assert group in groups, (analysis_id, group)
            variables = ads.xpath("arm:AnalysisVariable/@ItemOID", namespaces=NS)
            assert variables and set(variables) <= items, (analysis_id, variables)
            # a variable of the dataset named: IT.<DS>.<VAR> under IG.<DS>
            assert all(v.startswith(f"IT.{group[3:]}.") for v in variables)
            for ref in ads.xpath("def:WhereClauseRef/@WhereClauseOID", namespaces=NS):
                checks = clauses[ref].xpath("odm:RangeCheck", namespaces=NS)
                assert checks
                for check in checks:
                    assert check.get(f"{{{DEF_NS}}}ItemOID") in items
                    assert check.get(f"{{{DEF_NS}}}ItemOID").startswith(f"IT.{group[3:]}.")


def _selected(table: pl.DataFrame, variable: str, comparator: str, values: list[str]) -> pl.DataFrame:
    column = pl.col(variable).cast(pl.String)
    if comparator in ("EQ", "IN"):
        return table.filter(column.is_in(values))
    number = pl.col(variable).cast(pl.Float64)
    bound = float(values[0])
    return table.filter(
        {"GE": number >= bound, "GT": number > bound, "LE": number <= bound, "LT": number < bound}[comparator]
    )


def test_every_where_clause_selects_records_that_occur_in_the_data(build):
    tree = build["tree"]
    clauses = {wc.get("OID"): wc for wc in tree.xpath("//def:WhereClauseDef", namespaces=NS)}
    used = set(tree.xpath("//arm:AnalysisDataset/def:WhereClauseRef/@WhereClauseOID", namespaces=NS))
    assert {
        "WC.ADRS.PARAMCD.EQ.BOR",
        "WC.ADTTE.PARAMCD.EQ.PFS",
        "WC.ADSL.RSEVFL.EQ.Y",
        "WC.ADAE.TRTEMFL.EQ.Y",
    } <= used
    for oid in sorted(used):
        selected = None
        for check in clauses[oid].xpath("odm:RangeCheck", namespaces=NS):
            _, dataset, variable = check.get(f"{{{DEF_NS}}}ItemOID").split(".")
            table = build["tables"][dataset.lower()] if selected is None else selected
            values = check.xpath("odm:CheckValue/text()", namespaces=NS)
            selected = _selected(table, variable, check.get("Comparator"), values)
            assert selected.height > 0, (oid, variable, values)  # e.g. PARAMCD 'BOR' exists in adrs
    # and they select the analysis sets the ARD counts: RE 32, FAS 34 (PFS records), SAF 34
    adsl, adtte = build["tables"]["adsl"], build["tables"]["adtte"]
    denominators = dict(
        build["ard"]
        .filter(pl.col("ANALYSIS_ID").is_in(["T3.VGPR_OR_BETTER", "T4.ANY_TEAE"]))
        .select("ANALYSIS_ID", "DENOMINATOR")
        .unique()
        .iter_rows()
    )
    assert adsl.filter(pl.col("RSEVFL") == "Y").height == denominators["T3.VGPR_OR_BETTER"] == 32
    assert adsl.filter(pl.col("SAFFL") == "Y").height == denominators["T4.ANY_TEAE"] == 34
    assert adtte.filter(pl.col("PARAMCD") == "PFS").height == adsl.filter(pl.col("FASFL") == "Y").height == 34
    # the seed's comparators reach the file (`TRTEMFL EQ Y AND AETOXGR GE 3`), and the grade >= 3
    # clause selects exactly the subjects the ARD counts in Table 4
    ar = results(tree)["T4.GRADE3PLUS"]
    (oid,) = ar.xpath(
        "arm:AnalysisDatasets/arm:AnalysisDataset[@ItemGroupOID='IG.ADAE']"
        "/def:WhereClauseRef/@WhereClauseOID",
        namespaces=NS,
    )
    checks = [
        (c.get(f"{{{DEF_NS}}}ItemOID"), c.get("Comparator"), c.xpath("odm:CheckValue/text()", namespaces=NS))
        for c in clauses[oid].xpath("odm:RangeCheck", namespaces=NS)
    ]
    assert checks == [("IT.ADAE.TRTEMFL", "EQ", ["Y"]), ("IT.ADAE.AETOXGR", "GE", ["3"])]
    adae = build["tables"]["adae"]
    selected = _selected(_selected(adae, "TRTEMFL", "EQ", ["Y"]), "AETOXGR", "GE", ["3"])
    saf = adsl.filter(pl.col("SAFFL") == "Y").select("USUBJID")
    n = build["ard"].filter(pl.col("RESULT_ID") == "T4|GRADE3PLUS|n")["STAT"][0]
    assert selected.join(saf, on="USUBJID", how="semi")["USUBJID"].n_unique() == n


def test_each_display_points_at_its_output_files_in_the_tlf_folder(build):
    tree = build["tree"]
    leaves = {
        leaf.get("ID"): leaf
        for leaf in tree.xpath("/odm:ODM/odm:Study/odm:MetaDataVersion/def:leaf", namespaces=NS)
    }
    expected_dir = build["tlf"]  # CTWH_TLF_DIR of the fixture's dbt run
    by_result = {}
    for rd in tree.xpath("//arm:ResultDisplay", namespaces=NS):
        hrefs = [
            leaves[i].get(f"{{{NS['xlink']}}}href")
            for i in rd.xpath("def:DocumentRef/@leafID", namespaces=NS)
        ]
        for ar in rd.xpath("arm:AnalysisResult", namespaces=NS):
            by_result[ar.get("OID")[3:]] = hrefs
    for analysis_id, stem in REQUIRED.items():
        hrefs = by_result[analysis_id]
        assert [Path(h).name for h in hrefs] == [f"{stem}.pdf", f"{stem}.rtf"]
        for href in hrefs:
            assert not Path(href).is_absolute()
            assert (build["folder"] / href).resolve() == expected_dir / Path(href).name


# --- the seed reaches define.xml; bad seeds are refused with a message -------------------------


def test_an_edited_seed_row_reaches_define_xml_and_output_is_byte_identical(build, tmp_path):
    seed = build["spec"]["analysis_results"]
    edited = seed.with_columns(
        pl.when(pl.col("ANALYSIS_ID") == "T4.ANY_TEAE")
        .then(pl.lit("Subjects with at least one TEAE (edited)"))
        .otherwise(pl.col("RESULT_NAME"))
        .alias("RESULT_NAME"),
        pl.when((pl.col("ANALYSIS_ID") == "T4.SERIOUS") & (pl.col("DATASET") == "adae"))
        .then(pl.lit("TRTEMFL EQ Y AND AESER EQ Y AND AETOXGR GE 3"))
        .otherwise(pl.col("WHERE_CLAUSE"))
        .alias("WHERE_CLAUSE"),
    )
    tree = etree.parse(str(export(build, tmp_path / "a", analysis_results=edited)))
    ar = results(tree)["T4.ANY_TEAE"]
    assert (
        ar.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS)
        == "Subjects with at least one TEAE (edited)"
    )
    oid = "WC.ADAE.TRTEMFL.EQ.Y.ADAE.AESER.EQ.Y.ADAE.AETOXGR.GE.3"
    assert (
        results(tree)["T4.SERIOUS"].xpath(
            "arm:AnalysisDatasets/arm:AnalysisDataset/def:WhereClauseRef/@WhereClauseOID", namespaces=NS
        )[-1]
        == oid
    )
    assert tree.xpath(f"count(//def:WhereClauseDef[@OID='{oid}']/odm:RangeCheck)", namespaces=NS) == 3
    # identical input, the ARD in another row order: the build's own bytes
    shuffled = build["ard"].sample(fraction=1.0, shuffle=True, seed=random.randrange(1000))
    again = export(build, tmp_path / "b" / "submission", ard=shuffled)
    assert again.read_bytes() == build["define"].read_bytes()


@pytest.mark.parametrize(
    ("column", "analysis_id", "value", "message"),
    [
        (
            "ANALYSIS_ID",
            "T4.ANY_TEAE",
            "T4.NO_SUCH",
            "analysis result T4.NO_SUCH: no rows with this ANALYSIS_ID in results.ard",
        ),
        (
            "WHERE_CLAUSE",
            "T4.SERIOUS",
            "AESERX EQ Y",
            "variable AESERX: selection criterion on a variable not in adam_variables",
        ),
        ("WHERE_CLAUSE", "T4.SERIOUS", "AESER = Y", "is not 'VARIABLE COMPARATOR VALUE'"),
        ("REASON", "T3.ORR", "DATA DRIVEN", "analysis result T3.ORR: REASON differs between its rows"),
        ("DISPLAY_ID", "T4.SERIOUS", "T3", "analysis result T4.SERIOUS: in displays T4 and T3"),
    ],
)
def test_a_bad_seed_row_is_refused_with_a_message(build, tmp_path, column, analysis_id, value, message):
    seed = build["spec"]["analysis_results"]
    rows = pl.col("ANALYSIS_ID") == analysis_id
    target = {
        "ANALYSIS_ID": rows,  # every row of the analysis
        "WHERE_CLAUSE": rows & (pl.col("DATASET") != "adsl"),  # its ADAE row
    }.get(column, rows & (pl.col("DATASET") != "adsl"))  # one of its rows: the others disagree
    edited = seed.with_columns(pl.when(target).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))
    with pytest.raises(SubmissionExportError) as error:
        export(build, tmp_path, analysis_results=edited)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_stylesheet_shows_the_analysis_results(build):
    # the define2-1.xsl beside define.xml renders ARM: summary and detail with our content
    html = str(etree.XSLT(etree.parse(str(build["folder"] / "define2-1.xsl")))(build["tree"]))
    assert "Analysis Results Metadata - Summary" in html and "Analysis Results Metadata - Detail" in html
    for analysis_id, ar in results(build["tree"]).items():
        name = ar.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS)
        assert name in html, analysis_id
    text = " ".join(re.sub(r"<[^>]+>", " ", html).replace("&quot;", '"').split())
    assert 'ADRS [ PARAMCD = "BOR"]' in text and 'ADSL [ RSEVFL = "Y"]' in text
