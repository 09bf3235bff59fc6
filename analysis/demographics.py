"""Baseline characteristics: every row of Table 1 from an ``adam.adsl``-shaped frame.

:func:`table1_rows` computes the published Table 1 from ADSL columns (names as in
``docs/DESIGN.md``); the columns themselves are derived in SQL
(``models/intermediate/adsl/int_adsl__assembled.sql``, ``docs/derivations.md#adsl-derivations``). Values are returned unrounded; rounding half
away from zero to the printed decimals is the presentation layer's job
(:func:`analysis.rounding.round_half_away`).

References
----------
.. [1] Suzuki K, et al. Ixazomib-lenalidomide-dexamethasone in Japanese patients
   with relapsed/refractory multiple myeloma (NCT02917941), final analysis.
   Int J Clin Oncol. 2022;27:224-233, Table 1.
"""

from __future__ import annotations

from typing import Any

import polars as pl

# Table 1 layout: (item, kind, ADSL column, level). Kinds: "cont" gives median/min/max,
# "cat" n/pct of ``column == level`` over the FAS, "median_if" the median of ``column``
# among subjects with ``level`` (a (column, value) pair) -- the text's ASCT figure.
TABLE1_LAYOUT: tuple[tuple[str, str, str, Any], ...] = (
    ("AGE", "cont", "AGE", None),
    ("SEX=M", "cat", "SEX", "M"),
    ("SEX=F", "cat", "SEX", "F"),
    ("BSA", "cont", "BSABL", None),
    ("MONTHS_SINCE_DIAGNOSIS", "cont", "MMDURM", None),
    ("MMTYPE=IGG", "cat", "MMTYPE", "IGG"),
    ("MMTYPE=IGA", "cat", "MMTYPE", "IGA"),
    ("MMTYPE=BENCE-JONES", "cat", "MMTYPE", "BENCE-JONES"),
    ("MMTYPE=LIGHT CHAIN ONLY", "cat", "MMTYPE", "LIGHT CHAIN ONLY"),
    ("ISS=I", "cat", "ISS", "I"),
    ("ISS=II", "cat", "ISS", "II"),
    ("ISS=III", "cat", "ISS", "III"),
    ("CRCL=30 to <60", "cat", "CRCLCAT", "30 to <60"),
    ("CRCL=60 to <90", "cat", "CRCLCAT", "60 to <90"),
    ("CRCL=>=90", "cat", "CRCLCAT", ">=90"),
    ("ECOG=0", "cat", "ECOGBL", 0),
    ("ECOG=1", "cat", "ECOGBL", 1),
    ("PRIOR_LINES=1", "cat", "PRLINES", 1),
    ("PRIOR_LINES=2", "cat", "PRLINES", 2),
    ("PRIOR_LINES=3", "cat", "PRLINES", 3),
    ("RELAPSED", "cat", "PRRELREF", "RELAPSED"),
    ("REFRACTORY", "cat", "PRRELREF", "REFRACTORY"),
    ("PRIOR_ASCT", "cat", "PRASCTFL", "Y"),
    ("MONTHS_SINCE_LAST_ASCT", "median_if", "ASCTDURM", ("PRASCTFL", "Y")),
    ("PRIOR_IMID_EXPOSED", "cat", "PRIMIDFL", "Y"),
    ("PRIOR_THALIDOMIDE", "cat", "PRTHALFL", "Y"),
    ("PRIOR_LENALIDOMIDE", "cat", "PRLENFL", "Y"),
    ("PRIOR_IMID_NAIVE", "cat", "PRIMIDFL", "N"),
    ("PRIOR_PI_EXPOSED", "cat", "PRPIFL", "Y"),
    ("PRIOR_BORTEZOMIB", "cat", "PRBORTFL", "Y"),
    ("PRIOR_CARFILZOMIB", "cat", "PRCARFFL", "Y"),
    ("PRIOR_PI_NAIVE", "cat", "PRPIFL", "N"),
    ("CYTO_RISK=HIGH", "cat", "CYTORISK", "HIGH"),
    ("CYTO_RISK=STANDARD", "cat", "CYTORISK", "STANDARD"),
    ("CYTO_RISK=NOT AVAILABLE", "cat", "CYTORISK", "NOT AVAILABLE"),
    ("FISH_POSITIVE=DEL13", "cat", "DEL13FL", "Y"),
    ("FISH_POSITIVE=DEL17P", "cat", "DEL17PFL", "Y"),
    ("FISH_POSITIVE=T4_14", "cat", "T414FL", "Y"),
    ("FISH_POSITIVE=T11_14", "cat", "T1114FL", "Y"),
    ("FISH_POSITIVE=T14_16", "cat", "T1416FL", "Y"),
)

