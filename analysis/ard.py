"""The analysis-results dataset (ARD): every statistic of the final analysis in the field's shape.

``results.ard`` holds one row per statistic - every published figure, every number of Tables
1-7 and every point of Figure 1 - with the analysis set, the grouping, the variable and its
level, the statistic's name and label, the unrounded value and the value as printed, the
method, and stable ids. The TLF renderer (package ``tlf``), the define.xml's Analysis Results
Metadata and ``results.published_comparison`` read it; nothing downstream recomputes a
statistic. Columns and their mapping to pharmaverse ``cards`` and to the CDISC Analysis Results
Standard: docs/DESIGN.md "Analysis-results dataset (ARD)"; the rules: docs/derivations.md#ard.

Rows come from

* ``results.analysis_results`` (the table summaries of :mod:`analysis.results`), one ARD row
  each;
* Table 7 percentages, ``<stat>_pct = 100 n / DENOMINATOR`` of each Table 7 count
  (:func:`t7_percentages`), so that no renderer divides;
* Figure 1: the PFS Kaplan-Meier steps of ``results.km_curves`` and the numbers at risk of
  ``results.km_at_risk`` (:func:`figure1_rows`).

Labels, context and method of each statistic are rules as data: seeds ``ard_statistics``
(``TABLE_ID, VARIABLE, STAT_NAME`` with ``*`` wildcards) and ``ard_methods``.

References
----------
.. [1] Pharmaverse ``cards`` (Analysis Results Data): columns group1, group1_level,
   variable, variable_level, context, stat_name, stat_label, stat, fmt_fun.
   https://insightsengineering.github.io/cards/
.. [2] CDISC, "Analysis Results Standard v1.0", 2024: analysis, method, operation, result
   (rawValue, formattedValue).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analysis.results import RESULT_COLUMNS
from analysis.rounding import format_value
from analysis.safety import T7_STATS

#: Figure 1 draws PFS (the paper's only figure).
FIGURE1_PARAMCD = "PFS"
FIGURE1_TABLE = "F1"

#: Columns of ``results.ard``, in order, with their types.
ARD_SCHEMA: dict[str, pl.DataType] = {
    "RESULT_ID": pl.String,
    "ANALYSIS_ID": pl.String,
    "TABLE_ID": pl.String,
    "ITEM": pl.String,
    "ANALYSIS_SET": pl.String,
    "GROUP1": pl.String,
    "GROUP1_LEVEL": pl.String,
    "VARIABLE": pl.String,
    "VARIABLE_LEVEL": pl.String,
    "CONTEXT": pl.String,
    "STAT_NAME": pl.String,
    "STAT_LABEL": pl.String,
    "STAT": pl.Float64,
    "STAT_FMT": pl.String,
    "FMT_DECIMALS": pl.Int32,
    "DENOMINATOR": pl.Int64,
    "METHOD_ID": pl.String,
    "METHOD": pl.String,
    "DATA_CUTOFF": pl.Date,
}

#: Statistic columns of ``results.km_curves`` -> ARD STAT_NAME for Figure 1.
_KM_STATS = {
    "SURV": "surv",
    "LOWER": "surv_lower",
    "UPPER": "surv_upper",
    "N_RISK": "n_risk",
    "N_EVENT": "n_event",
    "N_CENSOR": "n_censor",
}


def _number(x: float) -> str:
    """A time or month as written in an ITEM key: shortest form (``35``, ``3``, ``12.5``)."""
    return f"{x:g}"


def split_item(item: str) -> dict[str, str | None]:
    """The grouping and the variable of an ITEM key.

    Parameters
    ----------
    item : str
        A row key of the paper: one or two ``|``-separated parts, each ``NAME=LEVEL`` or
        ``NAME`` (``SEX=M``, ``RELATED|PT=Rash``, ``TTR|ORR``, ``PFS|TIME=35``).

    Returns
    -------
    dict
        ``VARIABLE, VARIABLE_LEVEL, GROUP1, GROUP1_LEVEL``: the variable is the last part with
        a level (what is tabulated), else the first part; the other part, if any, is the group
        (docs/DESIGN.md "Analysis-results dataset (ARD)").

    Raises
    ------
    ValueError
        For an empty key or more than two parts.

    Examples
    --------
    >>> split_item("RELATED|PT=Rash")["VARIABLE"], split_item("TTR|ORR")["GROUP1"]
    ('PT', 'ORR')
    """
    parts = item.split("|")
    if not item or len(parts) > 2 or any(not p for p in parts):
        raise ValueError(f"ITEM {item!r}: expected one or two non-empty '|'-separated parts")
    named = [(p.split("=", 1)[0], p.split("=", 1)[1] if "=" in p else None) for p in parts]
    with_level = [i for i, (_, level) in enumerate(named) if level is not None]
    var_index = with_level[-1] if with_level else 0
    var_name, var_level = named[var_index]
    group = [n for i, n in enumerate(named) if i != var_index]
    return {
        "VARIABLE": var_name,
        "VARIABLE_LEVEL": var_level,
        "GROUP1": group[0][0] if group else None,
        "GROUP1_LEVEL": group[0][1] if group else None,
    }


def analysis_id(table_id: str, item: str) -> str:
    """Stable analysis id: the table and the ITEM without its levels (``T1.SEX``, ``EFF.TTR.ORR``).

    Examples
    --------
    >>> analysis_id("T5", "PT=Rash"), analysis_id("SAFETY_TEXT", "RELATED|PT=Rash")
    ('T5.PT', 'SAFETY_TEXT.RELATED.PT')
    """
    return ".".join([table_id, *(part.split("=", 1)[0] for part in item.split("|"))])


def t7_percentages(results: pl.DataFrame) -> pl.DataFrame:
    """Table 7 percentages: ``<stat>_pct = 100 n / DENOMINATOR`` of every Table 7 count.

    Parameters
    ----------
    results : polars.DataFrame
        ``results.analysis_results`` (``TABLE_ID, ITEM, STAT, VALUE, DENOMINATOR,
        POPULATION, DATA_CUTOFF``).

    Returns
    -------
    polars.DataFrame
        Rows in the layout of ``analysis_results`` (``DECIMALS`` null: taken from the seed),
        one per Table 7 count with a positive denominator; a missing count gives a missing
        percentage.
    """
    counts = results.filter(
        (pl.col("TABLE_ID") == "T7")
        & pl.col("STAT").is_in(T7_STATS)
        & (pl.col("DENOMINATOR").fill_null(0) > 0)
    )
    return counts.with_columns(
        (pl.col("STAT") + "_pct").alias("STAT"),
        (100.0 * pl.col("VALUE") / pl.col("DENOMINATOR")).alias("VALUE"),
        pl.lit(None, dtype=pl.String).alias("VALUE_TEXT"),
        pl.lit(None, dtype=pl.Int32).alias("DECIMALS"),
    ).select(results.columns)


def figure1_rows(
    km_curves: pl.DataFrame, km_at_risk: pl.DataFrame, data_cutoff: date, n_fas: int | None
) -> pl.DataFrame:
    """Figure 1's statistics: the PFS Kaplan-Meier steps and the numbers at risk.

    Parameters
    ----------
    km_curves : polars.DataFrame
        ``results.km_curves`` (``PARAMCD, TIME`` in days, ``SURV, LOWER, UPPER, N_RISK,
        N_EVENT, N_CENSOR``).
    km_at_risk : polars.DataFrame
        ``results.km_at_risk`` (``PARAMCD, TIME_MONTHS, N_RISK``).
    data_cutoff : datetime.date
        Data cutoff of the build.
    n_fas : int or None
        Subjects in the FAS (the denominator of the curve).

    Returns
    -------
    polars.DataFrame
        Rows in the layout of ``analysis_results``: ITEM ``PFS|TIME=<days>`` with STAT
        ``surv, surv_lower, surv_upper, n_risk, n_event, n_censor`` per step, and ITEM
        ``PFS|MONTH=<months>`` with STAT ``n_risk`` per tick; population FAS.
    """
    curve = km_curves.filter(pl.col("PARAMCD") == FIGURE1_PARAMCD)
    rows: list[dict] = []
    for r in curve.sort("TIME").iter_rows(named=True):
        for column, stat in _KM_STATS.items():
            rows.append(
                {"ITEM": f"{FIGURE1_PARAMCD}|TIME={_number(r['TIME'])}", "STAT": stat, "VALUE": r[column]}
            )
    at_risk = km_at_risk.filter(pl.col("PARAMCD") == FIGURE1_PARAMCD).sort("TIME_MONTHS")
    for r in at_risk.iter_rows(named=True):
        rows.append(
            {
                "ITEM": f"{FIGURE1_PARAMCD}|MONTH={_number(r['TIME_MONTHS'])}",
                "STAT": "n_risk",
                "VALUE": r["N_RISK"],
            }
        )
    frame = pl.DataFrame(rows, schema={"ITEM": pl.String, "STAT": pl.String, "VALUE": pl.Float64})
    return frame.select(
        pl.lit(FIGURE1_TABLE).alias("TABLE_ID"),
        "ITEM",
        "STAT",
        "VALUE",
        pl.lit(None, dtype=pl.String).alias("VALUE_TEXT"),
        pl.lit(None, dtype=pl.Int32).alias("DECIMALS"),
        pl.lit("FAS").alias("POPULATION"),
        pl.lit(n_fas, dtype=pl.Int64).alias("DENOMINATOR"),
        pl.lit(data_cutoff, dtype=pl.Date).alias("DATA_CUTOFF"),
    )


def statistic_rules(statistics: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Label, context, method and decimals of each ``TABLE_ID, VARIABLE, STAT_NAME``.

    Parameters
    ----------
    statistics : polars.DataFrame
        Seed ``ard_statistics``: ``TABLE_ID, VARIABLE, STAT_NAME, STAT_LABEL, CONTEXT,
        METHOD_ID, FMT_DECIMALS``; ``*`` in TABLE_ID or VARIABLE matches any.
    keys : polars.DataFrame
        Distinct ``TABLE_ID, VARIABLE, STAT_NAME`` to look up.

    Returns
    -------
    polars.DataFrame
        ``keys`` with the seed's columns of the most specific matching rule: exact table and
        variable first, then the table with any variable, then any table.

    Raises
    ------
    ValueError
        Naming every key no rule matches (a statistic the seed does not describe).
    """
    rule_cols = ["STAT_LABEL", "CONTEXT", "METHOD_ID", "FMT_DECIMALS"]
    seed = statistics.select("TABLE_ID", "VARIABLE", "STAT_NAME", *rule_cols)
    out = keys
    for table_any, variable_any, tag in ((False, False, "_1"), (False, True, "_2"), (True, True, "_3")):
        level = seed.filter(
            (pl.col("TABLE_ID") == "*") == table_any, (pl.col("VARIABLE") == "*") == variable_any
        )
        on = ["STAT_NAME"] + ([] if table_any else ["TABLE_ID"]) + ([] if variable_any else ["VARIABLE"])
        out = out.join(level.select(*on, *[pl.col(c).alias(c + tag) for c in rule_cols]), on=on, how="left")
    resolved = out.select(
        "TABLE_ID",
        "VARIABLE",
        "STAT_NAME",
        *[pl.coalesce(f"{c}_1", f"{c}_2", f"{c}_3").alias(c) for c in rule_cols],
    )
    unknown = resolved.filter(pl.col("METHOD_ID").is_null())
    if unknown.height:
        raise ValueError(
            "statistics without a rule in seed ard_statistics (TABLE_ID, VARIABLE, STAT_NAME): "
            f"{unknown.select('TABLE_ID', 'VARIABLE', 'STAT_NAME').sort(pl.all()).rows()}"
        )
    return resolved


