"""Per-subject calendar facts the renderer needs: dates, study-day bounds, screening day.

A cohort stores dates as study days (day 1 = TRTSDT); :func:`day_to_date` turns them
into calendar dates. Every on-study record of a subject must fall within
``[ICDAT, BOUND_DAY]`` where BOUND_DAY is the death day for subjects who died and the
last day known alive otherwise, never after the data cutoff.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from trialgen.cohort_io import CohortError

COURSE_DAYS = ("CYCLES", "LAST_DOSE_DAY", "EOT_DAY", "SUBSEQ_DAY", "DEATH_DAY", "LAST_ALIVE_DAY", "EOS_DAY")


def day_to_date(day: pl.Expr, first_dose: str = "TRTSDT") -> pl.Expr:
    """Calendar date of a study day: ``TRTSDT + DAY - 1``."""
    return pl.col(first_dose) + pl.duration(days=day - 1)


def date_to_day(date: pl.Expr, first_dose: str = "TRTSDT") -> pl.Expr:
    """Study day of a calendar date (inverse of :func:`day_to_date`)."""
    return (date - pl.col(first_dose)).dt.total_days() + 1


def subject_frame(cohort: dict[str, pl.DataFrame], cutoff: dt.date, rng: np.random.Generator) -> pl.DataFrame:
    """One row per subject with typed dates, course days and record bounds.

    Parameters
    ----------
    cohort : dict of str to polars.DataFrame
        Cohort tables (text columns).
    cutoff : datetime.date
        Data cutoff; nothing on study is dated after it.
    rng : numpy.random.Generator
        Draws the screening visit day.

    Returns
    -------
    polars.DataFrame
        skeleton columns (ICDAT, ENRLDAT, TRTSDT as dates), baseline columns, course
        days as integers, ``ALIVE`` (no death day), ``CUTOFF_DAY``, ``BOUND_DAY`` and
        ``SCREEN_DATE`` (between consent and enrolment, before the first dose when
        possible), sorted by SUBJID.
    """
    skeleton = cohort["skeleton"].with_columns(pl.col("ICDAT", "ENRLDAT", "TRTSDT").str.to_date("%Y-%m-%d"))
    course = cohort["course"].with_columns(pl.col(COURSE_DAYS).cast(pl.Int64))
    frame = (
        skeleton.join(cohort["baseline"], on="SUBJID", how="left")
        .join(course, on="SUBJID", how="left")
        .sort("SUBJID")
    )
    missing = frame.filter(pl.col("AGE").is_null() | pl.col("LAST_DOSE_DAY").is_null())
    if missing.height:
        raise CohortError(
            "subjects without baseline or course rows: " + ", ".join(missing["SUBJID"].to_list()[:10])
        )
    frame = frame.with_columns(
        ALIVE=pl.col("DEATH_DAY").is_null(),
        CUTOFF_DAY=date_to_day(pl.lit(cutoff)),
        ICDAT_DAY=date_to_day(pl.col("ICDAT")),
    )
    frame = frame.with_columns(
        BOUND_DAY=pl.min_horizontal(
            "CUTOFF_DAY", pl.when("ALIVE").then("LAST_ALIVE_DAY").otherwise("DEATH_DAY")
        )
    )
    return frame.with_columns(SCREEN_DATE=_screening_dates(frame, rng))


def _screening_dates(frame: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Screening visit: 1-10 days after consent, on/before enrolment and before TRTSDT."""
    consent = frame["ICDAT"].to_numpy().astype("datetime64[D]")
    latest = np.minimum(
        frame["ENRLDAT"].to_numpy().astype("datetime64[D]"),
        frame["TRTSDT"].to_numpy().astype("datetime64[D]") - 1,
    )
    room = np.clip((latest - consent).astype(int), 0, 10)
    offset = np.minimum(rng.integers(1, 11, frame.height), room)
    return pl.Series("SCREEN_DATE", consent + offset.astype("timedelta64[D]"))
