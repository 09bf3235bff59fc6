"""Safety summaries of the paper: Tables 4-7 and the figures of the safety text.

Every figure is a number of subjects of the safety set (SAF) with at least one
treatment-emergent AE (TEAE) meeting a condition, or its percentage of SAF.
The functions take an ADaM-ADAE-shaped frame (docs/DESIGN.md "adam.adae") and
return long frames keyed like ``published_results.csv``::

    table, item, stat, value (Float64, unrounded), denominator (Int64)

Counting rules (docs/derivations.md#safety-counting-rules-tables-47-safety-text):

* only records with ``TRTEMFL = 'Y'`` count (the warehouse decides treatment
  emergence, including the new-primary-malignancy rule);
* a subject counts once per term (or group, or table row), at the worst grade:
  "grade >= 3" means at least one record with ``AETOXGR >= 3``;
* drug-related means ``AREL = 'RELATED'`` (related to any study drug);
  "related grade >= 3" / "related serious" need one record that is both;
* actions, for any of the three drugs (``AEACN_IXA/LEN/DEX``): dose reduced
  (``DOSE REDUCED``), drug interrupted (``DRUG INTERRUPTED``, Table 7's third
  action column, see docs/derivations.md#known-inconsistencies-of-the-paper), drug withdrawn (``DRUG WITHDRAWN`` = Table 4's
  "drug discontinuation"), next cycle delayed (``AECYDLY = 'Y'``); Table 4's
  dose modification is any of the four;
* percentages are ``100 * n / N`` with N the SAF size, unrounded (the paper's
  rounding, half away from zero, is applied when printing).

Which rows a table lists is decided by the paper's own selection rules (Table 5:
>= 10% of subjects; Table 6: any grade >= 3 event; the text: related >= 20%,
related grade >= 3 >= 10%, serious and related serious in more than one subject,
the single most common term leading to discontinuation / dose reduction), so
the functions list what the data say rather than a fixed set of terms.

References
----------
.. [1] Final analysis of NCT02917941 (ixazomib plus lenalidomide and
   dexamethasone in Japanese patients with relapsed and/or refractory multiple
   myeloma). Int J Clin Oncol. 2022;27:224-233, Tables 4-7 and "Safety".
.. [2] National Cancer Institute. Common Terminology Criteria for Adverse
   Events (CTCAE) version 4.03. 2010.
"""

from __future__ import annotations

import polars as pl

#: Columns of every summary frame, in order, with their types.
RESULT_SCHEMA = {
    "table": pl.String,
    "item": pl.String,
    "stat": pl.String,
    "value": pl.Float64,
    "denominator": pl.Int64,
}

#: Drug suffixes of the per-drug action columns (AEACN_<drug>).
DRUGS = ("IXA", "LEN", "DEX")

#: Table 5 lists the TEAEs reported in at least this % of subjects.
COMMON_TEAE_MIN_PCT = 10.0
#: The text lists drug-related TEAEs in >= 20% and drug-related grade >= 3 TEAEs in >= 10%.
RELATED_TEXT_MIN_PCT = 20.0
RELATED_G3_TEXT_MIN_PCT = 10.0
#: "Most common" serious / related serious terms: reported in more than one subject.
SERIOUS_TEXT_MIN_SUBJECTS = 2

#: The lookup group that is not a Table 7 row (it drives TRTEMFL, not a table).
NEW_PRIMARY_MALIGNANCY_GROUP = "New primary malignancy"

#: Table 7 statistics, in the paper's column order.
T7_STATS = (
    "any",
    "related",
    "grade3plus",
    "related_grade3plus",
    "drug_withdrawn",
    "dose_reduced",
    "drug_interrupted",
    "next_cycle_delayed",
)

#: Table 4 rows and the record condition (a column of :func:`teae_conditions`) each counts.
T4_ITEMS = {
    "ANY_TEAE": "any",
    "GRADE3PLUS": "grade3plus",
    "RELATED": "related",
    "RELATED_GRADE3PLUS": "related_grade3plus",
    "SERIOUS": "serious",
    "RELATED_SERIOUS": "related_serious",
    "LEADING_TO_DOSE_REDUCTION": "dose_reduced",
    "LEADING_TO_DOSE_MODIFICATION": "dose_modified",
    "LEADING_TO_DRUG_DISCONTINUATION": "drug_withdrawn",
}


def _any_drug_action(code: str) -> pl.Expr:
    """True when any of the three AEACN_* columns equals ``code``."""
    return pl.any_horizontal([pl.col(f"AEACN_{d}").fill_null("") == code for d in DRUGS])


