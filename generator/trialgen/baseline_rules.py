"""The baseline rules as the demo-data generator implements them, independently of the
warehouse's SQL: formulas (:func:`dubois_bsa`, :func:`cockcroft_gault`,
:func:`crcl_category`, :func:`iss_stage`, :func:`measurable_disease`), partial dates and
months, and per-subject summaries of the ``pt`` and ``fish`` records
(:func:`prior_therapy_summary`, :func:`fish_summary`). The cohort solve
(:mod:`trialgen.solve.solve_baseline`), the exposure expansion and the cohort tests use
them; the warehouse derives the same columns in SQL (``models/``) and never imports this.

Formula helpers accept plain numbers or polars expressions. The FISH cutoffs are read
from the warehouse's rule seed ``seeds/fish_cutoffs.csv`` (one home for the rule).

The rules are those of ``docs/derivations.md`` (section "ADSL derivations", and
``#months-and-durations``, ``#partial-dates-history-dates``): months = days / 30.4375,
partial dates get day 1 / January, FISH ``FAILED`` counts as not done.

References
----------
.. [1] Du Bois D, Du Bois EF. A formula to estimate the approximate surface area
   if height and weight be known. Arch Intern Med. 1916;17(6):863-871.
.. [2] Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum
   creatinine. Nephron. 1976;16(1):31-41.
.. [3] Greipp PR, San Miguel J, Durie BGM, et al. International staging system
   for multiple myeloma. J Clin Oncol. 2005;23(15):3412-3420.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

#: The warehouse's seed of FISH cutoffs (generator/trialgen/ -> repository root).
FISH_CUTOFFS_CSV = Path(__file__).resolve().parents[2] / "seeds" / "fish_cutoffs.csv"


def read_fish_cutoffs(path: Path = FISH_CUTOFFS_CSV) -> list[dict[str, str]]:
    """Rows of ``seeds/fish_cutoffs.csv``: ``FISHTEST, CUTOFF_PCT, HIGH_RISK_FL, ADSL_FLAG``.

    Parameters
    ----------
    path : pathlib.Path
        The seed file; the generator runs from a checkout of the repository.

    Returns
    -------
    list of dict
        One dict per FISH test, in the seed's order.

    Raises
    ------
    FileNotFoundError
        When the seed is absent (the generator installed outside the repository).
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"FISH cutoffs seed {path} not found: the generator reads the "
            "warehouse's seeds/fish_cutoffs.csv and must run from a repository checkout"
        )
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


#: Days per month (``docs/derivations.md#months-and-durations``).
DAYS_PER_MONTH = 30.4375

#: Creatinine clearance categories, lower bound inclusive, in mL/min.
CRCL_CATEGORIES = (("<30", 0.0), ("30 to <60", 30.0), ("60 to <90", 60.0), (">=90", 90.0))


@cache
def _fish_rules() -> dict[str, Any]:
    seed = read_fish_cutoffs()
    return {
        # % positive cells, positive when >= cutoff
        "FISH_CUTOFFS": {r["FISHTEST"]: float(r["CUTOFF_PCT"]) for r in seed},
        # abnormalities that define high cytogenetic risk
        "HIGH_RISK_TESTS": tuple(r["FISHTEST"] for r in seed if r["HIGH_RISK_FL"] == "Y"),
        # ADSL flag column of each FISH test
        "FISH_FLAG_COLUMNS": {r["FISHTEST"]: r["ADSL_FLAG"] for r in seed},
    }


