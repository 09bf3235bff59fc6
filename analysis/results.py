"""Glue between the table summaries and the ``results`` schema of the warehouse.

The dbt Python models in ``models/results/`` stay thin: they read the ADaM
datasets, call the summary functions of this package and hand the long frames
to the pure functions here, which

* stack the summaries into ``results.analysis_results`` (one row per figure,
  the unrounded value beside its printed text, :func:`build_analysis_results`);
* set every published figure beside the warehouse's value
  (``results.published_comparison``, :func:`compare_with_published`);
* turn ``adam.adtte`` into Kaplan-Meier step data and numbers at risk
  (``results.km_curves`` / ``results.km_at_risk``, :func:`km_curves`,
  :func:`km_at_risk`).

Conventions (docs/DESIGN.md "Analysis results", docs/derivations.md#statistics and
#rounding-and-comparison-with-the-paper): keys are the ``table, item, stat`` of ``published_results.csv``;
a null value means not evaluable (``NE``); printed values are rounded half away
from zero (:func:`analysis.rounding.format_value`) to the decimals the paper
prints; months are days / 30.4375.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import polars as pl

from analysis.demographics import table1_rows
from analysis.efficacy import efficacy_rows
from analysis.exposure import exposure_rows
from analysis.km import DAYS_PER_MONTH, km_curve, km_table, numbers_at_risk
from analysis.rounding import NOT_ESTIMABLE, format_value, round_half_away
from analysis.safety import safety_results

#: Key columns of every results frame (upper case, as in the warehouse).
KEYS = ["TABLE_ID", "ITEM", "STAT"]

#: Columns of ``results.analysis_results``, in order.
RESULT_COLUMNS = [
    "TABLE_ID",
    "ITEM",
    "STAT",
    "VALUE",
    "VALUE_TEXT",
    "DECIMALS",
    "POPULATION",
    "DENOMINATOR",
    "DATA_CUTOFF",
]

#: Columns of ``results.published_comparison``, in order.
COMPARISON_COLUMNS = [
    "TABLE_ID",
    "ITEM",
    "STAT",
    "PUBLISHED",
    "DECIMALS",
    "WAREHOUSE_VALUE",
    "WAREHOUSE_TEXT",
    "MATCH",
    "NOTE",
    "EXPLANATION",
]

#: Columns of ``results.km_curves`` and ``results.km_at_risk``.
KM_CURVE_COLUMNS = [
    "PARAMCD",
    "TIME",
    "TIME_MONTHS",
    "SURV",
    "LOWER",
    "UPPER",
    "N_RISK",
    "N_EVENT",
    "N_CENSOR",
]
KM_AT_RISK_COLUMNS = ["PARAMCD", "TIME_MONTHS", "N_RISK"]

#: Time-to-event parameters drawn as curves (DESIGN.md).
KM_PARAMCDS = ("PFS", "OS", "TTP", "DOR")

#: Analysis set of each table of the paper (its captions); EFF and POP vary by item.
TABLE_POPULATION = {
    "T1": "FAS",
    "T2": "SAF",
    "T3": "RE",
    "T4": "SAF",
    "T5": "SAF",
    "T6": "SAF",
    "T7": "SAF",
    "SAFETY_TEXT": "SAF",
}

#: EFF items analysed in the FAS (time to event from TRTSDT); other EFF items
#: (ORR by cytogenetic risk, no PD at last assessment, TTR, DOR) use RE.
FAS_ENDPOINTS = frozenset({"PFS", "TTP", "OS", "FOLLOW_UP"})

#: Statistics printed with one decimal when no published row fixes the decimals.
ONE_DECIMAL_STATS = frozenset({"mean", "sd", "median", "q1", "q3"})

_SUMMARY_SCHEMA = {
    "TABLE_ID": pl.String,
    "ITEM": pl.String,
    "STAT": pl.String,
    "VALUE": pl.Float64,
    "DENOMINATOR": pl.Int64,
    "POPULATION": pl.String,
}


# --------------------------------------------------------------------------- helpers
def upper_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Rename all columns to upper case and ``table`` to ``TABLE_ID``.

    The summary functions and the seed ``published_results`` use lower-case
    names (``table, item, stat, value, ...``); the warehouse uses upper case.

    Parameters
    ----------
    frame : polars.DataFrame
        Any frame.

    Returns
    -------
    polars.DataFrame
        The same frame with upper-case column names; ``TABLE`` becomes ``TABLE_ID``.
    """
    renamed = {c: c.upper() for c in frame.columns}
    renamed = {c: ("TABLE_ID" if u == "TABLE" else u) for c, u in renamed.items()}
    return frame.rename(renamed)


