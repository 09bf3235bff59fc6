"""Model docs from the ADaM specification (expectations/adam_docs.py, `make adam-docs`).

Drift: the generator run on the repo changes nothing (models/adam/_adam__models.yml and the
ADaM variables table of docs/DESIGN.md are what the spec makes them). Following: a copy of
the spec with one label edited makes the yml description, the DESIGN.md row and the GX spec
suite (label_length) follow; a second run changes nothing (idempotent).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from conftest import REPO

from expectations import adam_docs, adam_spec
from expectations.conformance import run_adam_conformance


def test_the_repo_is_what_the_spec_makes_it():
    assert adam_docs.generate(REPO, write=False) == []
    assert adam_docs.main(["--check"]) == 0


def test_yml_columns_are_the_spec_variables_with_their_types():
    spec = adam_spec.read_spec()
    models = yaml.safe_load((REPO / adam_docs.MODELS_YML).read_text())["models"]
    assert [m["name"] for m in models] == adam_spec.dataset_names(spec.datasets)
    for model in models:
        rows = adam_spec.variables_of(spec.variables, model["name"])
        assert [c["name"] for c in model["columns"]] == rows.VARIABLE.tolist()
        types = {c["name"]: c["data_type"] for c in model["columns"]}
        for r in rows.itertuples():
            expected = {"text": "varchar", "integer": "integer", "float": "double", "date": "date"}
            assert types[r.VARIABLE] == expected[r.DATA_TYPE], (model["name"], r.VARIABLE)
        assert model["config"]["meta"]["label"] == spec.datasets.set_index("DATASET").LABEL[model["name"]]
        assert "contract" not in model["config"]  # GX checks columns and types (docs/VALIDATION.md)


@pytest.fixture
def project(tmp_path):
    """A copy of what the generator reads and writes."""
    for relative in ("seeds/adam_spec", "seeds/adam_rules.csv", adam_docs.MODELS_YML, adam_docs.DESIGN_MD):
        source, target = REPO / relative, tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    return tmp_path


def test_an_edited_label_reaches_yml_design_and_the_gx_spec_suite(project, tmp_path):
    path = project / "seeds" / "adam_spec" / "adam_variables.csv"
    variables = pd.read_csv(path, dtype=str, keep_default_na=False)
    dataset, variable, old = variables.loc[1, ["DATASET", "VARIABLE", "LABEL"]]
    new = "Edited Label That Is Far Too Long For XPT Files"  # 47 characters: over 40
    variables.loc[1, "LABEL"] = new
    variables.to_csv(path, index=False)

    changed = adam_docs.generate(project)
    assert sorted(p.name for p in changed) == ["DESIGN.md", "_adam__models.yml"]
    models = yaml.safe_load((project / adam_docs.MODELS_YML).read_text())["models"]
    (model,) = [m for m in models if m["name"] == dataset]
    (column,) = [c for c in model["columns"] if c["name"] == variable]
    assert column["description"].startswith(new + ".") and old not in column["description"]
    design = (project / adam_docs.DESIGN_MD).read_text()
    assert f"| {dataset} | 2 | `{variable}` | {new} |" in design
    assert f"| {dataset} | 2 | `{variable}` | {old} |" not in design
    assert adam_docs.generate(project) == []  # idempotent

    spec = adam_spec.read_spec(project / "seeds" / "adam_spec")
    rules = pd.read_csv(project / "seeds" / "adam_rules.csv", dtype=str, keep_default_na=False)
    frames = {d: pd.DataFrame({"X": [1]}) for d in adam_spec.dataset_names(spec.datasets)}
    report = run_adam_conformance(frames, spec.datasets, spec.variables, rules, "t", gx_root=tmp_path / "gx")
    label = report[(report.CHECK_ID == "label_length") & ~report.PASSED]
    assert label[["DATASET", "VARIABLE"]].values.tolist() == [[dataset, variable]]
    assert (
        label.MESSAGE.iloc[0]
        == f"dataset adam.{dataset}, variable {variable}: label {new!r} is not 1..40 characters"
    )


def test_a_test_on_a_column_outside_the_spec_is_refused(project, capsys):
    path = project / adam_docs.MODELS_YML
    text = path.read_text()
    path.write_text(
        text.replace(
            "    columns:\n", "    columns:\n      - name: NOTINSPEC\n        data_tests: [not_null]\n", 1
        )
    )
    assert adam_docs.main(["--root", str(project)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        "column NOTINSPEC: has data_tests but is not a variable of seeds/adam_spec/adam_variables.csv"
    )
    assert "\n" not in err
