"""Model docs of the ADaM datasets from the specification: ``python -m expectations.adam_docs``
(``make adam-docs``).

Rewrites, from seeds/adam_spec/ (expectations.adam_spec):

- the ``columns`` of each ADaM model in models/adam/_adam__models.yml: one entry per variable
  in VARNUM order with its name, description (LABEL, then DESCRIPTION and METHOD) and
  data_type (the DuckDB type of TYPE / DATA_TYPE); the model's ``config.meta.label`` is the
  dataset's LABEL. Hand-written parts stay: the model descriptions, model-level data_tests,
  the data_tests of each column, the header comment and the unit tests (kept as text). A
  data_test on a column the spec does not list is refused (one line naming model and column);
- the ADaM variables table of docs/DESIGN.md between ``<!-- adam-spec:begin -->`` and
  ``<!-- adam-spec:end -->``.

No dbt contract (docs/VALIDATION.md "ADaM conformance": GX checks the columns and types, and a
failure is reported rather than stopping the build). Deterministic and idempotent: the output
is a function of the spec and the hand-written parts only; a second run changes nothing.
``--check`` exits 1 (and names the files) when a file is not what the spec makes it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

import yaml

from expectations import adam_spec
from expectations.adam_spec import cell

MODELS_YML = Path("models") / "adam" / "_adam__models.yml"
DESIGN_MD = Path("docs") / "DESIGN.md"
BEGIN, END = "<!-- adam-spec:begin -->", "<!-- adam-spec:end -->"
WIDTH = 100


class SpecDocsError(ValueError):
    """The files cannot follow the spec (message: one line, file and what)."""


# ------------------------------------------------------------------------------ yml
def _folded(key: str, text: str, indent: int) -> list[str]:
    pad = " " * indent
    body = textwrap.wrap(
        " ".join(str(text).split()), width=WIDTH - indent - 2, break_on_hyphens=False, break_long_words=False
    ) or [""]
    return [f"{pad}{key}: >-"] + [f"{pad}  {line}" for line in body]


def _scalar(value) -> str:
    """A YAML scalar as the repo writes it: plain when it reads back the same, else quoted."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if re.fullmatch(r"[A-Za-z0-9_.()'/-]+", text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)


def _dump(key: str, value, indent: int) -> list[str]:
    """``key: value`` in block YAML; a list of scalars in flow style (``[a, b]``)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [f"{pad}{key}: {{}}"]
        lines = [f"{pad}{key}:"]
        for k, v in value.items():
            lines += _dump(k, v, indent + 2)
        return lines
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [f"{pad}{key}: [{', '.join(_scalar(v) for v in value)}]"]
        lines = [f"{pad}{key}:"]
        for item in value:
            lines += _item(item, indent + 2)
        return lines
    return [f"{pad}{key}: {_scalar(value)}"]


def _item(item, indent: int) -> list[str]:
    """One list item (``- name`` or ``- key: ...`` continued under it)."""
    pad = " " * indent
    if not isinstance(item, dict):
        return [f"{pad}- {_scalar(item)}"]
    lines = []
    for n, (k, v) in enumerate(item.items()):
        block = _dump(k, v, indent + 2)
        if n == 0:
            block[0] = pad + "- " + block[0].lstrip()
        lines += block
    return lines


def _meta_text(meta: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in meta.items()) + "}"


def model_block(model: dict, spec: adam_spec.Spec) -> list[str]:
    """The yml lines of one ADaM model, columns from the spec."""
    name = model["name"]
    labels = dict(zip(spec.datasets["DATASET"], spec.datasets["LABEL"]))
    variables = adam_spec.variables_of(spec.variables, name)
    listed = set(variables["VARIABLE"].astype(str))
    tests = {}
    for column in model.get("columns") or []:
        if column.get("data_tests"):
            if column["name"] not in listed:
                raise SpecDocsError(
                    f"{MODELS_YML}: model {name}, column {column['name']}: has data_tests but is not a "
                    "variable of seeds/adam_spec/adam_variables.csv"
                )
            tests[column["name"]] = column["data_tests"]
    lines = [f"  - name: {name}"]
    if model.get("description"):
        lines += _folded("description", model["description"], 4)
    config = dict(model.get("config") or {})
    meta = dict(config.get("meta") or {})
    if cell(labels.get(name)):
        meta["label"] = cell(labels[name])
    config["meta"] = meta
    lines.append("    config:")
    for key, value in config.items():
        if key == "meta":
            lines.append(f"      meta: {_meta_text(value)}")
        else:
            lines += _dump(key, value, 6)
    if model.get("data_tests"):
        lines += _dump("data_tests", model["data_tests"], 4)
    lines.append("    columns:")
    for r in variables.to_dict("records"):
        variable = str(r["VARIABLE"])
        lines.append(f"      - name: {variable}")
        lines += _folded("description", adam_spec.description(r), 8)
        data_type = adam_spec.duckdb_type(r["TYPE"], r["DATA_TYPE"])
        if data_type:
            lines.append(f"        data_type: {data_type}")
        if variable in tests:
            lines += _dump("data_tests", tests[variable], 8)
    return lines


def render_models_yml(text: str, spec: adam_spec.Spec) -> str:
    """models/adam/_adam__models.yml with every model's columns from the spec; the text
    before ``models:`` and from ``unit_tests:`` on is kept as it is."""
    head, sep, rest = text.partition("\nmodels:\n")
    if not sep:
        raise SpecDocsError(f"{MODELS_YML}: no top-level 'models:' section")
    _, sep_u, tail = rest.partition("\nunit_tests:\n")
    parsed = yaml.safe_load(text) or {}
    known = set(adam_spec.dataset_names(spec.datasets))
    blocks = []
    for model in parsed.get("models") or []:
        if model["name"] not in known:
            raise SpecDocsError(
                f"{MODELS_YML}: model {model['name']} is not a dataset of seeds/adam_spec/adam_datasets.csv"
            )
        blocks.append("\n".join(model_block(model, spec)))
    out = head + "\nmodels:\n" + "\n\n".join(blocks) + "\n"
    if sep_u:
        out += "\nunit_tests:\n" + tail
    return out


# ------------------------------------------------------------------------------ DESIGN.md
def _md(text) -> str:
    return (cell(text) or "").replace("|", "\\|")


def variables_table(spec: adam_spec.Spec) -> str:
    """The ADaM variables as a Markdown table (datasets in adam_datasets order)."""
    lines = [
        "| Dataset | # | Variable | Label | Type | Length | Codelist | Key | Core |",
        "|---|---:|---|---|---|---:|---|---:|---|",
    ]
    for dataset in adam_spec.dataset_names(spec.datasets):
        for r in adam_spec.variables_of(spec.variables, dataset).to_dict("records"):
            lines.append(
                f"| {dataset} | {_md(r['VARNUM'])} | `{_md(r['VARIABLE'])}` | {_md(r['LABEL'])} | "
                f"{_md(r['TYPE'])} {_md(r['DATA_TYPE'])} | {_md(r['LENGTH'])} | {_md(r['CODELIST'])} | "
                f"{_md(r['KEY_SEQUENCE'])} | {_md(r['CORE'])} |"
            )
    return "\n".join(lines)


def render_design_md(text: str, spec: adam_spec.Spec) -> str:
    """docs/DESIGN.md with the table between the markers rewritten."""
    head, sep, rest = text.partition(BEGIN)
    _, sep_end, tail = rest.partition(END)
    if not sep or not sep_end:
        raise SpecDocsError(f"{DESIGN_MD}: markers {BEGIN} ... {END} not found")
    note = (
        "<!-- generated from seeds/adam_spec/ by `make adam-docs` (expectations/adam_docs.py); "
        "do not edit by hand -->"
    )
    return head + BEGIN + "\n" + note + "\n\n" + variables_table(spec) + "\n\n" + END + tail


# ------------------------------------------------------------------------------ run
def generate(root: Path, spec_dir: Path | None = None, write: bool = True) -> list[Path]:
    """Rewrite the model yml and DESIGN.md under the project folder ``root`` from the spec in
    ``spec_dir`` (default ``root``/seeds/adam_spec). Returns the files whose text changed
    (written only when ``write``)."""
    spec = adam_spec.read_spec(spec_dir or root / "seeds" / "adam_spec")
    changed = []
    for relative, render in ((MODELS_YML, render_models_yml), (DESIGN_MD, render_design_md)):
        path = root / relative
        old = path.read_text(encoding="utf-8")
        new = render(old, spec)
        if new != old:
            changed.append(path)
            if write:
                path.write_text(new, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", type=Path, default=adam_spec.REPO, help="project folder (default: this repo)"
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file drifts")
    args = parser.parse_args(argv)
    try:
        changed = generate(args.root, write=not args.check)
    except (SpecDocsError, OSError, KeyError) as err:
        print(f"adam-docs: {err}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"{'drifts from the spec' if args.check else 'rewritten'}: {path}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
