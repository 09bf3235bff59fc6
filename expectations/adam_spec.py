"""The ADaM specification (seeds/adam_spec/, docs/DESIGN.md "ADaM column contracts"), read once.

The one place that knows the spec's shape: which datasets, their variables in VARNUM order,
their keys, the DuckDB type a TYPE / DATA_TYPE stands for, a variable's description. Used by
the conformance suites (expectations.conformance), the model-docs generator
(expectations.adam_docs) and the tests. Every function takes the spec's frames (as
``read_spec`` reads them from the CSV files, or as dbt's ``dbt.ref(...).df()`` gives the
seeds), never a column name of a dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SPEC_DIR = REPO / "seeds" / "adam_spec"

#: DuckDB type of each (TYPE, DATA_TYPE) of the spec: the first is the one the model docs
#: name, all are what a column of that variable may be (type family, DECIMAL without its
#: precision; docs/VALIDATION.md "ADaM conformance").
INTEGER_TYPES = (
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UINTEGER",
    "UBIGINT",
    "USMALLINT",
    "UTINYINT",
)
DUCKDB_TYPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Char", "text"): ("VARCHAR",),
    ("Num", "integer"): INTEGER_TYPES,
    ("Num", "float"): ("DOUBLE", "FLOAT", "DECIMAL"),
    ("Num", "date"): ("DATE",),
    ("Num", "datetime"): ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE"),
    ("Num", "time"): ("TIME",),
}
MAX_CHAR_LENGTH = 200  # XPT v5: a character variable holds at most 200 bytes


@dataclass(frozen=True)
class Spec:
    datasets: pd.DataFrame  # DATASET, LABEL, CLASS, STRUCTURE, KEYS
    variables: pd.DataFrame  # DATASET, VARIABLE, VARNUM, LABEL, TYPE, DATA_TYPE, LENGTH, ...
    codelists: pd.DataFrame  # CODELIST, TERM, DECODE, TERM_ORDER
    value_level: pd.DataFrame  # DATASET, PARAMCD, VARIABLE, DATA_TYPE, CODELIST, ...


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.replace("", None)


def read_spec(root: Path = SPEC_DIR) -> Spec:
    """The four CSV files of the spec folder ``root``, text as written (empty -> None)."""
    root = Path(root)
    return Spec(
        datasets=_read(root / "adam_datasets.csv"),
        variables=_read(root / "adam_variables.csv"),
        codelists=_read(root / "adam_codelists.csv"),
        value_level=_read(root / "adam_value_level.csv"),
    )


def cell(value) -> str | None:
    """A spec cell as text, None when empty (None, NaN, blank)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def dataset_names(datasets: pd.DataFrame) -> list[str]:
    """The datasets of adam_datasets, in its row order."""
    return [str(d) for d in datasets["DATASET"]]


def variables_of(variables: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The rows of adam_variables of one dataset, in VARNUM order (index reset)."""
    rows = variables[variables["DATASET"] == dataset]
    order = pd.to_numeric(rows["VARNUM"]).sort_values(kind="stable").index
    return rows.loc[order].reset_index(drop=True)


def keys_of(datasets: pd.DataFrame, dataset: str) -> list[str]:
    """The KEYS of a dataset in adam_datasets ("USUBJID, ASEQ" -> ["USUBJID", "ASEQ"])."""
    row = datasets[datasets["DATASET"] == dataset]
    text = cell(row["KEYS"].iloc[0]) if len(row) else None
    return [k.strip() for k in text.split(",") if k.strip()] if text else []


def duckdb_types(type_: str | None, data_type: str | None) -> tuple[str, ...]:
    """DuckDB types a variable of this TYPE / DATA_TYPE may have (empty: unknown pair)."""
    return DUCKDB_TYPES.get((cell(type_) or "", cell(data_type) or ""), ())


def duckdb_type(type_: str | None, data_type: str | None) -> str | None:
    """The DuckDB type the model docs name for a variable (first of ``duckdb_types``)."""
    types = duckdb_types(type_, data_type)
    return types[0].lower() if types else None


def type_family(duckdb_type_name: str) -> str:
    """A DuckDB column type without its parameters: ``DECIMAL(18,3)`` -> ``DECIMAL``."""
    return str(duckdb_type_name).split("(")[0].strip().upper()


def description(row) -> str:
    """A variable's description for the model docs: LABEL, then METHOD (a derivation's
    anchor in docs/derivations.md) and DESCRIPTION when they add something."""
    label = cell(row["LABEL"]) or ""
    parts = [label.rstrip(".") + "."]
    method, text = cell(row.get("METHOD")), cell(row.get("DESCRIPTION"))
    if text and text.rstrip(".").lower() != label.rstrip(".").lower():
        parts.append(text if text.endswith(".") else text + ".")
    if method and method != text:
        parts.append(f"Method: {method}" + ("" if method.endswith(".") else "."))
    return " ".join(parts)
