"""The delivery contract (docs/extract-contract.md sections 2-4) as data.

Everything here comes from the seeds, never from code:

- ``extract_columns.csv``   FORM, COLUMN_NAME, POSITION, TYPE, CODELIST, PARTIAL_ALLOWED,
  DATE_ROLE, REQUIRED, MIN_VALUE, MAX_VALUE. FORM ``*`` = the columns every form shares.
  DATE_ROLE: ``CONSENT`` (dm.ICDAT), ``ON_STUDY`` (must not be before consent),
  ``HISTORY`` (must not be after consent), ``ENTRY`` (MODDTC, entry timestamp).
- ``extract_types.csv``     TYPE, REGEX (must match the whole value), EXPECTED (wording).
  ``<SITE_ID>`` in a REGEX and ``<SITE_IDS>`` in an EXPECTED stand for the study's site-id
  range, dbt var ``site_ids`` (``"FIRST-LAST"``, default ``"101-116"``, the spec's sites):
  :func:`site_id_regex` turns it into a regex of exactly those numbers.
- ``extract_codelists.csv`` CODELIST, CODE.
- ``extract_lab_tests.csv`` LBTESTCD, UNIT, RESULT_REGEX, RESULT_EXPECTED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DEFAULT_SITE_IDS = "101-116"
SITE_ID_TOKEN = "<SITE_ID>"  # in extract_types.REGEX: one site id of the range
SITE_IDS_TOKEN = "<SITE_IDS>"  # in extract_types.EXPECTED: the range as text

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


def parse_site_ids(site_ids: str) -> tuple[int, int]:
    """``"101-116"`` -> (101, 116); raises ValueError for anything else."""
    first, sep, last = str(site_ids).strip().partition("-")
    if (
        not (sep and first.strip().isdigit() and last.strip().isdigit())
        or int(first) > int(last)
        or int(first) < 1
    ):
        raise ValueError(f"site_ids must be 'FIRST-LAST' (e.g. '101-116'), got {site_ids!r}")
    return int(first), int(last)


def _digits_range(lo: str, hi: str) -> str:
    """Regex for the numbers lo..hi written with the same number of digits."""
    if lo == hi:
        return lo
    if len(lo) == 1:
        return f"[{lo}-{hi}]"
    if lo[0] == hi[0]:
        return lo[0] + _group(_digits_range(lo[1:], hi[1:]))
    n = len(lo) - 1
    if lo[1:] == "0" * n and hi[1:] == "9" * n:
        return f"[{lo[0]}-{hi[0]}][0-9]{{{n}}}"
    parts = [lo[0] + _group(_digits_range(lo[1:], "9" * n))]
    if int(hi[0]) - int(lo[0]) > 1:
        parts.append(f"[{int(lo[0]) + 1}-{int(hi[0]) - 1}][0-9]{{{n}}}")
    parts.append(hi[0] + _group(_digits_range("0" * n, hi[1:])))
    return "|".join(parts)


def _group(regex: str) -> str:
    return f"(?:{regex})" if "|" in regex else regex


def site_id_regex(site_ids: str) -> str:
    """A regex matching exactly the site ids FIRST..LAST (no leading zeros)."""
    first, last = parse_site_ids(site_ids)
    parts = []
    for width in range(len(str(first)), len(str(last)) + 1):
        lo = max(first, 10 ** (width - 1))
        hi = min(last, 10**width - 1)
        parts.append(_digits_range(str(lo), str(hi)))
    return "(?:" + "|".join(parts) + ")"


def _number(value) -> float | None:
    text = _text(value)
    return None if text is None else float(text)


@dataclass(frozen=True)
class Column:
    form: str  # form name, or "*" for the common columns
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
    def from_frames(
        cls,
        columns: pd.DataFrame,
        types: pd.DataFrame,
        codelists: pd.DataFrame,
        lab_tests: pd.DataFrame,
        site_ids: str = DEFAULT_SITE_IDS,
    ) -> Contract:
        cols = [
            Column(
                form=_text(r.FORM),
                name=_text(r.COLUMN_NAME),
                position=int(r.POSITION),
                type=_text(r.TYPE),
                codelist=_text(r.CODELIST),
                partial_allowed=_text(r.PARTIAL_ALLOWED) == "Y",
                date_role=_text(r.DATE_ROLE),
                required=_text(r.REQUIRED) == "Y",
                min_value=_number(r.MIN_VALUE),
                max_value=_number(r.MAX_VALUE),
            )
            for r in columns.itertuples(index=False)
        ]
        cols.sort(key=lambda c: (c.form != "*", c.form, c.position))
        lists: dict[str, list[str]] = {}
        for r in codelists.itertuples(index=False):
            lists.setdefault(_text(r.CODELIST), []).append(str(r.CODE))
        unknown = {c.codelist for c in cols if c.codelist} - set(lists)
        if unknown:
            raise ValueError(f"extract_columns names unknown code lists: {sorted(unknown)}")
        site_regex = site_id_regex(site_ids)
        first, last = parse_site_ids(site_ids)
        regex = {
            _text(r.TYPE): (_text(r.REGEX) or "").replace(SITE_ID_TOKEN, site_regex) or None
            for r in types.itertuples(index=False)
        }
        expected = {
            _text(r.TYPE): (_text(r.EXPECTED) or _text(r.TYPE)).replace(SITE_IDS_TOKEN, f"{first}..{last}")
            for r in types.itertuples(index=False)
        }
        unknown = {c.type_key for c in cols} - set(regex)
        if unknown:
            raise ValueError(f"extract_columns names unknown types: {sorted(unknown)}")
        labs = lab_tests.copy()
        labs.columns = [c.upper() for c in labs.columns]
        return cls(cols, regex, expected, lists, labs)

    @classmethod
    def from_seed_dir(cls, seeds: Path, site_ids: str = DEFAULT_SITE_IDS) -> Contract:
        read = {
            k: pd.read_csv(Path(seeds) / f, dtype=str, keep_default_na=False) for k, f in SEED_FILES.items()
        }
        return cls.from_frames(**read, site_ids=site_ids)

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
