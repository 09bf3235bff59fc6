"""The ADaM specification (seeds/adam_spec/) and what follows it, build-free.

Drift: the spec's variables are the columns the models select and the dbt tests of
data-tests/adam/ compare with; every codelist referenced exists; every in_set rule of seed
adam_rules takes its terms from one codelist; labels, names, lengths, keys, parameters and
METHOD anchors are well formed. Conformance: SAS V5 names, the ADaMIG 1.3 Req variables of each
class, CDISC C-codes of the codelists, the lineage outside the datasets. Following: the GX suites built from an edited copy of the spec
change with it (seed() reads the copy, as the build's dbt.ref() reads the seed).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO

from expectations.checks import adam_helpers
from expectations.suites import adam_suite, adam_value_sets, adam_variables_of, codelist_terms

SPEC = REPO / "seeds" / "adam_spec"
DATASETS = ("adsl", "adrs", "adtte", "adae", "adex")

#: Variables ADaMIG 1.3 makes Req (Core "Req") per class, every one a column of each dataset of
#: the class. ADSL: ADaMIG 1.3 section 3.2 (ADSL variables) - 3.2.1 identifiers STUDYID,
#: USUBJID, SUBJID, SITEID; 3.2.2 demographics AGE, AGEU, SEX, RACE; 3.2.4 treatment ARM, ACTARM,
#: TRT01P (TRTxxP Req for xx = 01). BDS: section 3.3 - 3.3.1 identifiers STUDYID, USUBJID;
#: 3.3.4 analysis parameter PARAM, PARAMCD and at least one of AVAL / AVALC (each Cond). OCCDS
#: (the ADaM OCCDS document that ADaMIG 1.3 defers to for occurrence data, its variable tables):
#: identifiers STUDYID, USUBJID and the topic variables copied from SDTM AE: AETERM, AEDECOD,
#: AEBODSYS.
REQUIRED_BY_CLASS = {
    "SUBJECT LEVEL ANALYSIS DATASET": {"STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU"}
    | {"SEX", "RACE", "ARM", "ACTARM", "TRT01P"},
    "BASIC DATA STRUCTURE": {"STUDYID", "USUBJID", "PARAM", "PARAMCD"},
    "OCCURRENCE DATA STRUCTURE": {"STUDYID", "USUBJID", "AETERM", "AEDECOD", "AEBODSYS"},
}
#: Lineage columns, which live in lineage.<dataset>_lineage, never in an ADaM dataset.
LINEAGE = {"TRANSFER_ID", "SITE_FOLDER", "SOURCE_FILE", "SOURCE_ROW"}


def seed(name: str, root: Path = REPO / "seeds") -> pd.DataFrame:
    """A seed by its dbt name, wherever under ``root`` it lives."""
    (path,) = root.rglob(f"{name}.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)


def selected_columns(sql: str) -> list[str]:
    """Output columns of a model's final top-level ``select ... from`` (alias, else the name
    after the qualifier)."""
    blocks = re.findall(r"^select\n(.*?)^from ", sql, flags=re.S | re.M)
    body = re.sub(r"--[^\n]*", "", blocks[-1])
    items, depth, item = [], 0, ""
    for ch in body:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append(item)
            item = ""
        else:
            item += ch
    items.append(item)
    names = []
    for text in (i.strip() for i in items if i.strip()):
        alias = re.search(r"\bas\s+(\w+)$", text, flags=re.I)
        names.append(alias.group(1) if alias else text.split(".")[-1])
    return names


def anchors() -> set[str]:
    """GitHub slugs of the ### headings of docs/derivations.md."""
    heads = re.findall(r"^### (.+)$", (REPO / "docs" / "derivations.md").read_text(), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


# ------------------------------------------------------------------------------ drift
def test_spec_variables_are_the_models_columns_in_varnum_order():
    variables = seed("adam_variables")
    sizes = {}
    for dataset in DATASETS:
        sql = (REPO / "models" / "adam" / f"{dataset}.sql").read_text()
        assert selected_columns(sql) == adam_variables_of(variables, dataset), dataset
        sizes[dataset] = len(adam_variables_of(variables, dataset))
    assert sizes == {"adsl": 68, "adrs": 17, "adtte": 15, "adae": 41, "adex": 8}


def test_the_spec_seed_is_the_one_column_list():
    """The one column list is seed adam_variables (seeds/adam_spec/); the old seed path is gone,
    and the column order / length checks are GX's (validation.adam_conformance), no dbt test
    of data-tests/adam/ keeps a copy of them."""
    assert not (REPO / "seeds" / "adam_variables.csv").exists()
    assert [p.relative_to(REPO).as_posix() for p in (REPO / "seeds").rglob("adam_variables.csv")] == [
        "seeds/adam_spec/adam_variables.csv"
    ]
    for name in ("assert_adam_columns_follow_adam_variables", "assert_adam_character_values_fit_length"):
        assert not (REPO / "data-tests" / "adam" / f"{name}.sql").exists(), name


def test_every_codelist_referenced_exists_and_every_codelist_is_used():
    variables, value_level, codelists = (
        seed("adam_variables"),
        seed("adam_value_level"),
        seed("adam_codelists"),
    )
    defined = set(codelists.CODELIST)
    used = set(variables.CODELIST.dropna()) | set(value_level.CODELIST.dropna())
    assert used <= defined, sorted(used - defined)
    assert defined <= used, sorted(defined - used)
    for codelist, group in codelists.groupby("CODELIST"):
        assert sorted(group.TERM_ORDER.astype(int)) == list(range(1, len(group) + 1)), codelist


def test_labels_names_and_types_are_well_formed():
    variables, datasets = seed("adam_variables"), seed("adam_datasets")
    for labels in (variables.LABEL, datasets.LABEL):
        assert labels.notna().all()
        assert labels.str.len().max() <= 40
        assert all(label.isascii() for label in labels)
    bad = variables[~variables.VARIABLE.str.fullmatch(r"[A-Z][A-Z0-9]{0,7}")]
    assert bad.empty, bad[["DATASET", "VARIABLE"]].values.tolist()  # SAS V5 / ADaMIG 1.3 names
    assert (datasets.DATASET.str.len() <= 8).all()
    assert (variables.CODELIST.dropna().str.fullmatch(r"[A-Z][A-Z0-9_]*")).all()
    assert set(datasets.DATASET) == set(DATASETS) == set(variables.DATASET)
    text = variables.DATA_TYPE == "text"
    assert set(variables.TYPE[text]) == {"Char"} and set(variables.TYPE[~text]) == {"Num"}
    assert (variables.DISPLAY_FORMAT.notna() == (variables.DATA_TYPE == "date")).all()
    assert set(variables.ORIGIN) == {"Collected", "Derived", "Assigned", "Predecessor"}
    assert set(variables.CORE) == {"Req", "Cond", "Perm"}


def test_lengths_are_set_as_a_sponsor_would():
    variables, codelists = seed("adam_variables"), seed("adam_codelists")
    length = variables.set_index(["DATASET", "VARIABLE"]).LENGTH.astype(int)
    assert (variables.LENGTH[variables.TYPE == "Num"].astype(int) == 8).all()
    longest = codelists.groupby("CODELIST").TERM.agg(lambda t: max(len(x.encode()) for x in t))
    for r in variables[(variables.TYPE == "Char") & variables.CODELIST.notna()].itertuples():
        assert int(r.LENGTH) == longest[r.CODELIST], (r.DATASET, r.VARIABLE)
    assert length["adsl", "FASFL"] == length["adae", "TRTEMFL"] == 1
    assert length["adsl", "USUBJID"] == len("NCT02917941-101-001")
    assert length["adae", "AETERM"] == length["adrs", "PARAM"] == 200


def test_keys_of_the_datasets_are_their_key_variables():
    variables, datasets = seed("adam_variables"), seed("adam_datasets")
    for r in datasets.itertuples():
        keys = variables[(variables.DATASET == r.DATASET) & variables.KEY_SEQUENCE.notna()]
        ordered = keys.assign(N=keys.KEY_SEQUENCE.astype(int)).sort_values("N").VARIABLE.tolist()
        assert r.KEYS.split(", ") == ordered, r.DATASET
    assert datasets.set_index("DATASET").KEYS.to_dict()["adex"] == "USUBJID, PARAMCD, EXTRT"


def test_every_in_set_rule_takes_its_terms_from_one_codelist():
    rules, variables, codelists = seed("adam_rules"), seed("adam_variables"), seed("adam_codelists")
    in_set = rules[rules.CHECK_KIND == "in_set"]
    assert len(in_set) == 86 and in_set.VALUE_SET.isna().all()  # terms are written once, in the codelist
    coded = set(zip(variables.DATASET, variables.VARIABLE, variables.CODELIST))
    backed = {(d, v) for d, v, c in coded if c}
    assert set(zip(in_set.DATASET, in_set.VARIABLE)) <= backed
    filled = adam_value_sets(rules, variables, codelists)
    got = {(r.DATASET, r.VARIABLE): r.VALUE_SET for r in filled[filled.CHECK_KIND == "in_set"].itertuples()}
    assert len(got) == len(in_set) and all(got.values())
    assert got["adsl", "SEX"] == "M|F"
    assert got["adtte", "CNSR"] == "0|1|2|3"
    assert got["adrs", "AVALC"] == "SCR|CR|VGPR|PR|MR|SD|PD|NE"
    assert got["adae", "AERELIXA"] == got["adae", "AREL"] == "RELATED|NOT RELATED"
    assert got["adsl", "AGEU"] == "YEARS"


def test_parameters_of_the_value_level_spec_are_the_studys():
    value_level, terms = seed("adam_value_level"), codelist_terms(seed("adam_codelists"))
    params = {d: g.PARAMCD.drop_duplicates().tolist() for d, g in value_level.groupby("DATASET")}
    assert params["adrs"] == seed("adrs_parameters").PARAMCD.tolist() == terms["PARAMCD_ADRS"]
    assert params["adtte"] == seed("tte_parameters").PARAMCD.tolist() == terms["PARAMCD_ADTTE"]
    adex_sql = (REPO / "models" / "adam" / "adex.sql").read_text()
    in_model = re.findall(r"^\s+'([A-Z]+)'(?: as PARAMCD)?,$", adex_sql, flags=re.M)
    assert params["adex"] == in_model == terms["PARAMCD_ADEX"] == ["CYCLES", "TOTDOSE", "PLANDOSE", "RDI"]
    assert set(value_level.VARIABLE) == {"AVAL", "AVALC"}


def test_methods_cite_the_rule_book():
    variables, value_level = seed("adam_variables"), seed("adam_value_level")
    known = anchors()
    derived = variables[variables.ORIGIN == "Derived"]
    assert derived.METHOD.notna().all() and variables.METHOD[variables.ORIGIN != "Derived"].isna().all()
    cited = pd.concat([variables.METHOD.dropna(), value_level.METHOD.dropna()])
    cited = cited[cited.str.startswith("docs/")]
    assert len(cited) > 60
    for method in cited:
        path, _, anchor = method.partition("#")
        assert path == "docs/derivations.md" and anchor in known, method
    for column in (variables.METHOD, variables.DESCRIPTION, value_level.DESCRIPTION):
        assert not column.dropna().str.contains("STUDY.md|site_extracts.md").any()


# ------------------------------------------------------------------------------ conformance
def test_req_variables_of_adamig_13_are_present_per_class():
    variables, datasets = seed("adam_variables"), seed("adam_datasets")
    for r in datasets.itertuples():
        names = set(adam_variables_of(variables, r.DATASET))
        missing = REQUIRED_BY_CLASS[r.CLASS] - names
        assert not missing, (r.DATASET, sorted(missing))
        if r.CLASS == "BASIC DATA STRUCTURE":
            assert names & {"AVAL", "AVALC"}, r.DATASET
        req = variables[(variables.DATASET == r.DATASET) & (variables.CORE == "Req")].VARIABLE
        assert REQUIRED_BY_CLASS[r.CLASS] <= set(req), (r.DATASET, "CORE is not Req")
    classes = datasets.set_index("DATASET").CLASS.to_dict()
    assert [d for d in DATASETS if classes[d] == "BASIC DATA STRUCTURE"] == ["adrs", "adtte", "adex"]


def test_lineage_is_outside_the_datasets_in_one_projection_each():
    """adam.<ds> and lineage.<ds>_lineage both select plain columns of int_<ds>__assembled; the
    lineage table has the dataset's keys and the lineage columns, the dataset none of these."""
    variables, datasets = seed("adam_variables"), seed("adam_datasets")
    assert not set(variables.VARIABLE) & LINEAGE
    keys = datasets.set_index("DATASET").KEYS.str.split(", ").to_dict()
    carried = {"adsl": ["TRANSFER_ID", "SOURCE_FILE", "SOURCE_ROW"], "adrs": ["SOURCE_FILE", "SOURCE_ROW"]}
    carried["adae"] = ["TRANSFER_ID", "SITE_FOLDER", "SOURCE_FILE", "SOURCE_ROW"]
    for dataset, lineage in carried.items():
        source = f"{{{{ ref('int_{dataset}__assembled') }}}}"
        adam = (REPO / "models" / "adam" / f"{dataset}.sql").read_text()
        table = (REPO / "models" / "adam" / "lineage" / f"{dataset}_lineage.sql").read_text()
        for sql in (adam, table):
            assert re.search(r"^from " + re.escape(source) + r"\n\Z", sql, flags=re.M), dataset
            assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", c) for c in selected_columns(sql)), dataset
        assert selected_columns(table) == keys[dataset] + lineage


def test_codelists_carry_cdisc_c_codes():
    codelists = seed("adam_codelists")
    assert list(codelists.columns)[-2:] == ["NCI_CODE", "CODELIST_NCI_CODE"]
    for column in ("NCI_CODE", "CODELIST_NCI_CODE"):
        assert codelists[column].dropna().str.fullmatch(r"C\d+").all(), column
    per_codelist = codelists.groupby("CODELIST").CODELIST_NCI_CODE.agg(lambda c: set(c.fillna("")))
    assert (per_codelist.map(len) == 1).all()  # one code per codelist, on each of its rows
    # CDISC Controlled Terminology (SDTM CT): codelist SEX C66731 (M C20197, F C16576), AGEU
    # C66781 (YEARS C29848), NY C66742 (Y C49488, N C49487), RACE C74457 (WHITE C41261)
    code = {(r.CODELIST, r.TERM): r.NCI_CODE for r in codelists.itertuples()}
    assert (code["SEX", "M"], code["SEX", "F"], code["AGEU", "YEARS"]) == ("C20197", "C16576", "C29848")
    assert (code["NY", "Y"], code["NY", "N"], code["RACE", "WHITE"]) == ("C49488", "C49487", "C41261")
    cl = {r.CODELIST: r.CODELIST_NCI_CODE for r in codelists.itertuples()}
    assert (cl["SEX"], cl["AGEU"], cl["NY"], cl["RACE"]) == ("C66731", "C66781", "C66742", "C74457")


def test_c_codes_agree_with_the_cdisc_pilot_define_xml():
    """Outside truth: the CDISC ADaM pilot's define.xml (standards/) carries NCI aliases for
    the codelists it shares with ours; wherever a codelist C-code and a term are in both, the
    term's C-code must be the pilot's. (ACN and OUT are not in the pilot: checked by hand
    against NCI EVS, C66767 / C66768.)"""
    from lxml import etree

    odm = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
    define = etree.parse(str(REPO / "standards" / "dataset-json-1.1" / "examples" / "adam" / "define.xml"))
    pilot = {}
    for codelist in define.iterfind(".//odm:CodeList", odm):
        list_alias = codelist.find("odm:Alias", odm)
        if list_alias is None:
            continue
        for item in codelist.xpath("odm:CodeListItem | odm:EnumeratedItem", namespaces=odm):
            alias = item.find("odm:Alias", odm)
            if alias is not None:
                pilot[list_alias.get("Name"), item.get("CodedValue")] = alias.get("Name")
    ours = seed("adam_codelists").dropna(subset=["NCI_CODE", "CODELIST_NCI_CODE"])
    shared = [
        (r.CODELIST, r.TERM, r.NCI_CODE, pilot[r.CODELIST_NCI_CODE, r.TERM])
        for r in ours.itertuples()
        if (r.CODELIST_NCI_CODE, r.TERM) in pilot
    ]
    assert {c for c, *_ in shared} == {"SEX", "RACE", "AGEU", "NY"}
    assert len(shared) == 8  # M F, ASIAN WHITE BLACK OR AFRICAN AMERICAN, YEARS, Y N
    assert [(c, t) for c, t, ours_, theirs in shared if ours_ != theirs] == []


def test_coded_character_variables_name_their_codelist():
    """Flags, the arm and treatment, study id, units and the per-drug AE codes take a codelist."""
    variables = seed("adam_variables")
    char = variables[variables.TYPE == "Char"]
    named = char.set_index(["DATASET", "VARIABLE"]).CODELIST
    flags = char[char.VARIABLE.str.fullmatch(r"[A-Z0-9]+FL")]
    assert flags.CODELIST.isin(["NY", "Y"]).all(), flags[flags.CODELIST.isna()].VARIABLE.tolist()
    for dataset in DATASETS:
        assert named[dataset, "STUDYID"] == "STUDYID"
    assert [named["adsl", v] for v in ("AGEU", "ARM", "ACTARM")] == ["AGEU", "ARM", "ACTARM"]
    trt = [named["adsl", "TRT01P"], named["adsl", "TRT01A"], named["adrs", "TRTP"], named["adtte", "TRTP"]]
    assert trt + [named["adae", "TRTA"], named["adex", "TRTA"]] == ["TRT"] * 6
    assert {named["adae", f"AEREL{d}"] for d in ("IXA", "LEN", "DEX")} == {"REL"}
    assert {named["adae", f"AEACN{d}"] for d in ("IXA", "LEN", "DEX")} == {"ACN"}
    assert (named["adrs", "SRCVAR"], named["adtte", "SRCVAR"]) == ("SRCVAR_ADRS", "SRCVAR_ADTTE")
    sources = set(seed("tte_sources").SRCVAR)  # the dates adtte can point at
    assert set(codelist_terms(seed("adam_codelists"))["SRCVAR_ADTTE"]) == sources


def test_parameter_codelists_decode_to_the_parameter_names():
    """PARAMCD_<dataset> decodes are the PARAM of the rules seeds (adrs, adtte) and of adex.sql."""
    codelists = seed("adam_codelists")
    decode = {(r.CODELIST, r.TERM): r.DECODE for r in codelists.itertuples()}
    for dataset, params in (("ADRS", seed("adrs_parameters")), ("ADTTE", seed("tte_parameters"))):
        for r in params.itertuples():
            assert decode[f"PARAMCD_{dataset}", r.PARAMCD] == r.PARAM, (dataset, r.PARAMCD)
    adex_sql = (REPO / "models" / "adam" / "adex.sql").read_text()
    named = dict(
        re.findall(r"^\s+'([A-Z]+)'(?: as PARAMCD)?,\n\s+'([^']+)'(?: as PARAM)?,$", adex_sql, flags=re.M)
    )
    assert len(named) == 4
    for paramcd, param in named.items():
        assert decode["PARAMCD_ADEX", paramcd] == param, paramcd


def test_arm_codelists_are_the_study_arms_seed():
    """ARM / ACTARM / TRT terms: the seed study_arms's names plus the CDISC terms for a subject
    outside the arm (int_adsl__arm_trt)."""
    arms, terms = seed("study_arms"), codelist_terms(seed("adam_codelists"))
    assert len(arms) == 1  # single-arm study
    assert terms["ARM"] == arms.ARM.tolist() + ["Not Assigned"]
    assert terms["ACTARM"] == arms.ARM.tolist() + ["Not Treated", "Not Assigned"]
    assert terms["TRT"] == arms.TRTP.tolist()


def test_xpt_value_from_is_the_last_column_and_only_aeterm_uses_it():
    variables = seed("adam_variables")
    assert list(variables.columns)[-1] == "XPT_VALUE_FROM"
    used = variables[variables.XPT_VALUE_FROM.notna()]
    assert used[["DATASET", "VARIABLE", "XPT_VALUE_FROM"]].values.tolist() == [["adae", "AETERM", "AEDECOD"]]
    names = set(adam_variables_of(variables, "adae"))
    assert "AEDECOD" in names and "XPT" in used.DESCRIPTION.iloc[0]


# ------------------------------------------------------------------------------ following
@pytest.fixture
def spec_copy(tmp_path) -> Path:
    """An editable copy of seeds/ (the spec and adam_rules)."""
    root = tmp_path / "seeds"
    shutil.copytree(REPO / "seeds", root)
    return root


def _suite(root: Path, dataset: str):
    variables = seed("adam_variables", root)
    rules = adam_value_sets(seed("adam_rules", root), variables, seed("adam_codelists", root))
    return adam_suite(dataset, adam_variables_of(variables, dataset), rules[dataset == rules.DATASET]), rules


def _value_set(suite, column: str) -> list:
    (e,) = [e for e in suite.expectations if e.meta["check"] == "in_set" and e.column == column]
    return list(e.value_set)


def test_gx_suite_follows_an_edited_term_and_variable(spec_copy):
    before, _ = _suite(spec_copy, "adsl")
    assert _value_set(before, "SEX") == ["M", "F"]
    assert _value_set(before, "FASFL") == _value_set(before, "DTHFL") == ["Y", "N"]

    codelists = spec_copy / "adam_spec" / "adam_codelists.csv"
    text = codelists.read_text()
    text = text.replace("SEX,F,,2,C16576,C66731\n", "SEX,F,,2,C16576,C66731\nSEX,U,,3,C17998,C66731\n")
    text = text.replace("NY,N,No,2,C49487,C66742\n", "NY,N,Not,2,C49487,C66742\n")
    codelists.write_text(text.replace("NY,Y,Yes,1,C49488,C66742\n", "NY,YES,Yes,1,C49488,C66742\n"))
    variables = spec_copy / "adam_spec" / "adam_variables.csv"
    variables.write_text(variables.read_text().replace("adsl,SUBSQDT,68,", "adsl,SUBSQDX,68,", 1))

    after, _ = _suite(spec_copy, "adsl")
    assert _value_set(after, "SEX") == ["M", "F", "U"]
    assert _value_set(after, "FASFL") == _value_set(after, "PRIXAFL") == ["YES", "N"]  # one list, every flag
    required = list(after.expectations[0].column_set)
    assert "SUBSQDX" in required and "SUBSQDT" not in required


def test_adrs_response_order_follows_the_codelist(spec_copy):
    """AVALC_N, the order AVAL must equal, is the RSRESP codelist's order."""
    _, rules = _suite(spec_copy, "adrs")
    assert (
        "['SCR', 'CR', 'VGPR'" in adam_helpers("adrs", ["AVALC"], rules[rules.DATASET == "adrs"])["AVALC_N"]
    )
    codelists = spec_copy / "adam_spec" / "adam_codelists.csv"
    text = (
        codelists.read_text()
        .replace("RSRESP,SCR,,1,,\n", "RSRESP,SCR,,2,,\n")
        .replace("RSRESP,CR,,2,,\n", "RSRESP,CR,,1,,\n")
    )
    codelists.write_text(text)
    _, rules = _suite(spec_copy, "adrs")
    assert (
        "['CR', 'SCR', 'VGPR'" in adam_helpers("adrs", ["AVALC"], rules[rules.DATASET == "adrs"])["AVALC_N"]
    )


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            ("adam_rules.csv", "adsl,in_set,SEX,,,", "adsl,in_set,SEX,,M|F,"),
            "adsl.SEX: VALUE_SET given in the rule",
        ),
        (
            ("adam_spec/adam_variables.csv", ",Sex,Char,text,1,,,SEX,", ",Sex,Char,text,1,,,,"),
            "adsl.SEX: no CODELIST",
        ),
    ],
)
def test_a_value_list_outside_the_codelist_is_refused(spec_copy, edit, message):
    name, old, new = edit
    path = spec_copy / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(ValueError, match=re.escape(message)):
        _suite(spec_copy, "adsl")