def _as_float(value: object) -> float | None:
    """``None`` for missing/NaN/inf values, otherwise ``float(value)``."""
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def value_matches(value: float | None, published: str, decimals: int) -> bool:
    """Does a warehouse value, printed like the paper, equal the published text?

    Parameters
    ----------
    value : float or None
        Unrounded warehouse value; ``None`` (or NaN) means not evaluable.
    published : str
        Published text: a number printed with ``decimals`` decimals, or ``NE``.
    decimals : int
        Decimals printed in the paper.

    Returns
    -------
    bool
        ``NE`` matches only a missing value; a number matches when the value
        rounded half away from zero to ``decimals`` equals it numerically (so
        ``-0.04`` rounds to ``-0.0`` and matches ``0.0``).

    Raises
    ------
    ValueError
        If ``published`` is neither ``NE`` nor a number.

    Examples
    --------
    >>> value_matches(28.125, "28.1", 1), value_matches(None, "NE", 1), value_matches(-0.0, "0", 0)
    (True, True, True)
    """
    x = _as_float(value)
    text = published.strip()
    if text.upper() == NOT_ESTIMABLE:
        return x is None
    target = float(text)
    if x is None:
        return False
    return round_half_away(x, int(decimals)) == target


def default_decimals(table_id: str, stat: str, published: pl.DataFrame | None = None) -> int:
    """Decimals to print for a figure that the paper does not publish.

    Parameters
    ----------
    table_id : str
        Table of the figure (``T3``, ``EFF`` ...).
    stat : str
        Statistic (``n``, ``pct``, ``median_months`` ...).
    published : polars.DataFrame, optional
        Published rows (upper-case columns ``TABLE_ID, STAT, DECIMALS``).

    Returns
    -------
    int
        In order: the decimals the paper uses for this statistic in this table,
        when they are all the same (``T7 any`` -> 0, ``T3 ci_lo`` -> 1); else
        the rule book's (docs/derivations.md#number-of-decimals): percentages one decimal in the response table (T3),
        whole numbers elsewhere; months (medians, CIs, durations) one decimal;
        means, SDs, medians and quartiles one decimal; counts none.
    """
    if published is not None and published.height:
        used = published.filter((pl.col("TABLE_ID") == table_id) & (pl.col("STAT") == stat))[
            "DECIMALS"
        ].unique()
        if used.len() == 1:
            return int(used[0])
    if stat == "pct":
        return 1 if table_id == "T3" else 0
    if "months" in stat or stat in {"ci_lo", "ci_hi"} or stat in ONE_DECIMAL_STATS:
        return 1
    return 0


def population_for(table_id: str, item: str) -> str:
    """Analysis set (``FAS``, ``SAF``, ``RE``) a figure is computed in.

    Parameters
    ----------
    table_id : str
        Table of the figure.
    item : str
        Row of the table (``PFS``, ``TTR|ORR``, ``FAS`` ...).

    Returns
    -------
    str
        ``POP`` rows are the set they count; ``EFF`` time-to-event rows from
        TRTSDT (PFS, TTP, OS, follow-up) are FAS, the other ``EFF`` rows RE
        (docs/derivations.md#analysis-set-of-each-figure: DOR and TTR use confirmed
        responders in RE); other tables use the set of their caption.

    Raises
    ------
    ValueError
        For an unknown table.
    """
    if table_id == "POP":
        return item
    if table_id == "EFF":
        endpoint = item.split("|")[0].split("=")[0]
        return "FAS" if endpoint in FAS_ENDPOINTS else "RE"
    if table_id in TABLE_POPULATION:
        return TABLE_POPULATION[table_id]
    raise ValueError(f"unknown table {table_id!r}")


