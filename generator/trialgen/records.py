"""Final record versions of every form except ``lb`` (see :mod:`trialgen.labs`).

Each ``build_<form>`` returns one row per record holding the value the cohort intends at
the final cutoff: SUBJID, the form's columns as text (null = empty field), ``EVENT``
(the latest date in the record, from which its entry time is drawn) and ``LAG_KEY``
(records with the same key were entered together). Rows come in each subject's
natural order, which fixes the RECID numbering.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from trialgen.cohort_io import CohortError
from trialgen.exposure import expand_administrations, lenalidomide_starting_doses
from trialgen.subjects import day_to_date

NEW_PRIMARY_MALIGNANCIES = (
    "Leukemia",
    "Acute myeloid leukemia",
    "Myelodysplastic syndrome",
    "Lung neoplasm malignant",
    "Malignant neoplasm of unknown primary site",
)
TREATMENT_EMERGENT_TIMINGS = ("ON_TREATMENT", "FOLLOW_UP", "FATAL")
RESOLVED_OUTCOMES = ("RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE", "RECOVERING/RESOLVING")
FU_INTERVAL_DAYS = 84  # survival contact every 12 weeks
ISO = "%Y-%m-%d"


def iso(expr: pl.Expr) -> pl.Expr:
    """A date expression as ISO text."""
    return expr.dt.strftime(ISO)


def decimal_text(expr: pl.Expr, decimals: int) -> pl.Expr:
    """A number as text with at most ``decimals`` decimals and no trailing ``.0``."""
    return expr.round(decimals).cast(pl.String).str.replace(r"\.0$", "")


def fixed_text(expr: pl.Expr, decimals: int) -> pl.Expr:
    """A non-negative number as text with exactly ``decimals`` decimals (``0.10``, ``58.0``)."""
    if decimals == 0:
        return expr.round(0).cast(pl.Int64).cast(pl.String)
    scaled = (expr * 10**decimals).round(0).cast(pl.Int64)
    return pl.format(
        "{}.{}", scaled // 10**decimals, (scaled % 10**decimals).cast(pl.String).str.zfill(decimals)
    )


def _with_subject(frame: pl.DataFrame, subjects: pl.DataFrame, *cols: str) -> pl.DataFrame:
    return frame.join(
        subjects.select("SUBJID", "TRTSDT", *cols), on="SUBJID", how="inner", maintain_order="left"
    )


def build_dm(subjects: pl.DataFrame) -> pl.DataFrame:
    """Demographics: one record per subject, entered at enrolment."""
    return subjects.select(
        "SUBJID",
        iso(pl.col("ICDAT")).alias("ICDAT"),
        iso(pl.col("ENRLDAT")).alias("ENRLDAT"),
        "AGE",
        "SEX",
        "RACE",
        pl.col("ENRLDAT").alias("EVENT"),
        pl.lit("dm").alias("LAG_KEY"),
    )


def build_mh(subjects: pl.DataFrame) -> pl.DataFrame:
    """Myeloma history (DIAGDAT may be partial), entered after screening."""
    return subjects.select(
        "SUBJID",
        "DIAGDAT",
        "MMTYPE",
        "LCTYPE",
        pl.col("SCREEN_DATE").alias("EVENT"),
        pl.lit("screening").alias("LAG_KEY"),
    )


def build_pt(subjects: pl.DataFrame, prior_lines: pl.DataFrame) -> pl.DataFrame:
    """Prior therapy lines in LINENO order, entered after screening."""
    lines = prior_lines.with_columns(LINE=pl.col("LINENO").cast(pl.Int64)).sort("SUBJID", "LINE")
    return _with_subject(lines, subjects, "SCREEN_DATE").select(
        "SUBJID",
        "LINENO",
        "DRUGS",
        "PTSTDAT",
        "PTENDAT",
        "ASCT",
        "ASCTDAT",
        "BESTRESP",
        "OUTCOME",
        pl.col("SCREEN_DATE").alias("EVENT"),
        pl.lit("screening").alias("LAG_KEY"),
    )


def build_fish(subjects: pl.DataFrame, fish: pl.DataFrame) -> pl.DataFrame:
    """FISH on the screening marrow; results reach the site about two weeks later."""
    order = {t: k for k, t in enumerate(("DEL17P", "T4_14", "T14_16", "T11_14", "DEL13"))}
    rows = fish.with_columns(ORDER=pl.col("FISHTEST").replace_strict(order, default=99))
    return _with_subject(rows.sort("SUBJID", "ORDER"), subjects, "SCREEN_DATE").select(
        "SUBJID",
        iso(pl.col("SCREEN_DATE")).alias("FISHDAT"),
        "FISHTEST",
        "FISHSTAT",
        pl.when(pl.col("FISHSTAT") == "DONE").then("PCTPOS").alias("PCTPOS"),
        (pl.col("SCREEN_DATE") + pl.duration(days=14)).alias("EVENT"),
        pl.lit("fish").alias("LAG_KEY"),
    )


def cycle_visits(subjects: pl.DataFrame, cycles: pl.DataFrame) -> pl.DataFrame:
    """Day-1 visits of cycles 2 onwards that fall within the subject's bounds."""
    visits = cycles.with_columns(pl.col("CYCLE", "START_DAY").cast(pl.Int64))
    visits = _with_subject(visits, subjects, "BOUND_DAY")
    return (
        visits.filter((pl.col("CYCLE") >= 2) & (pl.col("START_DAY") <= pl.col("BOUND_DAY")))
        .with_columns(VISIT=pl.format("C{}D1", "CYCLE"), DATE=day_to_date(pl.col("START_DAY")))
        .sort("SUBJID", "CYCLE")
    )