def build_ard(
    results: pl.DataFrame,
    km_curves: pl.DataFrame,
    km_at_risk: pl.DataFrame,
    statistics: pl.DataFrame,
    methods: pl.DataFrame,
) -> pl.DataFrame:
    """``results.ard``: one row per statistic, in the field's shape.

    Parameters
    ----------
    results : polars.DataFrame
        ``results.analysis_results``.
    km_curves, km_at_risk : polars.DataFrame
        ``results.km_curves`` and ``results.km_at_risk``.
    statistics : polars.DataFrame
        Seed ``ard_statistics`` (see :func:`statistic_rules`).
    methods : polars.DataFrame
        Seed ``ard_methods``: ``METHOD_ID, METHOD, RULE``.

    Returns
    -------
    polars.DataFrame
        Columns :data:`ARD_SCHEMA`, in the order of ``analysis_results`` followed by the
        Table 7 percentages and Figure 1 (identical inputs give identical rows in identical
        order). ``STAT_FMT`` is the printed text of
        ``analysis_results`` where it has one, else ``STAT`` rounded half away from zero to
        the seed's decimals (``NE`` for null).

    Raises
    ------
    ValueError
        If a statistic has no rule, a rule names an unknown method, or a RESULT_ID repeats.
    """
    cutoffs = results["DATA_CUTOFF"].unique().drop_nulls()
    if cutoffs.len() > 1:
        raise ValueError(f"analysis_results holds several data cutoffs: {cutoffs.to_list()}")
    cutoff = cutoffs[0] if cutoffs.len() else None
    fas = results.filter((pl.col("TABLE_ID") == "POP") & (pl.col("ITEM") == "FAS") & (pl.col("STAT") == "n"))
    n_fas = int(round(fas["VALUE"][0])) if fas.height and fas["VALUE"][0] is not None else None
    base = results.select(RESULT_COLUMNS)
    rows = (
        pl.concat(
            [
                base,
                t7_percentages(base),
                figure1_rows(km_curves, km_at_risk, cutoff, n_fas).select(base.columns),
            ],
            how="vertical_relaxed",
        )
        .rename({"STAT": "STAT_NAME"})
        .with_row_index("_ORDER")
    )
    parts = pl.DataFrame(
        [split_item(i) for i in rows["ITEM"]],
        schema={
            "VARIABLE": pl.String,
            "VARIABLE_LEVEL": pl.String,
            "GROUP1": pl.String,
            "GROUP1_LEVEL": pl.String,
        },
    )
    rows = pl.concat([rows, parts], how="horizontal")
    rules = statistic_rules(statistics, rows.select("TABLE_ID", "VARIABLE", "STAT_NAME").unique())
    unknown_methods = set(rules["METHOD_ID"]) - set(methods["METHOD_ID"])
    if unknown_methods:
        raise ValueError(
            f"seed ard_statistics names methods missing from ard_methods: {sorted(unknown_methods)}"
        )
    rows = rows.join(rules, on=["TABLE_ID", "VARIABLE", "STAT_NAME"], how="left").join(
        methods.select("METHOD_ID", "METHOD"), on="METHOD_ID", how="left"
    )
    decimals = [
        int(d) if d is not None else int(f) if f is not None else 0
        for d, f in zip(rows["DECIMALS"], rows["FMT_DECIMALS"])
    ]
    printed = [
        text if text is not None else format_value(value, d)
        for text, value, d in zip(rows["VALUE_TEXT"], rows["VALUE"], decimals)
    ]
    ard = rows.with_columns(
        (pl.col("TABLE_ID") + "|" + pl.col("ITEM") + "|" + pl.col("STAT_NAME")).alias("RESULT_ID"),
        pl.Series(
            "ANALYSIS_ID",
            [analysis_id(t, i) for t, i in zip(rows["TABLE_ID"], rows["ITEM"])],
            dtype=pl.String,
        ),
        pl.col("POPULATION").alias("ANALYSIS_SET"),
        pl.col("VALUE").alias("STAT"),
        pl.Series("STAT_FMT", printed, dtype=pl.String),
        pl.Series("FMT_DECIMALS", decimals, dtype=pl.Int32),
    )
    ard = ard.sort("_ORDER").select([pl.col(c).cast(t) for c, t in ARD_SCHEMA.items()])
    dupes = ard.filter(pl.col("RESULT_ID").is_duplicated())
    if dupes.height:
        raise ValueError(f"RESULT_ID repeats: {dupes['RESULT_ID'].unique().sort().to_list()[:10]}")
    return ard