def teae_conditions(adae: pl.DataFrame) -> pl.DataFrame:
    """Treatment-emergent records with one boolean column per counting condition.

    Parameters
    ----------
    adae : polars.DataFrame
        ADAE-shaped records: ``USUBJID, AEDECOD, AETOXGR, AESER, AREL,
        AEACN_IXA, AEACN_LEN, AEACN_DEX, AECYDLY, TRTEMFL``.

    Returns
    -------
    polars.DataFrame
        ``USUBJID, AEDECOD`` and the booleans ``any, grade3plus, related,
        related_grade3plus, serious, related_serious, dose_reduced,
        drug_interrupted, drug_withdrawn, next_cycle_delayed, dose_modified``,
        one row per record with ``TRTEMFL = 'Y'``.

    Examples
    --------
    >>> adae = pl.DataFrame({"USUBJID": ["A"], "AEDECOD": ["Rash"], "AETOXGR": [3],
    ...     "AESER": ["N"], "AREL": ["RELATED"], "AEACN_IXA": ["DRUG INTERRUPTED"],
    ...     "AEACN_LEN": ["DOSE REDUCED"], "AEACN_DEX": ["DOSE NOT CHANGED"],
    ...     "AECYDLY": ["N"], "TRTEMFL": ["Y"]})
    >>> teae_conditions(adae).select("related_grade3plus", "dose_modified").row(0)
    (True, True)
    """
    grade3 = pl.col("AETOXGR").cast(pl.Int64) >= 3
    related = pl.col("AREL") == "RELATED"
    serious = pl.col("AESER") == "Y"
    flags = adae.filter(pl.col("TRTEMFL") == "Y").select(
        "USUBJID",
        "AEDECOD",
        pl.lit(True).alias("any"),
        grade3.alias("grade3plus"),
        related.alias("related"),
        (related & grade3).alias("related_grade3plus"),
        serious.alias("serious"),
        (related & serious).alias("related_serious"),
        _any_drug_action("DOSE REDUCED").alias("dose_reduced"),
        _any_drug_action("DRUG INTERRUPTED").alias("drug_interrupted"),
        _any_drug_action("DRUG WITHDRAWN").alias("drug_withdrawn"),
        (pl.col("AECYDLY") == "Y").alias("next_cycle_delayed"),
    )
    modified = pl.any_horizontal("dose_reduced", "drug_interrupted", "drug_withdrawn", "next_cycle_delayed")
    return flags.with_columns(modified.fill_null(False).alias("dose_modified")).with_columns(
        pl.exclude("USUBJID", "AEDECOD").fill_null(False)
    )


def count_subjects(conditions: pl.DataFrame, names: list[str], by: list[str] | None = None) -> pl.DataFrame:
    """Number of distinct subjects with at least one record meeting each condition.

    Parameters
    ----------
    conditions : polars.DataFrame
        Output of :func:`teae_conditions` (optionally joined to groupings).
    names : list of str
        Condition columns to count.
    by : list of str, optional
        Grouping columns (e.g. ``["AEDECOD"]``); none gives one row overall.

    Returns
    -------
    polars.DataFrame
        ``by`` columns plus one UInt32 count per name.
    """
    counts = [pl.col("USUBJID").filter(pl.col(n)).n_unique().alias(n) for n in names]
    if by:
        return conditions.group_by(by, maintain_order=True).agg(counts)
    return conditions.select(counts)


def _rows(table: str, items: list[str], stat: str, values: list[float], n_saf: int) -> pl.DataFrame:
    """A summary frame of one statistic for several items."""
    return pl.DataFrame(
        {
            "table": [table] * len(items),
            "item": items,
            "stat": [stat] * len(items),
            "value": [float(v) for v in values],
            "denominator": [n_saf] * len(items),
        },
        schema=RESULT_SCHEMA,
    )


def _n_and_pct(table: str, items: list[str], counts: list[int], n_saf: int) -> pl.DataFrame:
    """``n`` and ``pct`` rows (pct = 100 n / N, unrounded), item by item."""
    n = _rows(table, items, "n", counts, n_saf)
    pct = _rows(table, items, "pct", [100.0 * c / n_saf for c in counts], n_saf)
    order = pl.DataFrame({"item": items}, schema={"item": pl.String}).with_row_index("_order")
    return pl.concat([n, pct]).join(order, on="item").sort("_order", "stat").drop("_order")


def _by_term(adae: pl.DataFrame, condition: str) -> pl.DataFrame:
    """Subjects per preferred term meeting ``condition``: ``AEDECOD, n``, most frequent first.

    Ties are ordered by term name, as in a frequency table.
    """
    counts = count_subjects(teae_conditions(adae), [condition], by=["AEDECOD"])
    return (
        counts.rename({condition: "n"})
        .filter(pl.col("n") > 0)
        .sort(["n", "AEDECOD"], descending=[True, False])
    )


