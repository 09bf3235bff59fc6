"""Study-drug exposure (Table 2) from ``adam.adex``.

Pure functions over polars frames. ``adam.adex`` holds one row per subject and
parameter (docs/DESIGN.md): ``CYCLES`` (number of treatment cycles, ``EXTRT`` null)
and, per drug, ``TOTDOSE``, ``PLANDOSE`` and ``RDI`` (relative dose intensity, %,
unrounded). The summary statistics are those the paper prints: mean, sample SD
(n - 1 in the denominator), median, minimum and maximum over the safety set.
Values are returned unrounded; rounding half away from zero to the printed
decimals is the presentation layer's job (:mod:`analysis.rounding`).

References
----------
.. [1] docs/derivations.md#treatment-cycle and
   docs/derivations.md#total-dose-planned-dose-and-relative-dose-intensity-rdi
   (RDI denominator over every treatment cycle).
.. [2] Int J Clin Oncol. 2022;27:224-233, Table 2.
"""

from __future__ import annotations

import math

import polars as pl

#: Drugs of Table 2, in the order the paper lists them.
DRUGS = ("IXAZOMIB", "LENALIDOMIDE", "DEXAMETHASONE")

#: Statistics of every Table 2 row.
STATS = ("mean", "sd", "median", "min", "max")

SUMMARY_SCHEMA = {
    "table": pl.String,
    "item": pl.String,
    "stat": pl.String,
    "value": pl.Float64,
    "denominator": pl.Int64,
}


def describe(values: pl.Series) -> dict[str, float | None]:
    """Mean, sample SD, median, min and max of a numeric series (nulls dropped).

    Parameters
    ----------
    values : polars.Series
        Numbers.

    Returns
    -------
    dict
        ``mean, sd, median, min, max`` as floats; ``sd`` uses n - 1 (None for
        fewer than two values); all None for an empty series. Independent of the
        order of the values, to the last bit.

    Examples
    --------
    By hand: mean 16 / 4 = 4; squared deviations 9 + 4 + 1 + 36 = 50, SD = sqrt(50 / 3).

    >>> {k: round(v, 4) for k, v in describe(pl.Series([1.0, 2.0, 3.0, 10.0])).items()}
    {'mean': 4.0, 'sd': 4.0825, 'median': 2.5, 'min': 1.0, 'max': 10.0}
    """
    v = values.drop_nulls().cast(pl.Float64)
    n = v.len()
    if n == 0:
        return dict.fromkeys(STATS)
    # Mean and SD from exactly rounded sums (math.fsum): the same bits in whatever order the
    # rows arrive. A running float sum (polars mean/std) depends on the order, and the order
    # of a table read from DuckDB is not fixed (it changed between builds of the same data).
    x = v.to_list()
    mean = math.fsum(x) / n
    sd = math.sqrt(math.fsum((xi - mean) ** 2 for xi in x) / (n - 1)) if n > 1 else None
    return {"mean": mean, "sd": sd, "median": v.median(), "min": v.min(), "max": v.max()}


def exposure_rows(adex: pl.DataFrame, adsl: pl.DataFrame | None = None) -> pl.DataFrame:
    """Table 2: treatment cycles and relative dose intensity per drug.

    Parameters
    ----------
    adex : polars.DataFrame
        ``adam.adex``-shaped: ``USUBJID, PARAMCD, EXTRT, AVAL``.
    adsl : polars.DataFrame, optional
        ``USUBJID, SAFFL``; when given, only safety-set subjects (``SAFFL = Y``)
        are summarised (Table 2 is on the safety set).

    Returns
    -------
    polars.DataFrame
        ``table, item, stat, value, denominator`` with the keys of
        ``published_results.csv``: table ``T2``, items ``CYCLES`` and
        ``RDI_<DRUG>``, stats ``mean, sd, median, min, max``; value unrounded
        (null when not computable), denominator = number of subjects summarised.

    Notes
    -----
    A treatment cycle is a cycle in which any amount of any study drug was taken;
    RDI = 100 x total dose taken / (protocol starting dose per cycle x treatment
    cycles of the subject), so a drug stopped early keeps counting in the
    denominator (docs/derivations.md#total-dose-planned-dose-and-relative-dose-intensity-rdi). Both are ADEX parameters; this function only
    summarises them.

    References
    ----------
    .. [1] Int J Clin Oncol. 2022;27:224-233, Table 2.

    Examples
    --------
    >>> adex = pl.DataFrame({"USUBJID": ["A", "B"], "PARAMCD": ["CYCLES", "CYCLES"],
    ...                      "EXTRT": [None, None], "AVAL": [3.0, 5.0]})
    >>> exposure_rows(adex).filter(pl.col("item") == "CYCLES").select("stat", "value").rows()[:2]
    [('mean', 4.0), ('sd', 1.4142135623730951)]
    """
    if adsl is not None:
        safety = adsl.filter(pl.col("SAFFL") == "Y").select("USUBJID")
        adex = adex.join(safety, on="USUBJID", how="semi")
    items = [("CYCLES", adex.filter(pl.col("PARAMCD") == "CYCLES"))]
    items += [
        (f"RDI_{drug}", adex.filter((pl.col("PARAMCD") == "RDI") & (pl.col("EXTRT") == drug)))
        for drug in DRUGS
    ]
    rows = []
    for item, frame in items:
        values = frame.get_column("AVAL")
        stats = describe(values)
        rows += [
            {
                "table": "T2",
                "item": item,
                "stat": stat,
                "value": stats[stat],
                "denominator": values.drop_nulls().len(),
            }
            for stat in STATS
        ]
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA)