# --------------------------------------------------------------------------- summaries
def safety_set(adsl: pl.DataFrame, records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The safety set (``SAFFL = 'Y'``) and the records of its subjects.

    Parameters
    ----------
    adsl : polars.DataFrame
        ``adam.adsl`` (``USUBJID, SAFFL``).
    records : polars.DataFrame
        Any record-level dataset with ``USUBJID`` (e.g. ``adam.adae``).

    Returns
    -------
    tuple of polars.DataFrame
        ``(adsl rows of SAF, records of SAF subjects)``.
    """
    saf = upper_columns(adsl).filter(pl.col("SAFFL") == "Y")
    return saf, upper_columns(records).join(saf.select("USUBJID"), on="USUBJID", how="semi")


def safety_summaries(adsl: pl.DataFrame, adae: pl.DataFrame, groupings: pl.DataFrame) -> pl.DataFrame:
    """Tables 4-7 and the safety text (:func:`analysis.safety.safety_results`) in the SAF.

    Parameters
    ----------
    adsl, adae : polars.DataFrame
        ``adam.adsl`` and ``adam.adae``; both are limited to the safety set here.
    groupings : polars.DataFrame
        ``ref.ae_groupings``.

    Returns
    -------
    polars.DataFrame
        ``table, item, stat, value, denominator`` (N = subjects in the SAF).
    """
    saf, adae_saf = safety_set(adsl, adae)
    return safety_results(adae_saf, upper_columns(groupings), saf, saf.height)


def table_summaries(
    adsl: pl.DataFrame,
    adrs: pl.DataFrame,
    adtte: pl.DataFrame,
    adae: pl.DataFrame,
    adex: pl.DataFrame,
    groupings: pl.DataFrame,
) -> list[pl.DataFrame]:
    """Every table summary of the paper, computed from the ADaM datasets.

    Parameters
    ----------
    adsl, adrs, adtte, adae, adex : polars.DataFrame
        ``adam.adsl``, ``adrs``, ``adtte``, ``adae``, ``adex``.
    groupings : polars.DataFrame
        ``ref.ae_groupings`` (Table 7 groups).

    Returns
    -------
    list of polars.DataFrame
        Long frames ``table, item, stat, value, denominator``: analysis sets,
        Table 3 and the efficacy text (:func:`analysis.efficacy.efficacy_rows`),
        Table 1 (:func:`analysis.demographics.table1_rows`, FAS), Table 2
        (:func:`analysis.exposure.exposure_rows`, SAF) and the safety figures
        (:func:`safety_summaries`, SAF).
    """
    adsl = upper_columns(adsl)
    return [
        efficacy_rows(adsl, upper_columns(adrs), upper_columns(adtte)),
        table1_rows(adsl),
        exposure_rows(upper_columns(adex), adsl),
        safety_summaries(adsl, adae, groupings),
    ]


# --------------------------------------------------------------------------- results
def stack_summaries(summaries: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Stack the long frames of the summary functions into one keyed frame.

    Parameters
    ----------
    summaries : iterable of polars.DataFrame
        Frames with columns ``table, item, stat, value, denominator`` (any
        case; ``population`` optional), as returned by
        ``analysis.demographics``, ``efficacy``, ``exposure`` and ``safety``.

    Returns
    -------
    polars.DataFrame
        ``TABLE_ID, ITEM, STAT, VALUE`` (Float64, NaN turned into null),
        ``DENOMINATOR`` (Int64), ``POPULATION`` (null where not given).

    Raises
    ------
    ValueError
        If a required column is missing or a key occurs twice.
    """
    parts = []
    for frame in summaries:
        frame = upper_columns(frame)
        missing = {"TABLE_ID", "ITEM", "STAT", "VALUE", "DENOMINATOR"} - set(frame.columns)
        if missing:
            raise ValueError(f"summary frame lacks columns {sorted(missing)}")
        if "POPULATION" not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("POPULATION"))
        parts.append(
            frame.select(
                pl.col(c).cast(t, strict=True) if c != "VALUE" else pl.col(c).cast(t).fill_nan(None)
                for c, t in _SUMMARY_SCHEMA.items()
            )
        )
    stacked = pl.concat(parts) if parts else pl.DataFrame(schema=_SUMMARY_SCHEMA)
    dupes = stacked.filter(pl.struct(KEYS).is_duplicated())
    if dupes.height:
        raise ValueError(f"duplicate result keys: {dupes.select(KEYS).unique().rows()[:10]}")
    return stacked