def overall_summary(adae: pl.DataFrame, adsl: pl.DataFrame, n_saf: int) -> pl.DataFrame:
    """Table 4: overall summary of TEAEs, and on-study deaths.

    Parameters
    ----------
    adae : polars.DataFrame
        ADAE records of the safety set (see :func:`teae_conditions`).
    adsl : polars.DataFrame
        One row per subject of the safety set with ``USUBJID, DTHFL, ONSTDTFL``
        (death within 30 days after the last dose).
    n_saf : int
        Number of subjects in the safety set (the denominator).

    Returns
    -------
    polars.DataFrame
        Items ``ANY_TEAE ... LEADING_TO_DRUG_DISCONTINUATION, ON_STUDY_DEATH``,
        stats ``n`` and ``pct``.
    """
    counts = count_subjects(teae_conditions(adae), list(dict.fromkeys(T4_ITEMS.values()))).row(0, named=True)
    on_study_deaths = adsl.filter((pl.col("DTHFL") == "Y") & (pl.col("ONSTDTFL") == "Y")).height
    items = [*T4_ITEMS, "ON_STUDY_DEATH"]
    values = [counts[c] for c in T4_ITEMS.values()] + [on_study_deaths]
    return _n_and_pct("T4", items, values, n_saf)


def common_teae_table(adae: pl.DataFrame, n_saf: int, min_pct: float = COMMON_TEAE_MIN_PCT) -> pl.DataFrame:
    """Table 5: TEAEs reported in at least ``min_pct`` % of subjects, by preferred term.

    Parameters
    ----------
    adae : polars.DataFrame
        ADAE records (see :func:`teae_conditions`).
    n_saf : int
        Number of subjects in the safety set.
    min_pct : float, default 10
        Inclusion threshold, % of subjects (inclusive).

    Returns
    -------
    polars.DataFrame
        Items ``PT=<AEDECOD>``, stats ``n`` and ``pct``, most frequent first.
    """
    terms = _by_term(adae, "any").filter(100.0 * pl.col("n") / n_saf >= min_pct)
    return _n_and_pct("T5", [f"PT={t}" for t in terms["AEDECOD"]], terms["n"].to_list(), n_saf)


def grade3_table(adae: pl.DataFrame, n_saf: int) -> pl.DataFrame:
    """Table 6: every preferred term with a grade >= 3 TEAE.

    Parameters
    ----------
    adae : polars.DataFrame
        ADAE records (see :func:`teae_conditions`).
    n_saf : int
        Number of subjects in the safety set.

    Returns
    -------
    polars.DataFrame
        Items ``PT=<AEDECOD>``, stats ``n`` and ``pct``, most frequent first.
    """
    terms = _by_term(adae, "grade3plus")
    return _n_and_pct("T6", [f"PT={t}" for t in terms["AEDECOD"]], terms["n"].to_list(), n_saf)


def clinical_importance_table(
    adae: pl.DataFrame,
    groupings: pl.DataFrame,
    n_saf: int,
    include_empty_groups: bool = False,
) -> pl.DataFrame:
    """Table 7: TEAEs of clinical importance, by sponsor grouping of preferred terms.

    Parameters
    ----------
    adae : polars.DataFrame
        ADAE records (see :func:`teae_conditions`).
    groupings : polars.DataFrame
        The ``ae_groupings`` seed: ``AEGRP, AEDECOD, GRPORDER``. A term may sit
        in several groups (Rash is both its own row and a dermatologic disorder).
        The ``New primary malignancy`` group is not a Table 7 row.
    n_saf : int
        Number of subjects in the safety set.
    include_empty_groups : bool, default False
        Also return groups no subject has (the paper prints none).

    Returns
    -------
    polars.DataFrame
        Items ``GROUP=<AEGRP>`` in GRPORDER, one row per statistic of
        :data:`T7_STATS` (subject counts; the paper's percentages are not keyed).
    """
    groups = groupings.filter(pl.col("AEGRP") != NEW_PRIMARY_MALIGNANCY_GROUP)
    order = groups.group_by("AEGRP").agg(pl.col("GRPORDER").min()).sort("GRPORDER", "AEGRP")
    flagged = teae_conditions(adae).join(groups.select("AEGRP", "AEDECOD"), on="AEDECOD", how="inner")
    counts = order.join(count_subjects(flagged, list(T7_STATS), by=["AEGRP"]), on="AEGRP", how="left")
    counts = counts.with_columns(pl.col(list(T7_STATS)).fill_null(0))
    if not include_empty_groups:
        counts = counts.filter(pl.col("any") > 0)
    long = counts.unpivot(
        index=["AEGRP", "GRPORDER"], on=list(T7_STATS), variable_name="stat", value_name="n"
    )
    stat_order = pl.DataFrame({"stat": list(T7_STATS)}).with_row_index("_stat")
    long = long.join(stat_order, on="stat").sort("GRPORDER", "AEGRP", "_stat")
    return long.select(
        pl.lit("T7").alias("table"),
        pl.format("GROUP={}", "AEGRP").alias("item"),
        "stat",
        pl.col("n").cast(pl.Float64).alias("value"),
        pl.lit(n_saf, dtype=pl.Int64).alias("denominator"),
    )


