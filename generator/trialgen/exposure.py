"""Study-drug administrations of a cohort and their relative dose intensity.

A cohort stores the treatment compactly (``docs/DESIGN.md``, "The demo cohort"):
``cycles.csv`` gives the start day of every treatment cycle and ``dosing.csv`` only
the exceptions to the protocol schedule. :func:`expand_administrations` turns the
two into one row per planned administration -- what the ``ex`` form records -- and
:func:`relative_dose_intensity` computes the exposure figures of Table 2 from them.

Protocol schedule (``trialgen.study.SCHEDULE``): ixazomib 4 mg on days 1, 8, 15;
lenalidomide 25 mg on days 1-21 (10 mg when the baseline creatinine clearance is
< 60 mL/min); dexamethasone 40 mg on days 1, 8, 15, 22 of every 28-day cycle.

References
----------
.. [1] ``docs/derivations.md#total-dose-planned-dose-and-relative-dose-intensity-rdi``.
.. [2] ``docs/extract-contract.md#4-the-14-forms``, form ``ex``.
.. [3] Int J Clin Oncol. 2022;27:224-233, Table 2.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from trialgen.baseline_rules import cockcroft_gault
from trialgen.study import DOSE_LEVELS, LENALIDOMIDE_RENAL_START, SCHEDULE

#: Drugs in the order the ``ex`` form lists them.
DRUGS = ("IXAZOMIB", "LENALIDOMIDE", "DEXAMETHASONE")

#: EXADJ of administrations given at a reduced dose level.
REDUCED = "DOSE LEVEL REDUCED"

ADMINISTRATION_SCHEMA = {
    "SUBJID": pl.String,
    "EXTRT": pl.String,
    "CYCLE": pl.Int64,
    "CYDAY": pl.Int64,
    "DAY": pl.Int64,
    "EXPDOSE": pl.Float64,
    "EXDOSE": pl.Float64,
    "EXADJ": pl.String,
}


def dose_levels(drug: str, lenalidomide_start: float = SCHEDULE["LENALIDOMIDE"][0]) -> tuple[float, ...]:
    """Dose (mg) of each dose level of a drug; level 0 is the starting dose.

    Parameters
    ----------
    drug : str
        ``IXAZOMIB``, ``LENALIDOMIDE`` or ``DEXAMETHASONE``.
    lenalidomide_start : float, default 25.0
        The subject's lenalidomide starting dose; 10 mg selects the renal ladder.

    Returns
    -------
    tuple of float
        ``trialgen.study.DOSE_LEVELS`` of the drug (``LENALIDOMIDE_RENAL`` for a
        10 mg lenalidomide start).

    Examples
    --------
    >>> dose_levels("LENALIDOMIDE", 10.0)
    (10.0, 5.0, 2.5)
    """
    if drug == "LENALIDOMIDE" and lenalidomide_start == LENALIDOMIDE_RENAL_START:
        return DOSE_LEVELS["LENALIDOMIDE_RENAL"]
    return DOSE_LEVELS[drug]


def lenalidomide_starting_doses(baseline: pl.DataFrame) -> pl.DataFrame:
    """Lenalidomide starting dose per subject from the baseline creatinine clearance.

    Parameters
    ----------
    baseline : polars.DataFrame
        ``baseline.csv`` rows (text or numeric): ``SUBJID, AGE, SEX, WEIGHT, CREAT``.

    Returns
    -------
    polars.DataFrame
        ``SUBJID, CRCL`` (Cockcroft-Gault, mL/min, unrounded), ``LENSTDOS`` (10.0 when
        CRCL < 60, else 25.0 -- categorised unrounded,
        ``docs/derivations.md#lenalidomide-starting-dose-lenstdos``).
    """
    crcl = cockcroft_gault(
        pl.col("AGE").cast(pl.Float64),
        pl.col("WEIGHT").cast(pl.Float64),
        pl.col("CREAT").cast(pl.Float64),
        pl.col("SEX"),
    )
    return baseline.select("SUBJID", crcl.alias("CRCL")).with_columns(
        LENSTDOS=pl.when(pl.col("CRCL") < 60)
        .then(LENALIDOMIDE_RENAL_START)
        .otherwise(SCHEDULE["LENALIDOMIDE"][0])
    )


def _start_frame(lenalidomide_start: pl.DataFrame | Mapping[str, float]) -> pl.DataFrame:
    """``SUBJID, LENSTDOS`` from a ``{SUBJID: dose}`` mapping or a two-column frame."""
    if isinstance(lenalidomide_start, Mapping):
        return pl.DataFrame(
            {
                "SUBJID": [str(k) for k in lenalidomide_start],
                "LENSTDOS": [float(v) for v in lenalidomide_start.values()],
            }
        )
    dose_columns = [c for c in lenalidomide_start.columns if c != "SUBJID"]
    if len(dose_columns) != 1:
        raise ValueError(
            f"lenalidomide_start needs SUBJID and exactly one dose column, got {lenalidomide_start.columns}"
        )
    return lenalidomide_start.select(
        pl.col("SUBJID").cast(pl.String), pl.col(dose_columns[0]).cast(pl.Float64).alias("LENSTDOS")
    )


def expand_administrations(
    cycles: pl.DataFrame, dosing: pl.DataFrame, lenalidomide_start: pl.DataFrame | Mapping[str, float]
) -> pl.DataFrame:
    """One row per planned administration of every treatment cycle (the ``ex`` form).

    Parameters
    ----------
    cycles : polars.DataFrame
        ``SUBJID, CYCLE, START_DAY`` (text or integer): start study day of every
        treatment cycle (``cycles.csv``).
    dosing : polars.DataFrame
        ``SUBJID, EXTRT, CYCLE, CYDAY, ACTION, LEVEL, EXADJ`` (``dosing.csv``): the
        exceptions to the protocol schedule, each applying at the administration of
        ``EXTRT`` on (``CYCLE``, ``CYDAY``):

        * ``LEVEL`` -- from this administration on, the drug is given at dose level
          ``LEVEL`` (0 = starting dose, 1 = first reduction ...); administrations at a
          level > 0 carry the row's ``EXADJ`` (normally ``DOSE LEVEL REDUCED``);
        * ``HELD`` -- this administration is not taken: ``EXDOSE`` 0, ``EXADJ`` the
          reason (``ADVERSE EVENT``, ``MISSED``, ``OTHER``);
        * ``STOPPED`` -- no record for this drug from this administration on.

        A ``LEVEL`` and a ``HELD`` row may share an administration (the level
        changes, the dose is held).
    lenalidomide_start : polars.DataFrame or mapping
        Lenalidomide starting dose (mg, 25 or 10) per subject: a frame with
        ``SUBJID`` and one dose column (e.g. ``LENSTDOS``), or ``{SUBJID: dose}``.
        A 10 mg start uses the renal dose ladder (10, 5, 2.5 mg).

    Returns
    -------
    polars.DataFrame
        ``SUBJID, EXTRT, CYCLE, CYDAY, DAY, EXPDOSE, EXDOSE, EXADJ`` sorted by subject,
        day and drug: ``DAY = START_DAY + CYDAY - 1`` (study day), ``EXPDOSE`` the
        dose of the current level (mg), ``EXDOSE`` the dose taken (0 when held),
        ``EXADJ`` null when the starting dose was taken as planned.

    Raises
    ------
    ValueError
        For an unknown action, a dose level the drug does not have, a subject with
        cycles but no lenalidomide starting dose, or a dosing row that matches no
        planned administration.

    References
    ----------
    .. [1] ``docs/extract-contract.md#4-the-14-forms``, form ``ex``; docs/DESIGN.md, ``dosing.csv``.

    Examples
    --------
    >>> cycles = pl.DataFrame({"SUBJID": ["A"], "CYCLE": [1], "START_DAY": [1]})
    >>> dosing = pl.DataFrame({"SUBJID": ["A"], "EXTRT": ["IXAZOMIB"], "CYCLE": [1],
    ...                        "CYDAY": [8], "ACTION": ["LEVEL"], "LEVEL": [1],
    ...                        "EXADJ": ["DOSE LEVEL REDUCED"]})
    >>> ex = expand_administrations(cycles, dosing, {"A": 25.0})
    >>> ex.filter(pl.col("EXTRT") == "IXAZOMIB")["EXDOSE"].to_list()
    [4.0, 3.0, 3.0]
    """
    starts = _start_frame(lenalidomide_start)
    cycles = cycles.select(
        pl.col("SUBJID").cast(pl.String), pl.col("CYCLE").cast(pl.Int64), pl.col("START_DAY").cast(pl.Int64)
    )
    dosing = dosing.select(
        pl.col("SUBJID").cast(pl.String),
        pl.col("EXTRT").cast(pl.String),
        pl.col("CYCLE").cast(pl.Int64),
        pl.col("CYDAY").cast(pl.Int64),
        pl.col("ACTION").cast(pl.String),
        pl.col("LEVEL").cast(pl.String).replace("", None).cast(pl.Int64),
        pl.col("EXADJ").cast(pl.String).replace("", None),
    )
    unknown = set(dosing["ACTION"].unique().to_list()) - {"LEVEL", "HELD", "STOPPED"}
    if unknown:
        raise ValueError(f"unknown dosing ACTION(s): {sorted(unknown)}")
    missing = cycles.join(starts, on="SUBJID", how="anti")
    if missing.height:
        raise ValueError(f"no lenalidomide starting dose for {missing['SUBJID'].unique().to_list()[:5]}")

    schedule = pl.DataFrame(
        [(d, day) for d in DRUGS for day in SCHEDULE[d][1]],
        schema={"EXTRT": pl.String, "CYDAY": pl.Int64},
        orient="row",
    )
    keys = ["SUBJID", "EXTRT", "CYCLE", "CYDAY"]
    planned = (
        cycles.join(schedule, how="cross")
        .with_columns(DAY=pl.col("START_DAY") + pl.col("CYDAY") - 1)
        .sort("SUBJID", "EXTRT", "CYCLE", "CYDAY")
    )
    unmatched = dosing.join(planned, on=keys, how="anti")
    if unmatched.height:
        raise ValueError(f"dosing rows matching no planned administration: {unmatched.head(5).rows()}")
    level_rows = dosing.filter(pl.col("ACTION") == "LEVEL").select(
        *keys, pl.col("LEVEL").alias("NEW_LEVEL"), pl.col("EXADJ").fill_null(REDUCED).alias("LEVEL_ADJ")
    )
    held_rows = dosing.filter(pl.col("ACTION") == "HELD").select(
        *keys, pl.col("EXADJ").fill_null("OTHER").alias("HELD_ADJ")
    )
    stop_rows = dosing.filter(pl.col("ACTION") == "STOPPED").select(*keys, pl.lit(True).alias("STOP_HERE"))
    for frame, what in ((level_rows, "LEVEL"), (held_rows, "HELD"), (stop_rows, "STOPPED")):
        if frame.select(keys).is_duplicated().any():
            raise ValueError(f"two {what} rows for one administration")
    by_drug = ["SUBJID", "EXTRT"]
    admin = (
        planned.join(level_rows, on=keys, how="left")
        .join(held_rows, on=keys, how="left")
        .join(stop_rows, on=keys, how="left")
        .join(starts, on="SUBJID", how="left")
        .with_columns(
            # the level (and its EXADJ) holds from its row on; a stop is for good
            LEVEL=pl.col("NEW_LEVEL").forward_fill().over(by_drug).fill_null(0),
            LEVEL_ADJ=pl.col("LEVEL_ADJ").forward_fill().over(by_drug),
            STOPPED=pl.col("STOP_HERE").fill_null(False).cum_max().over(by_drug),
        )
        .filter(~pl.col("STOPPED"))
    )
    ladder = pl.DataFrame(
        [
            (d, start, lvl, dose)
            for d in DRUGS
            for start in (SCHEDULE["LENALIDOMIDE"][0], LENALIDOMIDE_RENAL_START)
            for lvl, dose in enumerate(dose_levels(d, start))
        ],
        schema={"EXTRT": pl.String, "LENSTDOS": pl.Float64, "LEVEL": pl.Int64, "EXPDOSE": pl.Float64},
        orient="row",
    )
    admin = admin.join(ladder, on=["EXTRT", "LENSTDOS", "LEVEL"], how="left")
    bad = admin.filter(pl.col("EXPDOSE").is_null())
    if bad.height:
        raise ValueError(f"dose levels the drug does not have: {bad.select(*keys, 'LEVEL').head(5).rows()}")
    order = {d: i for i, d in enumerate(DRUGS)}
    return (
        admin.with_columns(
            EXDOSE=pl.when(pl.col("HELD_ADJ").is_not_null()).then(0.0).otherwise("EXPDOSE"),
            EXADJ=pl.coalesce("HELD_ADJ", pl.when(pl.col("LEVEL") > 0).then("LEVEL_ADJ")),
            _ORDER=pl.col("EXTRT").replace_strict(order, return_dtype=pl.Int8),
        )
        .sort("SUBJID", "DAY", "_ORDER")
        .select(pl.col(c).cast(t) for c, t in ADMINISTRATION_SCHEMA.items())
    )


def planned_dose_per_cycle(drug: str, lenalidomide_start: float) -> float:
    """Protocol starting dose of a drug over one cycle (mg).

    Parameters
    ----------
    drug : str
        Drug code.
    lenalidomide_start : float
        The subject's lenalidomide starting dose (25 or 10 mg).

    Returns
    -------
    float
        Ixazomib 3 x 4 mg, lenalidomide 21 x starting dose, dexamethasone 4 x 40 mg.

    Examples
    --------
    >>> planned_dose_per_cycle("LENALIDOMIDE", 10.0), planned_dose_per_cycle("IXAZOMIB", 25.0)
    (210.0, 12.0)
    """
    start = lenalidomide_start if drug == "LENALIDOMIDE" else SCHEDULE[drug][0]
    return start * len(SCHEDULE[drug][1])


def relative_dose_intensity(
    administrations: pl.DataFrame, lenalidomide_start: pl.DataFrame | Mapping[str, float]
) -> pl.DataFrame:
    """Treatment cycles, total dose, planned dose and relative dose intensity per drug.

    Parameters
    ----------
    administrations : polars.DataFrame
        ``SUBJID, EXTRT, CYCLE, EXDOSE`` per administration (the output of
        :func:`expand_administrations`, or ``ex`` records).
    lenalidomide_start : polars.DataFrame or mapping
        Lenalidomide starting dose per subject, as for :func:`expand_administrations`.

    Returns
    -------
    polars.DataFrame
        One row per subject and drug: ``SUBJID, EXTRT, CYCLES`` (treatment cycles of
        the subject: cycles in which any amount of any drug was taken), ``TOTDOSE``
        (mg taken), ``PLANDOSE`` (protocol starting dose per cycle x CYCLES, also for
        cycles after the drug was stopped), ``RDI`` (100 x TOTDOSE / PLANDOSE, %,
        unrounded). Subjects without any dose taken are left out.

    References
    ----------
    .. [1] ``docs/derivations.md#total-dose-planned-dose-and-relative-dose-intensity-rdi``.

    Examples
    --------
    >>> ex = pl.DataFrame({"SUBJID": ["A"] * 2, "EXTRT": ["IXAZOMIB"] * 2,
    ...                    "CYCLE": [1, 2], "EXDOSE": [4.0, 0.0]})
    >>> rdi = relative_dose_intensity(ex, {"A": 25.0})
    >>> # cycle 2 took nothing, so it is no treatment cycle: 4 mg of 1 x 12 mg
    >>> round(rdi.filter(pl.col("EXTRT") == "IXAZOMIB")["RDI"].item(), 4)
    33.3333
    """
    starts = _start_frame(lenalidomide_start)
    taken = administrations.select(
        pl.col("SUBJID").cast(pl.String),
        pl.col("EXTRT").cast(pl.String),
        pl.col("CYCLE").cast(pl.Int64),
        pl.col("EXDOSE").cast(pl.Float64),
    )
    cycles = taken.filter(pl.col("EXDOSE") > 0).group_by("SUBJID").agg(CYCLES=pl.col("CYCLE").n_unique())
    totals = taken.group_by("SUBJID", "EXTRT").agg(TOTDOSE=pl.col("EXDOSE").sum())
    grid = cycles.join(pl.DataFrame({"EXTRT": list(DRUGS)}), how="cross")
    per_cycle = pl.DataFrame(
        [
            (d, start, planned_dose_per_cycle(d, start))
            for d in DRUGS
            for start in (SCHEDULE["LENALIDOMIDE"][0], LENALIDOMIDE_RENAL_START)
        ],
        schema={"EXTRT": pl.String, "LENSTDOS": pl.Float64, "PER_CYCLE": pl.Float64},
        orient="row",
    )
    return (
        grid.join(totals, on=["SUBJID", "EXTRT"], how="left")
        .join(starts, on="SUBJID", how="left")
        .join(per_cycle, on=["EXTRT", "LENSTDOS"], how="left")
        .with_columns(
            TOTDOSE=pl.col("TOTDOSE").fill_null(0.0), PLANDOSE=pl.col("PER_CYCLE") * pl.col("CYCLES")
        )
        .with_columns(RDI=100.0 * pl.col("TOTDOSE") / pl.col("PLANDOSE"))
        .select("SUBJID", "EXTRT", pl.col("CYCLES").cast(pl.Int64), "TOTDOSE", "PLANDOSE", "RDI")
        .sort("SUBJID", pl.col("EXTRT").replace_strict({d: i for i, d in enumerate(DRUGS)}))
    )