def build_analysis_results(
    summaries: Iterable[pl.DataFrame], published: pl.DataFrame, data_cutoff: date | str
) -> pl.DataFrame:
    """Assemble ``results.analysis_results`` from the table summaries.

    Parameters
    ----------
    summaries : iterable of polars.DataFrame
        Long frames ``table, item, stat, value, denominator`` (see
        :func:`stack_summaries`).
    published : polars.DataFrame
        ``ref.published_results`` (``table, item, stat, value, decimals, note``);
        used only for the decimals to print.
    data_cutoff : datetime.date or str
        Data cutoff of the build (dbt var ``data_cutoff``, ISO text accepted).

    Returns
    -------
    polars.DataFrame
        Columns :data:`RESULT_COLUMNS`, one row per figure: ``VALUE`` unrounded
        (null = NE), ``VALUE_TEXT`` rounded half away from zero to
        ``DECIMALS`` (the published decimals, else :func:`default_decimals`)
        or ``NE``, ``POPULATION`` as given by the summary or
        :func:`population_for`.
    """
    cutoff = date.fromisoformat(data_cutoff) if isinstance(data_cutoff, str) else data_cutoff
    stacked = stack_summaries(summaries)
    pub = upper_columns(published).select(KEYS + ["DECIMALS"])
    rows = stacked.join(pub, on=KEYS, how="left").rows(named=True)
    decimals = [
        int(r["DECIMALS"]) if r["DECIMALS"] is not None else default_decimals(r["TABLE_ID"], r["STAT"], pub)
        for r in rows
    ]
    return pl.DataFrame(
        {
            "TABLE_ID": [r["TABLE_ID"] for r in rows],
            "ITEM": [r["ITEM"] for r in rows],
            "STAT": [r["STAT"] for r in rows],
            "VALUE": [r["VALUE"] for r in rows],
            "VALUE_TEXT": [format_value(r["VALUE"], d) for r, d in zip(rows, decimals)],
            "DECIMALS": decimals,
            "POPULATION": [r["POPULATION"] or population_for(r["TABLE_ID"], r["ITEM"]) for r in rows],
            "DENOMINATOR": [r["DENOMINATOR"] for r in rows],
            "DATA_CUTOFF": [cutoff] * len(rows),
        },
        schema={
            "TABLE_ID": pl.String,
            "ITEM": pl.String,
            "STAT": pl.String,
            "VALUE": pl.Float64,
            "VALUE_TEXT": pl.String,
            "DECIMALS": pl.Int32,
            "POPULATION": pl.String,
            "DENOMINATOR": pl.Int64,
            "DATA_CUTOFF": pl.Date,
        },
    )