TABLE1_SCHEMA = {
    "table": pl.String,
    "item": pl.String,
    "stat": pl.String,
    "value": pl.Float64,
    "denominator": pl.Int64,
}


# --------------------------------------------------------------------------- Table 1
def _row(item: str, stat: str, value: float | None, denominator: int) -> dict[str, Any]:
    return {
        "table": "T1",
        "item": item,
        "stat": stat,
        "value": None if value is None else float(value),
        "denominator": denominator,
    }


def table1_rows(
    adsl: pl.DataFrame, layout: tuple[tuple[str, str, str, Any], ...] = TABLE1_LAYOUT
) -> pl.DataFrame:
    """Every row of Table 1 (baseline characteristics, FAS), unrounded.

    Parameters
    ----------
    adsl : polars.DataFrame
        ``adam.adsl``-shaped frame with at least ``FASFL`` and the columns named in
        :data:`TABLE1_LAYOUT` (``AGE, SEX, BSABL, MMDURM, MMTYPE, ISS, CRCLCAT,
        ECOGBL, PRLINES, PRRELREF, PRASCTFL, ASCTDURM, PRIMIDFL, PRTHALFL, PRLENFL,
        PRPIFL, PRBORTFL, PRCARFFL, CYTORISK, DEL17PFL, T414FL, T1416FL, T1114FL,
        DEL13FL``).
    layout : tuple, default :data:`TABLE1_LAYOUT`
        ``(item, kind, column, level)`` rows to compute (the published table).

    Returns
    -------
    polars.DataFrame
        ``table, item, stat, value, denominator`` with the keys of
        ``published_results.csv`` (table ``T1``): ``median/min/max`` for continuous
        items (denominator = non-missing values), ``n/pct`` for categories
        (``pct = 100 n / N``, N = FAS subjects), and the median months since the
        last ASCT among subjects with a prior ASCT (the text's figure).

    References
    ----------
    .. [1] Int J Clin Oncol. 2022;27:224-233, Table 1 and Results text.

    Examples
    --------
    >>> adsl = pl.DataFrame({"FASFL": ["Y", "Y", "N"], "SEX": ["M", "F", "M"]})
    >>> layout = (("SEX=M", "cat", "SEX", "M"),)
    >>> table1_rows(adsl, layout=layout).select("stat", "value").rows()
    [('n', 1.0), ('pct', 50.0)]
    """
    fas = adsl.filter(pl.col("FASFL") == "Y")
    n_fas = fas.height
    rows = []
    for item, kind, column, level in layout:
        if kind == "cat":
            n = fas.filter(pl.col(column) == level).height
            rows += [
                _row(item, "n", n, n_fas),
                _row(item, "pct", 100.0 * n / n_fas if n_fas else None, n_fas),
            ]
        elif kind == "cont":
            values = fas.get_column(column).drop_nulls().cast(pl.Float64)
            rows += [
                _row(item, stat, getattr(values, stat)(), values.len()) for stat in ("median", "min", "max")
            ]
        elif kind == "median_if":
            by_column, by_value = level
            values = (
                fas.filter(pl.col(by_column) == by_value).get_column(column).drop_nulls().cast(pl.Float64)
            )
            rows.append(_row(item, "median", values.median(), values.len()))
        else:
            raise ValueError(f"unknown layout kind {kind!r}")
    return pl.DataFrame(rows, schema=TABLE1_SCHEMA)