def __getattr__(name: str) -> Any:
    # FISH_CUTOFFS, HIGH_RISK_TESTS, FISH_FLAG_COLUMNS: read from the seed on first use, so
    # rendering extracts (which needs none of them) does not depend on the seed file
    rules = _fish_rules()
    if name in rules:
        return rules[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


IMID_DRUGS = ("THALIDOMIDE", "LENALIDOMIDE", "POMALIDOMIDE")
PI_DRUGS = ("BORTEZOMIB", "CARFILZOMIB", "IXAZOMIB")
#: ADSL exposure flag column of each prior drug.
DRUG_FLAG_COLUMNS = {
    "THALIDOMIDE": "PRTHALFL",
    "LENALIDOMIDE": "PRLENFL",
    "POMALIDOMIDE": "PRPOMFL",
    "BORTEZOMIB": "PRBORTFL",
    "CARFILZOMIB": "PRCARFFL",
    "IXAZOMIB": "PRIXAFL",
}


# --------------------------------------------------------------------------- formulas
def dubois_bsa(height_cm: Any, weight_kg: Any) -> Any:
    """Body surface area (m²) by the DuBois formula.

    ``BSA = 0.007184 × weight^0.425 × height^0.725``.

    Parameters
    ----------
    height_cm : float or polars.Expr
        Height in cm.
    weight_kg : float or polars.Expr
        Weight in kg.

    Returns
    -------
    float or polars.Expr
        BSA in m², unrounded (same kind as the inputs).

    References
    ----------
    .. [1] Du Bois D, Du Bois EF. Arch Intern Med. 1916;17(6):863-871.

    Examples
    --------
    By hand: 170^0.725 = 41.43, 65^0.425 = 5.893, 0.007184 × 5.893 × 41.43 = 1.754.

    >>> round(dubois_bsa(170.0, 65.0), 3)
    1.754
    """
    return 0.007184 * weight_kg**0.425 * height_cm**0.725


def cockcroft_gault(age: Any, weight_kg: Any, creat_mg_dl: Any, sex: Any) -> Any:
    """Creatinine clearance (mL/min) by Cockcroft–Gault, unrounded.

    ``(140 - age) × weight / (72 × creatinine)``, × 0.85 for women.

    Parameters
    ----------
    age : int, float or polars.Expr
        Age in years.
    weight_kg : float or polars.Expr
        Baseline weight in kg.
    creat_mg_dl : float or polars.Expr
        Baseline serum creatinine in mg/dL.
    sex : str or polars.Expr
        ``"M"`` or ``"F"``.

    Returns
    -------
    float or polars.Expr
        Creatinine clearance in mL/min (a polars expression if ``sex`` is one).

    References
    ----------
    .. [1] Cockcroft DW, Gault MH. Nephron. 1976;16(1):31-41.

    Examples
    --------
    By hand: (140 - 70) × 60 / (72 × 1.0) = 58.33; a woman: 58.33 × 0.85 = 49.58.

    >>> round(cockcroft_gault(70, 60.0, 1.0, "M"), 2), round(cockcroft_gault(70, 60.0, 1.0, "F"), 2)
    (58.33, 49.58)
    """
    crcl = (140 - age) * weight_kg / (72 * creat_mg_dl)
    if isinstance(sex, pl.Expr):
        return crcl * pl.when(sex == "F").then(0.85).otherwise(1.0)
    return crcl * (0.85 if sex == "F" else 1.0)


def crcl_category(crcl: Any) -> Any:
    """Creatinine clearance category of Table 1 (``<30``, ``30 to <60``, ``60 to <90``, ``>=90``).

    The unrounded value is categorised (``docs/derivations.md#creatinine-clearance-crclbl-crclcat``: 59.996 is ``30 to <60``).

    Parameters
    ----------
    crcl : float or polars.Expr
        Creatinine clearance in mL/min.

    Returns
    -------
    str or polars.Expr
        The category label.

    Examples
    --------
    >>> crcl_category(59.996), crcl_category(60.0), crcl_category(90.0)
    ('30 to <60', '60 to <90', '>=90')
    """
    if isinstance(crcl, pl.Expr):
        expr = pl.when(crcl.is_null()).then(pl.lit(None, dtype=pl.String))
        for label, lower in reversed(CRCL_CATEGORIES):
            expr = expr.when(crcl >= lower).then(pl.lit(label))
        return expr.otherwise(pl.lit(None, dtype=pl.String))
    for label, lower in reversed(CRCL_CATEGORIES):
        if crcl >= lower:
            return label
    raise ValueError(f"creatinine clearance must be >= 0, got {crcl}")


def iss_stage(b2m_mg_l: Any, alb_g_dl: Any) -> Any:
    """International Staging System stage from beta-2 microglobulin and albumin.

    I if B2M < 3.5 mg/L and albumin >= 3.5 g/dL; III if B2M >= 5.5 mg/L; otherwise II.

    Parameters
    ----------
    b2m_mg_l : float or polars.Expr
        Baseline serum beta-2 microglobulin, mg/L.
    alb_g_dl : float or polars.Expr
        Baseline serum albumin, g/dL.

    Returns
    -------
    str or polars.Expr
        ``"I"``, ``"II"`` or ``"III"``.

    References
    ----------
    .. [1] Greipp PR, et al. J Clin Oncol. 2005;23(15):3412-3420.

    Examples
    --------
    B2M 3.4 with albumin 3.5 is I; albumin 3.4 makes it II; B2M 5.5 is III.

    >>> iss_stage(3.4, 3.5), iss_stage(3.4, 3.4), iss_stage(5.5, 4.0)
    ('I', 'II', 'III')
    """
    if isinstance(b2m_mg_l, pl.Expr) or isinstance(alb_g_dl, pl.Expr):
        b2m, alb = (v if isinstance(v, pl.Expr) else pl.lit(v) for v in (b2m_mg_l, alb_g_dl))
        return (
            pl.when(b2m.is_null() | alb.is_null())
            .then(pl.lit(None, dtype=pl.String))
            .when((b2m < 3.5) & (alb >= 3.5))
            .then(pl.lit("I"))
            .when(b2m >= 5.5)
            .then(pl.lit("III"))
            .otherwise(pl.lit("II"))
        )
    if b2m_mg_l < 3.5 and alb_g_dl >= 3.5:
        return "I"
    return "III" if b2m_mg_l >= 5.5 else "II"


def measurable_disease(spep: Any, upep: Any, kappa: Any, lambda_: Any, lctype: Any) -> Any:
    """Measurable disease at baseline (``docs/derivations.md#baseline-disease-and-measurable-parameters``).

    Serum M-protein >= 1 g/dL, or urine M-protein >= 200 mg/24h, or involved free
    light chain (``lctype``) >= 10 mg/dL with an abnormal kappa/lambda ratio
    (< 0.26 or > 1.65). ``NOT DETECTED`` M-protein is 0; an FLC ``<x`` is x.

    Parameters
    ----------
    spep : float or polars.Expr
        Serum M-protein, g/dL.
    upep : float or polars.Expr
        Urine M-protein, mg/24h.
    kappa, lambda_ : float or polars.Expr
        Serum free light chains, mg/dL.
    lctype : str or polars.Expr
        ``KAPPA`` or ``LAMBDA``: the involved chain.

    Returns
    -------
    bool or polars.Expr
        True when any criterion is met.

    References
    ----------
    .. [1] Kumar S, et al. International Myeloma Working Group consensus criteria
       for response and minimal residual disease assessment in multiple myeloma.
       Lancet Oncol. 2016;17(8):e328-e346.

    Examples
    --------
    Serum 0.6 g/dL, no urine protein, kappa 4.2 with ratio 4.2 / 0.5 = 8.4 (abnormal, but
    the involved chain is < 10): not measurable. Lambda 45 with kappa 0.1: ratio 0.002,
    measurable.

    >>> measurable_disease(0.6, 0.0, 4.2, 0.5, "KAPPA"), measurable_disease(0.0, 0.0, 0.1, 45.0, "LAMBDA")
    (False, True)
    """
    ratio = kappa / lambda_
    abnormal = (ratio < 0.26) | (ratio > 1.65)
    if isinstance(lctype, pl.Expr):
        involved = pl.when(lctype == "KAPPA").then(kappa).otherwise(lambda_)
    else:
        involved = kappa if lctype == "KAPPA" else lambda_
    return (spep >= 1.0) | (upep >= 200.0) | ((involved >= 10.0) & abnormal)


def impute_partial_date(text: pl.Expr) -> pl.Expr:
    """Date from ISO text that may be partial: missing day -> 1st, missing month -> January.

    Parameters
    ----------
    text : polars.Expr
        ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (String); null stays null.

    Returns
    -------
    polars.Expr
        A Date expression.

    References
    ----------
    .. [1] ``docs/derivations.md#partial-dates-history-dates``.

    Examples
    --------
    >>> pl.select(impute_partial_date(pl.lit("2012-05")).alias("d")).item()
    datetime.date(2012, 5, 1)
    >>> pl.select(impute_partial_date(pl.lit("2009")).alias("d")).item()
    datetime.date(2009, 1, 1)
    """
    n = text.str.len_chars()
    full = pl.when(n == 4).then(text + "-01-01").when(n == 7).then(text + "-01").otherwise(text)
    return full.str.to_date("%Y-%m-%d")


def partial_date_flag(text: pl.Expr) -> pl.Expr:
    """ADaM imputation flag of a partial date: ``M`` (month imputed), ``D`` (day), null.

    Parameters
    ----------
    text : polars.Expr
        ISO date text, possibly partial.

    Returns
    -------
    polars.Expr
        ``"M"`` for ``YYYY``, ``"D"`` for ``YYYY-MM``, null for a complete date.

    Examples
    --------
    >>> pl.select(partial_date_flag(pl.lit("2009")).alias("f")).item()
    'M'
    """
    n = text.str.len_chars()
    return (
        pl.when(n == 4)
        .then(pl.lit("M"))
        .when(n == 7)
        .then(pl.lit("D"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Months elapsed from ``start`` to ``end``: (end - start) days / 30.4375, unrounded.

    Used for the time since an event (diagnosis, last ASCT) at the first dose, as
    ``adam.adsl`` derives ``MMDURM`` and ``ASCTDURM``. (Event-time durations such
    as ``adtte.AVAL`` count end - start + 1 days instead.)

    Parameters
    ----------
    start, end : polars.Expr
        Date expressions.

    Returns
    -------
    polars.Expr
        Float months.

    References
    ----------
    .. [1] ``docs/derivations.md#months-and-durations``: months = days / 30.4375.

    Examples
    --------
    By hand: 2017-01-01 to 2017-01-31 is 30 days, 30 / 30.4375 = 0.986.

    >>> import datetime as dt
    >>> v = pl.select(months_between(pl.lit(dt.date(2017, 1, 1)),
    ...                              pl.lit(dt.date(2017, 1, 31))).alias("m")).item()
    >>> round(v, 3)
    0.986
    """
    return (end - start).dt.total_days() / DAYS_PER_MONTH


# --------------------------------------------------------------------------- per-subject summaries
def prior_therapy_summary(prior_lines: pl.DataFrame) -> pl.DataFrame:
    """Per-subject prior-therapy variables from the ``pt`` records.

    Parameters
    ----------
    prior_lines : polars.DataFrame
        One row per prior line: ``SUBJID, LINENO, DRUGS`` (``;``-separated codes),
        ``ASCT`` (``Y``/``N``), ``ASCTDAT`` (ISO text, possibly partial), ``OUTCOME``
        (``RELAPSED``, ``REFRACTORY``, ``NOT PROGRESSED``).

    Returns
    -------
    polars.DataFrame
        One row per subject with lines: ``SUBJID, PRLINES, PRRELREF, PRASCTFL,
        LASCTDT`` (imputed date of the last ASCT) and the exposure flags
        ``PRIMIDFL, PRTHALFL, PRLENFL, PRPOMFL, PRPIFL, PRBORTFL, PRCARFFL, PRIXAFL``
        (``Y``/``N``). Subjects without a line are absent: callers left-join and
        fill ``PRLINES`` 0, ``PRRELREF`` ``NEITHER`` and the flags ``N``.

    Notes
    -----
    Relapsed = relapsed after >= 1 line and refractory to none; refractory =
    refractory to >= 1 line and relapsed after none; both = ``RELAPSED AND
    REFRACTORY``; neither = ``NEITHER``
    (``docs/derivations.md#prior-lines-and-relapsedrefractory-status-prlines-prrelref``).

    Examples
    --------
    >>> pt = pl.DataFrame({"SUBJID": ["1", "1"], "LINENO": [1, 2],
    ...     "DRUGS": ["BORTEZOMIB;DEXAMETHASONE;MELPHALAN", "LENALIDOMIDE;DEXAMETHASONE"],
    ...     "ASCT": ["Y", "N"], "ASCTDAT": ["2013-05", None],
    ...     "OUTCOME": ["RELAPSED", "RELAPSED"]})
    >>> prior_therapy_summary(pt).select("PRLINES", "PRRELREF", "PRIMIDFL", "PRPIFL").row(0)
    (2, 'RELAPSED', 'Y', 'Y')
    """
    drugs = pl.col("DRUGS").str.split(";")

    def any_drug(names: tuple[str, ...]) -> pl.Expr:
        hit = pl.any_horizontal(*(drugs.list.contains(pl.lit(d)) for d in names))
        return pl.when(hit.any()).then(pl.lit("Y")).otherwise(pl.lit("N"))

    relapsed = (pl.col("OUTCOME") == "RELAPSED").any()
    refractory = (pl.col("OUTCOME") == "REFRACTORY").any()
    is_asct = pl.col("ASCT") == "Y"
    return (
        prior_lines.group_by("SUBJID")
        .agg(
            pl.col("LINENO").n_unique().cast(pl.Int64).alias("PRLINES"),
            pl.when(relapsed & refractory)
            .then(pl.lit("RELAPSED AND REFRACTORY"))
            .when(relapsed)
            .then(pl.lit("RELAPSED"))
            .when(refractory)
            .then(pl.lit("REFRACTORY"))
            .otherwise(pl.lit("NEITHER"))
            .alias("PRRELREF"),
            pl.when(is_asct.any()).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("PRASCTFL"),
            impute_partial_date(pl.col("ASCTDAT")).filter(is_asct).max().alias("LASCTDT"),
            any_drug(IMID_DRUGS).alias("PRIMIDFL"),
            *(any_drug((drug,)).alias(col) for drug, col in DRUG_FLAG_COLUMNS.items()),
            any_drug(PI_DRUGS).alias("PRPIFL"),
        )
        .sort("SUBJID")
    )


def fish_summary(fish: pl.DataFrame) -> pl.DataFrame:
    """Per-subject cytogenetic risk and FISH-positive flags from the ``fish`` records.

    Parameters
    ----------
    fish : polars.DataFrame
        ``SUBJID, FISHTEST, FISHSTAT, PCTPOS`` (one row per subject and test;
        ``PCTPOS`` numeric, null unless ``DONE``).

    Returns
    -------
    polars.DataFrame
        One row per subject: ``SUBJID, CYTORISK`` (``HIGH``, ``STANDARD``,
        ``NOT AVAILABLE``) and ``DEL17PFL, T414FL, T1416FL, T1114FL, DEL13FL``
        (``Y`` when done and >= the cutoff, else ``N``).

    Notes
    -----
    High risk if del(17p) >= 5%, t(4;14) >= 3% or t(14;16) >= 3%; standard if all
    three were done and none is positive; otherwise not available. ``FAILED``
    counts as not done (``docs/derivations.md#cytogenetic-risk-and-fish-flags``).

    Examples
    --------
    A positive t(4;14) makes the subject high risk although del(17p) failed:

    >>> f = pl.DataFrame({"SUBJID": ["1", "1", "1"], "FISHTEST": ["DEL17P", "T4_14", "T14_16"],
    ...                   "FISHSTAT": ["FAILED", "DONE", "DONE"], "PCTPOS": [None, 3.0, 0.0]})
    >>> fish_summary(f).select("CYTORISK", "T414FL", "DEL17PFL").row(0)
    ('HIGH', 'Y', 'N')
    """
    fish_rules = _fish_rules()
    high_risk_tests = fish_rules["HIGH_RISK_TESTS"]
    cutoffs = pl.DataFrame(
        {"FISHTEST": list(fish_rules["FISH_CUTOFFS"]), "CUTOFF": list(fish_rules["FISH_CUTOFFS"].values())}
    )
    done = pl.col("FISHSTAT") == "DONE"
    scored = fish.join(cutoffs, on="FISHTEST", how="left").with_columns(
        POS=done & (pl.col("PCTPOS") >= pl.col("CUTOFF")), HR=pl.col("FISHTEST").is_in(high_risk_tests)
    )

    def flag(test: str) -> pl.Expr:
        hit = (pl.col("POS") & (pl.col("FISHTEST") == test)).any()
        return pl.when(hit).then(pl.lit("Y")).otherwise(pl.lit("N"))

    high = (pl.col("POS") & pl.col("HR")).any()
    all_high_risk_done = pl.col("FISHTEST").filter(done & pl.col("HR")).n_unique() == len(high_risk_tests)
    return (
        scored.group_by("SUBJID")
        .agg(
            pl.when(high)
            .then(pl.lit("HIGH"))
            .when(all_high_risk_done)
            .then(pl.lit("STANDARD"))
            .otherwise(pl.lit("NOT AVAILABLE"))
            .alias("CYTORISK"),
            *(flag(test).alias(col) for test, col in fish_rules["FISH_FLAG_COLUMNS"].items()),
        )
        .sort("SUBJID")
    )
