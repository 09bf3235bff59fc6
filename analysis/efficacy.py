"""Efficacy results (analysis sets, Table 3 and the efficacy text) from ADaM frames.

Pure functions over polars frames with the ADaM column names of docs/DESIGN.md:

* ``adsl``: ``USUBJID, FASFL, SAFFL, RSEVFL, CYTORISK`` (and ``DTHDT`` for the
  deaths among PFS events);
* ``adrs``: ``USUBJID, PARAMCD, AVALC, ADT`` with ``BOR`` (confirmed best overall
  response, one row per response-evaluable subject), ``PDCNF`` (first confirmed PD,
  ADT = its date) and ``OVRLRESP`` (one row per assessment: the last assessment);
* ``adtte``: ``USUBJID, PARAMCD, ADT, AVAL`` (days), ``CNSR`` (0 = event) with
  ``PFS, OS, DOR, TTRPR, TTRVGPR``.

Every function returns the published rows it covers as a long frame
``table, item, stat, value, denominator`` with exactly the keys of
``published_results.csv``. Values are unrounded floats; **a value that is not
estimable (NE) is null** (``None``), never NaN. Percentages are 0-100, Kaplan-Meier
times are converted to months (days / 30.4375) after the estimate, and CIs of
proportions are exact Clopper-Pearson in percent.

References
----------
.. [1] docs/derivations.md: #treatment-dates-and-populations, #imwg-response,
   #time-to-event, #efficacy-summaries and #statistics.
.. [2] Int J Clin Oncol. 2022;27:224-233, Table 3, Fig. 1 and the Efficacy text.
.. [3] Clopper CJ, Pearson ES. Biometrika. 1934;26(4):404-413.
.. [4] Brookmeyer R, Crowley J. Biometrics. 1982;38(1):29-41.
.. [5] Schemper M, Smith TL. Control Clin Trials. 1996;17(4):343-346 (reverse KM).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from analysis.km import days_to_months, km_quantile, median_followup
from analysis.proportions import clopper_pearson

SUMMARY_SCHEMA = {
    "table": pl.String,
    "item": pl.String,
    "stat": pl.String,
    "value": pl.Float64,
    "denominator": pl.Int64,
}

#: Table 3 rows: item -> the confirmed best responses it counts (published order).
RESPONSE_GROUPS: dict[str, tuple[str, ...]] = {
    "CR": ("SCR", "CR"),  # sCR + CR
    "SCR": ("SCR",),
    "PR": ("VGPR", "PR"),  # VGPR + PR
    "VGPR": ("VGPR",),
    "ORR": ("SCR", "CR", "VGPR", "PR"),
    "VGPR_OR_BETTER": ("SCR", "CR", "VGPR"),  # the primary endpoint
    "SD": ("SD",),
    "PD": ("PD",),
}

#: Response levels of the "no PD at last assessment" and TTR/DOR summaries.
LEVELS: dict[str, tuple[str, ...]] = {
    "CR": RESPONSE_GROUPS["CR"],
    "VGPR_OR_BETTER": RESPONSE_GROUPS["VGPR_OR_BETTER"],
    "ORR": RESPONSE_GROUPS["ORR"],
}


def _row(table: str, item: str, stat: str, value: Any, denominator: int | None) -> dict:
    return {
        "table": table,
        "item": item,
        "stat": stat,
        "value": None if value is None else float(value),
        "denominator": denominator,
    }


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA)


def _flagged(adsl: pl.DataFrame, flag: str) -> pl.DataFrame:
    return adsl.filter(pl.col(flag) == "Y").select("USUBJID")


def best_responses(adsl: pl.DataFrame, adrs: pl.DataFrame) -> pl.DataFrame:
    """Confirmed best overall response of every response-evaluable subject.

    Parameters
    ----------
    adsl, adrs : polars.DataFrame
        ADSL (``USUBJID, RSEVFL``) and ADRS (``USUBJID, PARAMCD, AVALC``).

    Returns
    -------
    polars.DataFrame
        ``USUBJID, BOR`` for subjects with ``RSEVFL = Y``; BOR null when ADRS has no
        BOR row for the subject (counted in no category).
    """
    bor = adrs.filter(pl.col("PARAMCD") == "BOR").select("USUBJID", pl.col("AVALC").alias("BOR"))
    return _flagged(adsl, "RSEVFL").join(bor, on="USUBJID", how="left")


def population_rows(adsl: pl.DataFrame) -> pl.DataFrame:
    """Analysis set sizes (``POP``: FAS, SAF, RE).

    Parameters
    ----------
    adsl : polars.DataFrame
        ``USUBJID, FASFL, SAFFL, RSEVFL`` (one row per enrolled subject).

    Returns
    -------
    polars.DataFrame
        Rows ``POP, <set>, n``; denominator = enrolled subjects (ADSL rows).

    Examples
    --------
    >>> adsl = pl.DataFrame({"USUBJID": ["A", "B"], "FASFL": ["Y", "Y"],
    ...                      "SAFFL": ["Y", "Y"], "RSEVFL": ["Y", "N"]})
    >>> population_rows(adsl).select("item", "value").rows()
    [('FAS', 2.0), ('SAF', 2.0), ('RE', 1.0)]
    """
    sets = {"FAS": "FASFL", "SAF": "SAFFL", "RE": "RSEVFL"}
    return _frame(
        [_row("POP", item, "n", _flagged(adsl, flag).height, adsl.height) for item, flag in sets.items()]
    )


def response_rows(adsl: pl.DataFrame, adrs: pl.DataFrame, alpha: float = 0.05) -> pl.DataFrame:
    """Table 3: confirmed best overall response in the response-evaluable set.

    Parameters
    ----------
    adsl, adrs : polars.DataFrame
        See :func:`best_responses`.
    alpha : float, default 0.05
        1 - confidence level of the exact intervals.

    Returns
    -------
    polars.DataFrame
        For each item of :data:`RESPONSE_GROUPS`: ``n``, ``pct`` (100 n / N) and the
        Clopper-Pearson ``ci_lo``/``ci_hi`` in percent; N (the denominator) = RE.

    References
    ----------
    .. [1] Int J Clin Oncol. 2022;27:224-233, Table 3.
    .. [2] Clopper CJ, Pearson ES. Biometrika. 1934;26(4):404-413.

    Examples
    --------
    >>> adsl = pl.DataFrame({"USUBJID": ["A", "B"], "RSEVFL": ["Y", "Y"]})
    >>> adrs = pl.DataFrame({"USUBJID": ["A", "B"], "PARAMCD": ["BOR", "BOR"],
    ...                      "AVALC": ["SCR", "SD"]})
    >>> response_rows(adsl, adrs).filter(pl.col("item") == "ORR")["value"].to_list()[:2]
    [1.0, 50.0]
    """
    bor = best_responses(adsl, adrs)
    total = bor.height
    rows = []
    for item, levels in RESPONSE_GROUPS.items():
        n = bor.filter(pl.col("BOR").is_in(levels)).height
        lo, hi = clopper_pearson(n, total, alpha) if total else (None, None)
        rows += [
            _row("T3", item, "n", n, total),
            _row("T3", item, "pct", 100.0 * n / total if total else None, total),
            _row("T3", item, "ci_lo", None if lo is None else 100.0 * lo, total),
            _row("T3", item, "ci_hi", None if hi is None else 100.0 * hi, total),
        ]
    return _frame(rows)


def orr_by_cytogenetic_risk(adsl: pl.DataFrame, adrs: pl.DataFrame) -> pl.DataFrame:
    """Overall response rate (PR or better) by cytogenetic risk, in RE.

    Returns
    -------
    polars.DataFrame
        ``EFF, ORR_CYTO=<HIGH|STANDARD>, n|pct``; denominator = RE subjects of that risk.
    """
    bor = best_responses(adsl, adrs).join(adsl.select("USUBJID", "CYTORISK"), on="USUBJID")
    rows = []
    for risk in ("HIGH", "STANDARD"):
        group = bor.filter(pl.col("CYTORISK") == risk)
        n = group.filter(pl.col("BOR").is_in(RESPONSE_GROUPS["ORR"])).height
        rows += [
            _row("EFF", f"ORR_CYTO={risk}", "n", n, group.height),
            _row(
                "EFF",
                f"ORR_CYTO={risk}",
                "pct",
                100.0 * n / group.height if group.height else None,
                group.height,
            ),
        ]
    return _frame(rows)


def no_pd_at_last_assessment(adsl: pl.DataFrame, adrs: pl.DataFrame) -> pl.DataFrame:
    """Responders without confirmed PD up to their last assessment (text figures).

    Parameters
    ----------
    adsl, adrs : polars.DataFrame
        ADRS needs ``BOR``, ``PDCNF`` (ADT = date of the first confirmed PD) and
        ``OVRLRESP`` rows (ADT = assessment dates).

    Returns
    -------
    polars.DataFrame
        For levels ``CR`` (sCR or CR), ``VGPR_OR_BETTER`` and ``ORR``: ``N`` (RE
        subjects whose best response is at least that level), ``n`` (those with no
        confirmed PD on or before their last assessment) and ``pct``.

    Notes
    -----
    An unconfirmed laboratory PD at the last assessment is not a PD, so only
    ``PDCNF`` counts (docs/derivations.md#no-pd-at-last-assessment).
    """
    bor = best_responses(adsl, adrs)
    last = (
        adrs.filter(pl.col("PARAMCD") == "OVRLRESP")
        .group_by("USUBJID")
        .agg(pl.col("ADT").max().alias("LAST_ADT"))
    )
    pd = (
        adrs.filter(pl.col("PARAMCD") == "PDCNF").group_by("USUBJID").agg(pl.col("ADT").min().alias("PD_ADT"))
    )
    status = (
        bor.join(last, on="USUBJID", how="left")
        .join(pd, on="USUBJID", how="left")
        .with_columns(
            HAS_PD=pl.col("PD_ADT").is_not_null()
            & (pl.col("LAST_ADT").is_null() | (pl.col("PD_ADT") <= pl.col("LAST_ADT")))
        )
    )
    rows = []
    for level, responses in LEVELS.items():
        group = status.filter(pl.col("BOR").is_in(responses))
        n = group.filter(~pl.col("HAS_PD")).height
        item = f"NO_PD_AT_LAST_ASSESSMENT|{level}"
        rows += [
            _row("EFF", item, "N", group.height, group.height),
            _row("EFF", item, "n", n, group.height),
            _row("EFF", item, "pct", 100.0 * n / group.height if group.height else None, group.height),
        ]
    return _frame(rows)


def _km_rows(item: str, frame: pl.DataFrame, stats: tuple[str, ...]) -> list[dict]:
    """Median (months) and its Brookmeyer-Crowley limits of an ADTTE parameter."""
    if frame.height == 0:
        return [_row("EFF", item, stat, None, 0) for stat in stats]
    q = km_quantile(frame["AVAL"].cast(pl.Float64), 1 - frame["CNSR"].cast(pl.Int64).clip(0, 1))
    months = {k: (None if v is None else days_to_months(v)) for k, v in q.items()}
    names = {"median_months": "estimate", "ci_lo": "lower", "ci_hi": "upper"}
    return [_row("EFF", item, stat, months[names[stat]], frame.height) for stat in stats]


def _parameter(adtte: pl.DataFrame, paramcd: str, subjects: pl.DataFrame) -> pl.DataFrame:
    return adtte.filter(pl.col("PARAMCD") == paramcd).join(subjects, on="USUBJID", how="semi")


def time_to_event_rows(adsl: pl.DataFrame, adrs: pl.DataFrame, adtte: pl.DataFrame) -> pl.DataFrame:
    """TTR, DOR, PFS, follow-up and OS rows of the efficacy text.

    Parameters
    ----------
    adsl, adrs, adtte : polars.DataFrame
        See the module docstring; ``adsl`` also needs ``DTHDT`` (date of death).

    Returns
    -------
    polars.DataFrame
        * ``TTR|VGPR_OR_BETTER`` and ``TTR|ORR``: KM median and 95% CI (months) of
          ``TTRVGPR``/``TTRPR`` over RE responders at that level;
        * ``DOR|VGPR_OR_BETTER``: KM median of ``DOR`` over RE subjects whose best
          response is VGPR or better;
        * ``PFS`` (FAS): median, CI, ``events``, ``events_pct`` (100 events / N FAS)
          and ``deaths_among_events`` (events dated on the subject's death date);
        * ``FOLLOW_UP``: reverse-KM median of OS (months);
        * ``OS``: KM median (months) and ``deaths`` (OS events).
        Not-estimable values are null.

    References
    ----------
    .. [1] Brookmeyer R, Crowley J. Biometrics. 1982;38:29-41.
    .. [2] Schemper M, Smith TL. Control Clin Trials. 1996;17:343-346.
    """
    fas = _flagged(adsl, "FASFL")
    re_set = _flagged(adsl, "RSEVFL")
    bor = best_responses(adsl, adrs)
    deep = bor.filter(pl.col("BOR").is_in(LEVELS["VGPR_OR_BETTER"])).select("USUBJID")
    ci = ("median_months", "ci_lo", "ci_hi")
    rows = _km_rows("TTR|VGPR_OR_BETTER", _parameter(adtte, "TTRVGPR", re_set), ci)
    rows += _km_rows("TTR|ORR", _parameter(adtte, "TTRPR", re_set), ci)
    rows += _km_rows("DOR|VGPR_OR_BETTER", _parameter(adtte, "DOR", deep), ("median_months",))

    pfs = _parameter(adtte, "PFS", fas)
    rows += _km_rows("PFS", pfs, ci)
    events = pfs.filter(pl.col("CNSR") == 0)
    deaths = events.join(adsl.select("USUBJID", "DTHDT"), on="USUBJID", how="left").filter(
        pl.col("DTHDT").is_not_null() & (pl.col("DTHDT") == pl.col("ADT"))
    )
    n_fas = fas.height
    rows += [
        _row("EFF", "PFS", "events", events.height, n_fas),
        _row("EFF", "PFS", "events_pct", 100.0 * events.height / n_fas if n_fas else None, n_fas),
        _row("EFF", "PFS", "deaths_among_events", deaths.height, events.height),
    ]

    os_ = _parameter(adtte, "OS", fas)
    os_event = 1 - os_["CNSR"].cast(pl.Int64).clip(0, 1)
    follow = median_followup(os_["AVAL"].cast(pl.Float64), os_event) if os_.height else {"estimate": None}
    rows.append(
        _row(
            "EFF",
            "FOLLOW_UP",
            "median_months",
            None if follow["estimate"] is None else days_to_months(follow["estimate"]),
            os_.height,
        )
    )
    rows += _km_rows("OS", os_, ("median_months",))
    rows.append(_row("EFF", "OS", "deaths", os_.filter(pl.col("CNSR") == 0).height, os_.height))
    return _frame(rows)


def efficacy_rows(adsl: pl.DataFrame, adrs: pl.DataFrame, adtte: pl.DataFrame) -> pl.DataFrame:
    """Every published ``POP``, ``T3`` and ``EFF`` row, in the published order.

    Parameters
    ----------
    adsl, adrs, adtte : polars.DataFrame
        ADaM frames (module docstring).

    Returns
    -------
    polars.DataFrame
        ``table, item, stat, value, denominator``; NE values are null.
    """
    eff = pl.concat(
        [
            orr_by_cytogenetic_risk(adsl, adrs),
            no_pd_at_last_assessment(adsl, adrs),
            time_to_event_rows(adsl, adrs, adtte),
        ]
    )
    return pl.concat([population_rows(adsl), response_rows(adsl, adrs), eff])
