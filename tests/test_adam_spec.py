"""The ADaM specification (seeds/adam_spec/) and what follows it, build-free.

Drift: the spec's variables are the columns the models select and the dbt tests of
data-tests/adam/ compare with; every codelist referenced exists; every in_set rule of seed
adam_rules takes its terms from one codelist; labels, names, lengths, keys, parameters and
METHOD anchors are well formed. Following: the GX suites built from an edited copy of the spec
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
    assert sizes == {"adsl": 64, "adrs": 18, "adtte": 14, "adae": 43, "adex": 6}


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
    assert variables.VARIABLE.str.fullmatch(r"[A-Z][A-Z0-9_]*").all()
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
    assert len(in_set) == 69 and in_set.VALUE_SET.isna().all()  # terms are written once, in the codelist
    coded = set(zip(variables.DATASET, variables.VARIABLE, variables.CODELIST))
    backed = {(d, v) for d, v, c in coded if c}
    assert set(zip(in_set.DATASET, in_set.VARIABLE)) <= backed
    filled = adam_value_sets(rules, variables, codelists)
    got = {(r.DATASET, r.VARIABLE): r.VALUE_SET for r in filled[filled.CHECK_KIND == "in_set"].itertuples()}
    assert len(got) == len(in_set) and all(got.values())
    assert got["adsl", "SEX"] == "M|F"
    assert got["adtte", "CNSR"] == "0|1|2|3"
    assert got["adrs", "AVALC"] == "SCR|CR|VGPR|PR|MR|SD|PD|NE"
    assert got["adae", "AEREL_IXA"] == got["adae", "AREL"] == "RELATED|NOT RELATED"


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
    text = text.replace("SEX,F,,2\n", "SEX,F,,2\nSEX,U,,3\n").replace("NY,N,No,2\n", "NY,N,Not,2\n")
    codelists.write_text(text.replace("NY,Y,Yes,1\n", "NY,YES,Yes,1\n"))
    variables = spec_copy / "adam_spec" / "adam_variables.csv"
    variables.write_text(variables.read_text().replace("adsl,LSTALVDT_SRC,60,", "adsl,LSTALVSR,60,", 1))

    after, _ = _suite(spec_copy, "adsl")
    assert _value_set(after, "SEX") == ["M", "F", "U"]
    assert _value_set(after, "FASFL") == _value_set(after, "PRIXAFL") == ["YES", "N"]  # one list, every flag
    required = list(after.expectations[0].column_set)
    assert "LSTALVSR" in required and "LSTALVDT_SRC" not in required


def test_adrs_response_order_follows_the_codelist(spec_copy):
    """AVALC_N, the order AVAL must equal, is the RSRESP codelist's order."""
    _, rules = _suite(spec_copy, "adrs")
    assert (
        "['SCR', 'CR', 'VGPR'" in adam_helpers("adrs", ["AVALC"], rules[rules.DATASET == "adrs"])["AVALC_N"]
    )
    codelists = spec_copy / "adam_spec" / "adam_codelists.csv"
    text = (
        codelists.read_text()
        .replace("RSRESP,SCR,,1\n", "RSRESP,SCR,,2\n")
        .replace("RSRESP,CR,,2\n", "RSRESP,CR,,1\n")
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