def compare_with_published(
    results: pl.DataFrame, published: pl.DataFrame, known: pl.DataFrame
) -> pl.DataFrame:
    """Set every published figure beside the warehouse's value.

    Parameters
    ----------
    results : polars.DataFrame
        ``results.analysis_results`` (``TABLE_ID, ITEM, STAT, VALUE`` used).
    published : polars.DataFrame
        ``ref.published_results`` (``table, item, stat, value, decimals, note``).
    known : polars.DataFrame
        ``ref.known_inconsistencies`` (``TABLE_ID, ITEM, STAT, EXPLANATION``).

    Returns
    -------
    polars.DataFrame
        Columns :data:`COMPARISON_COLUMNS`, one row per published row in the
        published order. ``WAREHOUSE_TEXT`` is the warehouse value printed with
        the published decimals (``NE`` for null; null when the warehouse has no
        such figure), ``MATCH`` is :func:`value_matches` (false for a missing
        figure), ``EXPLANATION`` the known inconsistency of the row, if any.

    Raises
    ------
    ValueError
        If ``known`` explains a key that is not published or explains one twice,
        or ``published`` repeats a key.
    """
    pub = upper_columns(published).rename({"VALUE": "PUBLISHED"})
    if pub.select(KEYS).is_duplicated().any():
        raise ValueError("published_results repeats a key")
    known = upper_columns(known).select(KEYS + ["EXPLANATION"])
    if known.select(KEYS).is_duplicated().any():
        raise ValueError("known_inconsistencies repeats a key")
    orphan = known.join(pub, on=KEYS, how="anti")
    if orphan.height:
        raise ValueError(f"known inconsistencies not in published_results: {orphan.select(KEYS).rows()}")
    wh = upper_columns(results).select(KEYS + ["VALUE"]).with_columns(pl.lit(True).alias("_FOUND"))
    rows = (
        pub.with_row_index("_ORDER")
        .join(wh, on=KEYS, how="left")
        .join(known, on=KEYS, how="left")
        .sort("_ORDER")
        .rows(named=True)
    )
    found = [bool(r["_FOUND"]) for r in rows]
    return pl.DataFrame(
        {
            "TABLE_ID": [r["TABLE_ID"] for r in rows],
            "ITEM": [r["ITEM"] for r in rows],
            "STAT": [r["STAT"] for r in rows],
            "PUBLISHED": [str(r["PUBLISHED"]) for r in rows],
            "DECIMALS": [int(r["DECIMALS"]) for r in rows],
            "WAREHOUSE_VALUE": [_as_float(r["VALUE"]) for r in rows],
            "WAREHOUSE_TEXT": [
                format_value(_as_float(r["VALUE"]), int(r["DECIMALS"])) if f else None
                for r, f in zip(rows, found)
            ],
            "MATCH": [
                f and value_matches(r["VALUE"], str(r["PUBLISHED"]), int(r["DECIMALS"]))
                for r, f in zip(rows, found)
            ],
            "NOTE": [r["NOTE"] for r in rows],
            "EXPLANATION": [r["EXPLANATION"] for r in rows],
        },
        schema={
            "TABLE_ID": pl.String,
            "ITEM": pl.String,
            "STAT": pl.String,
            "PUBLISHED": pl.String,
            "DECIMALS": pl.Int32,
            "WAREHOUSE_VALUE": pl.Float64,
            "WAREHOUSE_TEXT": pl.String,
            "MATCH": pl.Boolean,
            "NOTE": pl.String,
            "EXPLANATION": pl.String,
        },
    )


# --------------------------------------------------------------------------- Kaplan-Meier
def _tte_in_fas(adtte: pl.DataFrame, adsl: pl.DataFrame, paramcd: str) -> pl.DataFrame:
    """``USUBJID, AVAL, EVENT`` of one parameter, restricted to FAS subjects."""
    fas = upper_columns(adsl).filter(pl.col("FASFL") == "Y").select("USUBJID")
    return (
        upper_columns(adtte)
        .filter(pl.col("PARAMCD") == paramcd)
        .join(fas, on="USUBJID", how="semi")
        .select(
            "USUBJID", pl.col("AVAL").cast(pl.Float64), (pl.col("CNSR") == 0).cast(pl.Int64).alias("EVENT")
        )
    )


def km_curve_frame(time: Sequence[float], event: Sequence[int], paramcd: str) -> pl.DataFrame:
    """Kaplan-Meier step data of one parameter, in the layout of ``results.km_curves``.

    Parameters
    ----------
    time : sequence of float
        ``AVAL`` in days.
    event : sequence of int
        1 = event, 0 = censored.
    paramcd : str
        Parameter code written to ``PARAMCD``.

    Returns
    -------
    polars.DataFrame
        Columns :data:`KM_CURVE_COLUMNS`: a first row at time 0 (``SURV`` 1,
        band 1, ``N_RISK`` = all subjects, no events) and one row per distinct
        time of :func:`analysis.km.km_table` (band as :func:`analysis.km.km_curve`:
        1 while S(t) = 1, null where S(t) = 0). ``TIME`` in days,
        ``TIME_MONTHS`` = days / 30.4375. Empty (typed) when there are no subjects.
    """
    schema = {
        "PARAMCD": pl.String,
        "TIME": pl.Float64,
        "TIME_MONTHS": pl.Float64,
        "SURV": pl.Float64,
        "LOWER": pl.Float64,
        "UPPER": pl.Float64,
        "N_RISK": pl.Int64,
        "N_EVENT": pl.Int64,
        "N_CENSOR": pl.Int64,
    }
    if len(time) == 0:
        return pl.DataFrame(schema=schema)
    curve = km_curve(time, event)
    counts = km_table(time, event).select("time", "n_risk", "n_event")
    start = pl.DataFrame(
        {"time": [0.0], "n_risk": [len(time)], "n_event": [0]},
        schema={"time": pl.Float64, "n_risk": pl.Int64, "n_event": pl.Int64},
    )
    counts = pl.concat([start, counts])
    if curve.height != counts.height:
        raise ValueError("an observation at time 0 cannot be drawn after the time-0 start row")
    return (
        pl.concat([curve, counts.drop("time")], how="horizontal")
        .select(
            pl.lit(paramcd).alias("PARAMCD"),
            pl.col("time").alias("TIME"),
            (pl.col("time") / DAYS_PER_MONTH).alias("TIME_MONTHS"),
            pl.col("surv").alias("SURV"),
            pl.col("lower").alias("LOWER"),
            pl.col("upper").alias("UPPER"),
            pl.col("n_risk").alias("N_RISK"),
            pl.col("n_event").alias("N_EVENT"),
            pl.col("n_censor").alias("N_CENSOR"),
        )
        .cast(schema)
    )