def _text_terms(adae: pl.DataFrame, condition: str, prefix: str, n_saf: int, keep: pl.Expr) -> pl.DataFrame:
    """Safety-text rows ``<prefix>|PT=<AEDECOD>`` (n, pct) for the terms ``keep`` selects."""
    terms = _by_term(adae, condition).filter(keep)
    items = [f"{prefix}|PT={t}" for t in terms["AEDECOD"]]
    return _n_and_pct("SAFETY_TEXT", items, terms["n"].to_list(), n_saf)


def _most_common_term(adae: pl.DataFrame, condition: str, prefix: str, n_saf: int) -> pl.DataFrame:
    """The first term of the frequency table of ``condition`` (ties: by name), ``n`` only."""
    top = _by_term(adae, condition).head(1)
    return _rows("SAFETY_TEXT", [f"{prefix}|PT={t}" for t in top["AEDECOD"]], "n", top["n"].to_list(), n_saf)


def safety_text_figures(adae: pl.DataFrame, adsl: pl.DataFrame, n_saf: int) -> pl.DataFrame:
    """Figures quoted in the safety paragraphs of the Results.

    Parameters
    ----------
    adae : polars.DataFrame
        ADAE records (see :func:`teae_conditions`).
    adsl : polars.DataFrame
        One row per subject of the safety set with ``USUBJID, DTHFL``.
    n_saf : int
        Number of subjects in the safety set.

    Returns
    -------
    polars.DataFrame
        ``RELATED|PT=`` (>= 20%), ``RELATED_GRADE3PLUS|PT=`` (>= 10%),
        ``SERIOUS|PT=`` and ``RELATED_SERIOUS|PT=`` (more than one subject):
        ``n`` and ``pct``; ``LEADING_TO_DRUG_DISCONTINUATION|PT=`` and
        ``LEADING_TO_DOSE_REDUCTION|PT=`` (the most common term) and ``DEATHS``:
        ``n`` only.
    """
    pct = 100.0 * pl.col("n") / n_saf
    parts = [
        _text_terms(adae, "related", "RELATED", n_saf, pct >= RELATED_TEXT_MIN_PCT),
        _text_terms(adae, "related_grade3plus", "RELATED_GRADE3PLUS", n_saf, pct >= RELATED_G3_TEXT_MIN_PCT),
        _text_terms(adae, "serious", "SERIOUS", n_saf, pl.col("n") >= SERIOUS_TEXT_MIN_SUBJECTS),
        _text_terms(
            adae, "related_serious", "RELATED_SERIOUS", n_saf, pl.col("n") >= SERIOUS_TEXT_MIN_SUBJECTS
        ),
        _most_common_term(adae, "drug_withdrawn", "LEADING_TO_DRUG_DISCONTINUATION", n_saf),
        _most_common_term(adae, "dose_reduced", "LEADING_TO_DOSE_REDUCTION", n_saf),
        _rows("SAFETY_TEXT", ["DEATHS"], "n", [adsl.filter(pl.col("DTHFL") == "Y").height], n_saf),
    ]
    return pl.concat(parts)


def safety_results(
    adae: pl.DataFrame, groupings: pl.DataFrame, adsl: pl.DataFrame, n_saf: int
) -> pl.DataFrame:
    """All safety figures of the paper: Tables 4, 5, 6, 7 and the safety text.

    Parameters
    ----------
    adae : polars.DataFrame
        ADAE records of the safety set (see :func:`teae_conditions`).
    groupings : polars.DataFrame
        The ``ae_groupings`` seed (``AEGRP, AEDECOD, GRPORDER``).
    adsl : polars.DataFrame
        One row per subject of the safety set: ``USUBJID, DTHFL, ONSTDTFL``.
    n_saf : int
        Number of subjects in the safety set.

    Returns
    -------
    polars.DataFrame
        ``table, item, stat, value, denominator`` for every figure.
    """
    return pl.concat(
        [
            overall_summary(adae, adsl, n_saf),
            common_teae_table(adae, n_saf),
            grade3_table(adae, n_saf),
            clinical_importance_table(adae, groupings, n_saf),
            safety_text_figures(adae, adsl, n_saf),
        ]
    )