def build_vs(subjects: pl.DataFrame, cycles: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Height and weight at screening (weight = baseline), weight every third cycle."""
    screening = subjects.select(
        "SUBJID",
        pl.lit("SCREENING").alias("VISIT"),
        pl.col("SCREEN_DATE").alias("DATE"),
        pl.lit(0).alias("CYCLE"),
        "HEIGHT",
        "WEIGHT",
    )
    screening = pl.concat(
        [
            screening.select(
                "SUBJID",
                "VISIT",
                "DATE",
                "CYCLE",
                pl.lit("HEIGHT").alias("VSTESTCD"),
                pl.col("HEIGHT").alias("VSORRES"),
                pl.lit(0).alias("TEST"),
            ),
            screening.select(
                "SUBJID",
                "VISIT",
                "DATE",
                "CYCLE",
                pl.lit("WEIGHT").alias("VSTESTCD"),
                pl.col("WEIGHT").alias("VSORRES"),
                pl.lit(1).alias("TEST"),
            ),
        ]
    )
    later = cycle_visits(subjects, cycles).filter(pl.col("CYCLE") % 3 == 1)
    later = _with_subject(later.drop("TRTSDT"), subjects, "WEIGHT")
    drift = 1 + rng.normal(0, 0.025, later.height) - 0.002 * later["CYCLE"].to_numpy()
    later = later.select(
        "SUBJID",
        "VISIT",
        "DATE",
        "CYCLE",
        pl.lit("WEIGHT").alias("VSTESTCD"),
        fixed_text(pl.col("WEIGHT").cast(pl.Float64) * pl.Series(drift), 1).alias("VSORRES"),
        pl.lit(1).alias("TEST"),
    )
    rows = pl.concat([screening, later], how="vertical_relaxed").sort("SUBJID", "CYCLE", "TEST")
    return rows.select(
        "SUBJID",
        "VISIT",
        iso(pl.col("DATE")).alias("VSDAT"),
        "VSTESTCD",
        "VSORRES",
        pl.col("DATE").alias("EVENT"),
        pl.col("VISIT").alias("LAG_KEY"),
    )


def build_ecog(subjects: pl.DataFrame, cycles: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """ECOG at screening (= baseline) and on day 1 of every later cycle."""
    later = cycle_visits(subjects, cycles)
    later = _with_subject(later.drop("TRTSDT"), subjects, "ECOG")
    step = rng.choice([-1, 0, 0, 0, 0, 0, 0, 1, 1], later.height)
    later = later.select(
        "SUBJID",
        "VISIT",
        "DATE",
        "CYCLE",
        pl.Series("ECOG", np.clip(later["ECOG"].cast(pl.Int64).to_numpy() + step, 0, 4)).cast(pl.String),
    )
    screening = subjects.select(
        "SUBJID",
        pl.lit("SCREENING").alias("VISIT"),
        pl.col("SCREEN_DATE").alias("DATE"),
        pl.lit(0).alias("CYCLE"),
        "ECOG",
    )
    rows = pl.concat([screening, later.cast({"CYCLE": pl.Int32})], how="vertical_relaxed")
    return rows.sort("SUBJID", "CYCLE").select(
        "SUBJID",
        "VISIT",
        iso(pl.col("DATE")).alias("QSDAT"),
        "ECOG",
        pl.col("DATE").alias("EVENT"),
        pl.col("VISIT").alias("LAG_KEY"),
    )


def build_ex(subjects: pl.DataFrame, cycles: pl.DataFrame, dosing: pl.DataFrame) -> pl.DataFrame:
    """One record per planned administration (trialgen.exposure), entered per cycle."""
    start = lenalidomide_starting_doses(subjects).select("SUBJID", "LENSTDOS")
    admin = expand_administrations(cycles, dosing, start)
    admin = _with_subject(admin, subjects, "BOUND_DAY").filter(pl.col("DAY") <= pl.col("BOUND_DAY"))
    # expand_administrations returns rows by subject, day and drug: the ex row order.
    admin = admin.with_columns(DATE=day_to_date(pl.col("DAY").cast(pl.Int64)))
    last_of_cycle = pl.col("DATE").max().over("SUBJID", "CYCLE")
    return admin.select(
        "SUBJID",
        "EXTRT",
        pl.col("CYCLE").cast(pl.String),
        pl.col("CYDAY").cast(pl.String),
        iso(pl.col("DATE")).alias("EXSTDAT"),
        decimal_text(pl.col("EXPDOSE").cast(pl.Float64), 2).alias("EXPDOSE"),
        decimal_text(pl.col("EXDOSE").cast(pl.Float64), 2).alias("EXDOSE"),
        pl.col("EXADJ").cast(pl.String).replace("", None).alias("EXADJ"),
        last_of_cycle.alias("EVENT"),
        pl.format("C{}", "CYCLE").alias("LAG_KEY"),
    )


def build_rs(subjects: pl.DataFrame, assessments: pl.DataFrame) -> pl.DataFrame:
    """Investigator response per assessment, dated at the assessment."""
    rows = assessments.with_columns(DAY=pl.col("DAY").cast(pl.Int64))
    rows = _with_subject(rows, subjects).with_columns(DATE=day_to_date(pl.col("DAY")))
    return rows.sort("SUBJID", "DAY", "VISIT").select(
        "SUBJID",
        "VISIT",
        iso(pl.col("DATE")).alias("RSDAT"),
        "RSORRES",
        "RSPDRSN",
        pl.col("DATE").alias("EVENT"),
        pl.col("VISIT").alias("LAG_KEY"),
    )


def build_ds(subjects: pl.DataFrame) -> pl.DataFrame:
    """End of treatment and end of study, where the course has them."""
    eot = subjects.filter(pl.col("EOT_DAY").is_not_null()).select(
        "SUBJID",
        "TRTSDT",
        pl.lit("END OF TREATMENT").alias("DSCAT"),
        pl.col("EOT_DAY").alias("DAY"),
        pl.col("EOT_REASON").alias("DSDECOD"),
    )
    eos = subjects.filter(pl.col("EOS_DAY").is_not_null()).select(
        "SUBJID",
        "TRTSDT",
        pl.lit("END OF STUDY").alias("DSCAT"),
        pl.col("EOS_DAY").alias("DAY"),
        pl.col("EOS_REASON").alias("DSDECOD"),
    )
    rows = pl.concat([eot, eos]).with_columns(DATE=day_to_date(pl.col("DAY")))
    return rows.sort("SUBJID", "DAY", "DSCAT", descending=[False, False, True]).select(
        "SUBJID",
        "DSCAT",
        iso(pl.col("DATE")).alias("DSSTDAT"),
        "DSDECOD",
        pl.col("DATE").alias("EVENT"),
        pl.col("DSCAT").alias("LAG_KEY"),
    )


def build_dd(subjects: pl.DataFrame) -> pl.DataFrame:
    """Death records."""
    rows = subjects.filter(pl.col("DEATH_DAY").is_not_null()).with_columns(
        DATE=day_to_date(pl.col("DEATH_DAY"))
    )
    return rows.select(
        "SUBJID",
        iso(pl.col("DATE")).alias("DTHDAT"),
        "DTHCAUS",
        pl.col("DATE").alias("EVENT"),
        pl.lit("death").alias("LAG_KEY"),
    )


def build_cm(subjects: pl.DataFrame) -> pl.DataFrame:
    """First subsequent anticancer therapy."""
    rows = subjects.filter(pl.col("SUBSEQ_DAY").is_not_null()).with_columns(
        DATE=day_to_date(pl.col("SUBSEQ_DAY"))
    )
    return rows.select(
        "SUBJID",
        pl.col("SUBSEQ_DRUGS").alias("CMTRT"),
        iso(pl.col("DATE")).alias("CMSTDAT"),
        pl.col("DATE").alias("EVENT"),
        pl.lit("cm").alias("LAG_KEY"),
    )


def build_fu(subjects: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Survival contacts every ~12 weeks after end of treatment.

    Alive subjects: contacts up to and including LAST_ALIVE_DAY (the last one on that
    day, so the last date known alive is exactly the cohort's). Deaths: contacts before
    the death, then a DEAD contact on the death day. Subjects who withdrew consent get
    none (:func:`alive_anchor_contacts` still covers their last day when nothing else does).
    """
    # No survival follow-up after consent is withdrawn (dm/ds still show the last contact).
    followed = pl.col("EOT_DAY").is_not_null() & (
        pl.col("EOS_REASON").fill_null("") != "WITHDRAWAL BY SUBJECT"
    )
    off = subjects.filter(followed).with_columns(
        END=pl.when("ALIVE").then(pl.min_horizontal("LAST_ALIVE_DAY", "BOUND_DAY")).otherwise("DEATH_DAY")
    )
    regular = (
        off.with_columns(K=pl.int_ranges(1, (pl.col("END") - pl.col("EOT_DAY")) // FU_INTERVAL_DAYS + 2))
        .explode("K")
        .drop_nulls("K")
    )
    jitter = rng.integers(-7, 8, regular.height)
    regular = regular.with_columns(DAY=pl.col("EOT_DAY") + pl.col("K") * FU_INTERVAL_DAYS + pl.Series(jitter))
    regular = regular.filter(pl.col("DAY") < pl.col("END") - 7).select(
        "SUBJID", "TRTSDT", "DAY", pl.lit("ALIVE").alias("FUSTAT")
    )
    last = off.select(
        "SUBJID",
        "TRTSDT",
        pl.col("END").alias("DAY"),
        pl.when("ALIVE").then(pl.lit("ALIVE")).otherwise(pl.lit("DEAD")).alias("FUSTAT"),
    )
    dead_on_treatment = subjects.filter(pl.col("EOT_DAY").is_null() & ~pl.col("ALIVE")).select(
        "SUBJID", "TRTSDT", pl.col("DEATH_DAY").alias("DAY"), pl.lit("DEAD").alias("FUSTAT")
    )
    rows = pl.concat([regular, last, dead_on_treatment]).with_columns(DATE=day_to_date(pl.col("DAY")))
    return rows.sort("SUBJID", "DAY").select(
        "SUBJID",
        iso(pl.col("DATE")).alias("FUDAT"),
        "FUSTAT",
        pl.col("DATE").alias("EVENT"),
        iso(pl.col("DATE")).alias("LAG_KEY"),
    )


def alive_anchor_contacts(subjects: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
    """fu contacts on LAST_ALIVE_DAY for living subjects whose records stop short of it.

    Parameters
    ----------
    subjects : polars.DataFrame
        Subject frame.
    latest : polars.DataFrame
        SUBJID, LATEST (latest complete on-study date over all other records).
    """
    rows = (
        subjects.filter("ALIVE")
        .join(latest, on="SUBJID", how="left", maintain_order="left")
        .with_columns(DATE=day_to_date(pl.min_horizontal("LAST_ALIVE_DAY", "BOUND_DAY")))
    )
    rows = rows.filter(pl.col("LATEST").is_null() | (pl.col("LATEST") < pl.col("DATE")))
    return rows.select(
        "SUBJID",
        iso(pl.col("DATE")).alias("FUDAT"),
        pl.lit("ALIVE").alias("FUSTAT"),
        pl.col("DATE").alias("EVENT"),
        iso(pl.col("DATE")).alias("LAG_KEY"),
    )


def ae_start_days(ae: pl.DataFrame) -> pl.DataFrame:
    """Map TIMING + POSITION to a start study day (FATAL: DEATH_DAY - DURATION)."""
    duration = pl.col("DURATION").cast(pl.Int64)
    lo = (
        pl.when(pl.col("TIMING") == "PRE_TREATMENT")
        .then("ICDAT_DAY")
        .when(pl.col("TIMING").is_in(["POST_WINDOW", "FOLLOW_UP"]))
        .then(pl.col("LAST_DOSE_DAY") + 31)
        .otherwise(1)
    )
    hi = (
        pl.when(pl.col("TIMING") == "PRE_TREATMENT")
        .then(0)
        .when(pl.col("TIMING") == "ON_TREATMENT")
        .then(pl.min_horizontal("LAST_DOSE_DAY", "BOUND_DAY"))
        .otherwise("BOUND_DAY")
    )
    position = pl.col("POSITION").cast(pl.Float64)
    start = (
        pl.when(pl.col("TIMING") == "FATAL")
        .then(pl.col("DEATH_DAY") - duration.fill_null(0))
        .otherwise(lo + (position * (hi - lo)).round(0).cast(pl.Int64))
    )
    return ae.with_columns(LO=lo, HI=hi, START_DAY=start)


def _teae(day: pl.Expr) -> pl.Expr:
    """The treatment-emergent rule (``docs/derivations.md#treatment-emergent-window-trtemfl``) for a start study day."""
    npm = pl.col("AEDECOD").is_in(NEW_PRIMARY_MALIGNANCIES)
    return (day >= 1) & ((day <= pl.col("LAST_DOSE_DAY") + 30) | npm)


def _month_start_keeps_status(start: pl.Expr) -> pl.Expr:
    """True when imputing the start from its month alone keeps the TEAE status."""
    first = start.dt.truncate("1mo")
    same_month = first == pl.col("TRTSDT").dt.truncate("1mo")
    imputed = pl.when(same_month & (first < pl.col("TRTSDT"))).then("TRTSDT").otherwise(first)
    return _teae((imputed - pl.col("TRTSDT")).dt.total_days() + 1) == _teae(
        (start - pl.col("TRTSDT")).dt.total_days() + 1
    )


def build_ae(subjects: pl.DataFrame, ae: pl.DataFrame) -> pl.DataFrame:
    """Adverse events with dates placed by TIMING/POSITION.

    Start windows (study days): ON_TREATMENT [1, LAST_DOSE_DAY] (inside ``docs/derivations.md#treatment-emergent-window-trtemfl``'s
    treatment-emergent window [1, LAST_DOSE_DAY + 30]; an event that ends treatment
    starts on or before the last dose); PRE_TREATMENT [consent, day 0]; POST_WINDOW and
    FOLLOW_UP [LAST_DOSE_DAY + 31, last day]; FATAL ends on DEATH_DAY and starts
    DURATION days earlier. End dates past the subject's bound (death, last day known
    alive, cutoff) are left empty and the event ongoing. Month-precision starts are written `YYYY-MM` only
    when the imputation (``docs/derivations.md#ae-start-date-imputation-astdt-astdtf``) keeps the treatment-emergent status.

    Raises
    ------
    CohortError
        When an event's TIMING window is empty for its subject.
    """
    rows = _with_subject(ae, subjects, "ICDAT_DAY", "LAST_DOSE_DAY", "BOUND_DAY", "DEATH_DAY")
    rows = ae_start_days(rows)
    bad = rows.filter((pl.col("HI") < pl.col("LO")) | pl.col("START_DAY").is_null())
    if bad.height:
        raise CohortError(
            "AE timing windows that are empty for their subject: "
            + ", ".join(
                f"{s} AESPID {a} ({t})" for s, a, t in bad.select("SUBJID", "AESPID", "TIMING").iter_rows()
            )
        )
    duration = pl.col("DURATION").cast(pl.Int64)
    end_day = pl.when(pl.col("TIMING") == "FATAL").then("DEATH_DAY").otherwise(pl.col("START_DAY") + duration)
    rows = rows.with_columns(END_DAY=end_day).with_columns(
        ONGOING=pl.col("END_DAY").is_null() | (pl.col("END_DAY") > pl.col("BOUND_DAY")),
        START=day_to_date(pl.col("START_DAY")),
        END=day_to_date(pl.col("END_DAY")),
    )
    month = (pl.col("START_PRECISION") == "MONTH") & _month_start_keeps_status(pl.col("START"))
    outcome = (
        pl.when(pl.col("ONGOING") & pl.col("AEOUT").is_in(RESOLVED_OUTCOMES))
        .then(pl.lit("NOT RECOVERED/NOT RESOLVED"))
        .otherwise("AEOUT")
    )
    rows = rows.with_columns(SEQ=pl.col("AESPID").cast(pl.Int64)).sort("SUBJID", "SEQ")
    return rows.select(
        "SUBJID",
        "AESPID",
        "AETERM",
        "AEDECOD",
        "AEBODSYS",
        pl.when(month)
        .then(pl.col("START").dt.strftime("%Y-%m"))
        .otherwise(iso(pl.col("START")))
        .alias("AESTDAT"),
        pl.when(pl.col("ONGOING")).then(None).otherwise(iso(pl.col("END"))).alias("AEENDAT"),
        pl.when(pl.col("ONGOING")).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("AEONGO"),
        "AETOXGR",
        "AESER",
        "AEREL_IXA",
        "AEREL_LEN",
        "AEREL_DEX",
        "AEACN_IXA",
        "AEACN_LEN",
        "AEACN_DEX",
        "AECYDLY",
        "AEDISCON",
        outcome.alias("AEOUT"),
        pl.when(pl.col("ONGOING")).then("START").otherwise("END").alias("EVENT"),
        pl.col("START").alias("START_EVENT"),
        iso(pl.col("START")).alias("LAG_KEY"),
    )