def km_curves(adtte: pl.DataFrame, adsl: pl.DataFrame, paramcds: Sequence[str] = KM_PARAMCDS) -> pl.DataFrame:
    """``results.km_curves``: Kaplan-Meier step data per time-to-event parameter.

    Parameters
    ----------
    adtte : polars.DataFrame
        ``adam.adtte`` (``USUBJID, PARAMCD, AVAL`` in days, ``CNSR`` 0 = event).
    adsl : polars.DataFrame
        ``adam.adsl`` (``USUBJID, FASFL``); only FAS subjects are counted (DOR's
        rows are already limited to responders in RE by ADTTE).
    paramcds : sequence of str, default ("PFS", "OS", "TTP", "DOR")
        Parameters to draw.

    Returns
    -------
    polars.DataFrame
        :func:`km_curve_frame` of every parameter, stacked.
    """
    frames = []
    for paramcd in paramcds:
        tte = _tte_in_fas(adtte, adsl, paramcd)
        frames.append(km_curve_frame(tte["AVAL"].to_list(), tte["EVENT"].to_list(), paramcd))
    return pl.concat(frames)


def at_risk_times(max_days: float, step_months: float = 3.0) -> np.ndarray:
    """Months 0, step, 2*step, ... up to the longest follow-up (Figure 1's axis).

    Parameters
    ----------
    max_days : float
        Longest follow-up in days.
    step_months : float, default 3
        Spacing of the ticks in months.

    Returns
    -------
    numpy.ndarray
        Tick times in months, every multiple of ``step_months`` whose day
        equivalent (months x 30.4375) is <= ``max_days``.

    Examples
    --------
    >>> at_risk_times(200).tolist()
    [0.0, 3.0, 6.0]
    """
    n_steps = int(math.floor(max_days / (step_months * DAYS_PER_MONTH) + 1e-12))
    return np.arange(n_steps + 1, dtype=float) * step_months


def km_at_risk(
    adtte: pl.DataFrame,
    adsl: pl.DataFrame,
    paramcds: Sequence[str] = KM_PARAMCDS,
    step_months: float = 3.0,
) -> pl.DataFrame:
    """``results.km_at_risk``: numbers at risk at 0, 3, 6, ... months per parameter.

    Parameters
    ----------
    adtte, adsl : polars.DataFrame
        As in :func:`km_curves`.
    paramcds : sequence of str
        Parameters.
    step_months : float, default 3
        Spacing in months.

    Returns
    -------
    polars.DataFrame
        ``PARAMCD, TIME_MONTHS, N_RISK``: ``N_RISK`` = subjects with
        ``AVAL >= TIME_MONTHS x 30.4375`` days (SAS/R style), at every
        :func:`at_risk_times` tick up to the parameter's longest follow-up.
    """
    frames = []
    for paramcd in paramcds:
        days = _tte_in_fas(adtte, adsl, paramcd)["AVAL"].to_numpy()
        ticks = at_risk_times(float(days.max()), step_months) if days.size else np.array([])
        frames.append(
            pl.DataFrame(
                {
                    "PARAMCD": [paramcd] * ticks.size,
                    "TIME_MONTHS": ticks,
                    "N_RISK": numbers_at_risk(days, ticks * DAYS_PER_MONTH) if ticks.size else [],
                },
                schema={"PARAMCD": pl.String, "TIME_MONTHS": pl.Float64, "N_RISK": pl.Int64},
            )
        )
    return pl.concat(frames)
