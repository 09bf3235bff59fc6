"""The delivery contract (spec/site_extracts.md sections 2-4) as data.

Everything here comes from the seeds, never from code:

- ``extract_columns.csv``   FORM, COLUMN_NAME, POSITION, TYPE, CODELIST, PARTIAL_ALLOWED,
  DATE_ROLE, REQUIRED, MIN_VALUE, MAX_VALUE. FORM ``*`` = the columns every form shares.
  DATE_ROLE: ``CONSENT`` (dm.ICDAT), ``ON_STUDY`` (must not be before consent),
  ``HISTORY`` (must not be after consent), ``ENTRY`` (MODDTC, entry timestamp).
- ``extract_types.csv``     TYPE, REGEX (must match the whole value), EXPECTED (wording).
- ``extract_codelists.csv`` CODELIST, CODE.
- ``extract_lab_tests.csv`` LBTESTCD, UNIT, RESULT_REGEX, RESULT_EXPECTED.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

FORMS = ("dm", "vs", "mh", "ecog", "pt", "fish", "ex", "lb", "rs", "ae", "ds", "dd", "fu", "cm")
SEED_FILES = {
    "columns": "extract_columns.csv",
    "types": "extract_types.csv",
    "codelists": "extract_codelists.csv",
    "lab_tests": "extract_lab_tests.csv",
}


def _text(value) -> str | None:
    """A seed cell as text (None for empty / NaN)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _number(value) -> float | None:
    text = _text(value)
    return None if text is None else float(text)


@dataclass(frozen=True)
class Column:
    form: str            # form name, or "*" for the common columns
    name: str
    position: int
    type: str
    codelist: str | None
    partial_allowed: bool
    date_role: str | None
    required: bool
    min_value: float | None
    max_value: float | None

    @property
    def is_date(self) -> bool:
        return self.type == "date"

    @property
    def type_key(self) -> str:
        """Key into extract_types (a date that may be partial uses ``partial_date``)."""
        return "partial_date" if self.is_date and self.partial_allowed else self.type


@dataclass
class Contract:
    columns: list[Column]
    type_regex: dict[str, str | None]
    type_expected: dict[str, str]
    codelists: dict[str, list[str]]
    lab_tests: pd.DataFrame = field(repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frames(cls, columns: pd.DataFrame, types: pd.DataFrame, codelists: pd.DataFrame,
                    lab_tests: pd.DataFrame) -> "Contract":
        cols = [
            Column(form=_text(r.FORM), name=_text(r.COLUMN_NAME), position=int(r.POSITION),
                   type=_text(r.TYPE), codelist=_text(r.CODELIST),
                   partial_allowed=_text(r.PARTIAL_ALLOWED) == "Y",
                   date_role=_text(r.DATE_ROLE), required=_text(r.REQUIRED) == "Y",
                   min_value=_number(r.MIN_VALUE), max_value=_number(r.MAX_VALUE))
            for r in columns.itertuples(index=False)
        ]
        cols.sort(key=lambda c: (c.form != "*", c.form, c.position))
        lists: dict[str, list[str]] = {}
        for r in codelists.itertuples(index=False):
            lists.setdefault(_text(r.CODELIST), []).append(str(r.CODE))
        unknown = {c.codelist for c in cols if c.codelist} - set(lists)
        if unknown:
            raise ValueError(f"extract_columns names unknown code lists: {sorted(unknown)}")
        regex = {_text(r.TYPE): _text(r.REGEX) for r in types.itertuples(index=False)}
        expected = {_text(r.TYPE): _text(r.EXPECTED) or _text(r.TYPE)
                    for r in types.itertuples(index=False)}
        unknown = {c.type_key for c in cols} - set(regex)
        if unknown:
            raise ValueError(f"extract_columns names unknown types: {sorted(unknown)}")
        labs = lab_tests.copy()
        labs.columns = [c.upper() for c in labs.columns]
        return cls(cols, regex, expected, lists, labs)

    @classmethod
    def from_seed_dir(cls, seeds: Path) -> "Contract":
        read = {k: pd.read_csv(Path(seeds) / f, dtype=str, keep_default_na=False)
                for k, f in SEED_FILES.items()}
        return cls.from_frames(**read)

    # ------------------------------------------------------------------ queries
    @property
    def common(self) -> list[Column]:
        return [c for c in self.columns if c.form == "*"]

    def form_columns(self, form: str) -> list[Column]:
        """The form's own columns (without the common ones), in position order."""
        return [c for c in self.columns if c.form == form]

    def expected_header(self, form: str) -> list[str]:
        return [c.name for c in self.common] + [c.name for c in self.form_columns(form)]

    @property
    def forms(self) -> list[str]:
        return sorted({c.form for c in self.columns if c.form != "*"}, key=FORMS.index)

    def frame_column(self, column: Column) -> str:
        """Name of ``column`` in the row frame: common columns as-is, the rest ``form__COL``."""
        return column.name if column.form == "*" else f"{column.form}__{column.name}"

    def all_frame_columns(self) -> list[tuple[Column, str]]:
        return [(c, self.frame_column(c)) for c in self.columns]
