"""Entry times and record histories: what the EDC audit trail of each record looks like.

* :func:`entry_times` gives each record its MODDTC: the date of its latest event plus a
  realistic entry lag (a few days; some records weeks late), entered during Japanese
  office hours (00:00-11:00 UTC), never before the subject's dm record.
* :func:`with_history` adds the earlier versions: corrections (a typo first, the cohort
  value as RECVER 2, sometimes after a second wrong value as RECVER 3), AEs entered as
  ongoing and updated when they resolve, and AEs entered twice whose duplicate is later
  DELETED. The last version of every record is always the cohort's value.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import polars as pl

OFFICE_SECONDS = 11 * 3600
LATE_SHARE = 0.06  # records entered weeks after the event
CORRECTION_RATE = {"lb": 0.004, "vs": 0.03, "ae": 0.03, "dm": 0.04, "ecog": 0.01}
CORRECTED_COLUMN = {"lb": "LBORRES", "vs": "VSORRES", "ae": "AETOXGR", "dm": "AGE", "ecog": "ECOG"}
THIRD_VERSION_SHARE = 0.2
ONGOING_UPDATE_SHARE = 0.6  # AEs first entered as ongoing, closed later
DUPLICATE_RATE = 1 / 150  # AEs entered twice, the copy deleted later
FORM_CODE = {
    "dm": "DM",
    "vs": "VS",
    "mh": "MH",
    "ecog": "QS",
    "pt": "PT",
    "fish": "FI",
    "ex": "EX",
    "lb": "LB",
    "rs": "RS",
    "ae": "AE",
    "ds": "DS",
    "dd": "DD",
    "fu": "FU",
    "cm": "CM",
}


def assign_recids(records: pl.DataFrame, form: str) -> pl.DataFrame:
    """RECID = ``<FORM>-<SUBJID>-<n>`` numbered in each subject's row order."""
    seq = pl.int_range(1, pl.len() + 1).over("SUBJID")
    return records.with_columns(
        SEQ=seq,
        RECID=pl.format("{}-{}-{}", pl.lit(FORM_CODE[form]), "SUBJID", seq.cast(pl.String).str.zfill(5)),
    )


def _lag_seconds(n: int, rng: np.random.Generator) -> np.ndarray:
    days = np.minimum(1 + rng.geometric(0.3, n), 20)
    late = rng.random(n) < LATE_SHARE
    days = np.where(late, rng.integers(21, 71, n), days)
    return days * 86400 + rng.integers(0, OFFICE_SECONDS, n)


def entry_times(
    records: pl.DataFrame,
    rng: np.random.Generator,
    *,
    event: str = "EVENT",
    dm_entry: pl.DataFrame | None,
    latest: dt.datetime,
) -> pl.Series:
    """MODDTC (UTC) of each record: event date + the lag of its (SUBJID, LAG_KEY) group.

    Parameters
    ----------
    records : polars.DataFrame
        Rows with SUBJID, LAG_KEY and the ``event`` date column.
    rng : numpy.random.Generator
        Seeded source of lags.
    event : str
        Date column the lag counts from.
    dm_entry : polars.DataFrame or None
        SUBJID, DM_MODDTC: nothing of a subject is entered before its dm record.
    latest : datetime.datetime
        Entry times are capped just below it (the final transfer), so every final
        version is in the final transfer.

    Returns
    -------
    polars.Series
        Datetime series ``MODDTC``.
    """
    group = records.select(pl.struct("SUBJID", "LAG_KEY").rank("dense") - 1).to_series()
    lag = _lag_seconds(int(group.max() or 0) + 1, rng)[group.to_numpy()]
    frame = records.select(
        "SUBJID",
        (pl.col(event).cast(pl.Datetime("us")) + pl.duration(seconds=pl.Series(lag))).alias("MODDTC"),
    )
    if dm_entry is not None:
        frame = frame.join(dm_entry, on="SUBJID", how="left", maintain_order="left").with_columns(
            MODDTC=pl.max_horizontal("MODDTC", pl.col("DM_MODDTC") + pl.duration(minutes=5))
        )
    cap = latest - dt.timedelta(hours=26)
    return frame.select(pl.min_horizontal("MODDTC", pl.lit(cap))).to_series().alias("MODDTC")


def _choose(
    n_rows: int, eligible: np.ndarray, rate: float, rng: np.random.Generator, minimum: int = 1
) -> np.ndarray:
    """Boolean mask of about ``rate`` of the eligible rows (at least ``minimum``)."""
    candidates = np.nonzero(eligible)[0]
    k = min(len(candidates), max(minimum, int(round(rate * len(candidates)))))
    mask = np.zeros(n_rows, bool)
    if k:
        mask[rng.choice(candidates, size=k, replace=False)] = True
    return mask


def _transposed(text: str) -> str | None:
    """Swap the first adjacent pair of different digits; None when that gives no valid number."""
    for i in range(len(text) - 1):
        a, b = text[i], text[i + 1]
        if a.isdigit() and b.isdigit() and a != b:
            out = text[:i] + b + a + text[i + 2 :]
            return None if re.match(r"^0\d", out) else out
    return None


def typo(text: str, column: str, k: int) -> str:
    """A plausible keying error of ``text`` (variant ``k`` = 0 or 1), valid for the column.

    Codes (grade, ECOG) move by one or two steps within 0..4; AGE is transposed or off
    by one; measurements are transposed or keyed with the decimal point one place off.
    """
    if column in ("AETOXGR", "ECOG"):
        value = int(text)
        return str(
            (value + 1 if value < 4 else value - 1) if k == 0 else (value + 2 if value <= 2 else value - 2)
        )
    swapped = _transposed(text)
    if column == "AGE":
        return (swapped or str(int(text) + 1)) if k == 0 else str(int(text) - 1)
    decimals = len(text.partition(".")[2])
    tenfold = f"{float(text) * 10:.{decimals}f}"
    nudged = f"{float(text) + 10**-decimals:.{decimals}f}"
    if k == 0:
        return swapped or tenfold
    return tenfold if swapped and swapped != tenfold else nudged


def _correctable(records: pl.DataFrame, form: str) -> np.ndarray:
    column = CORRECTED_COLUMN[form]
    values = records[column]
    if form in ("lb", "vs"):
        return values.str.contains(r"^\d+(\.\d+)?$").fill_null(False).to_numpy()
    if form == "ae":
        return values.is_in(["1", "2", "3", "4"]).to_numpy()
    return values.is_not_null().to_numpy()


def _versions(
    rows: pl.DataFrame, recver: int, moddtc: pl.Expr, status: str = "ACTIVE", **changes: pl.Expr
) -> pl.DataFrame:
    return rows.with_columns(RECVER=pl.lit(recver), RECSTAT=pl.lit(status), MODDTC=moddtc, **changes)


def _corrections(
    records: pl.DataFrame, form: str, rng: np.random.Generator, cap: dt.datetime
) -> tuple[pl.DataFrame, np.ndarray]:
    """Typo versions for some records; returns (versions, mask of corrected rows)."""
    if form not in CORRECTION_RATE or records.height == 0:
        return records.clear(), np.zeros(records.height, bool)
    early = (records["MODDTC"] < cap - dt.timedelta(days=200)).to_numpy()
    mask = _choose(records.height, early & _correctable(records, form), CORRECTION_RATE[form], rng)
    chosen = records.filter(pl.Series(mask))
    column = CORRECTED_COLUMN[form]
    n = chosen.height
    third = pl.Series(rng.random(n) < THIRD_VERSION_SHARE)
    second_at = _office_time(chosen["MODDTC"], rng.integers(7, 91, n), rng)
    third_at = _office_time(second_at, rng.integers(7, 61, n), rng)
    wrong1 = pl.Series([typo(v, column, 0) for v in chosen[column].to_list()])
    wrong2 = pl.Series([typo(v, column, 1) for v in chosen[column].to_list()])
    first = _versions(chosen, 1, pl.col("MODDTC"), **{column: wrong1})
    second = _versions(
        chosen, 2, second_at, **{column: pl.when(third).then(wrong2).otherwise(pl.col(column))}
    )
    last = _versions(chosen.with_columns(THIRD_AT=third_at).filter(third), 3, pl.col("THIRD_AT")).drop(
        "THIRD_AT"
    )
    return pl.concat([first, second, last]), mask


def _office_time(after: pl.Series, days: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """``days`` whole days after ``after``, at a random time of the site's working day."""
    seconds = rng.integers(0, OFFICE_SECONDS, len(after))
    offset = pl.Series((days * 86400 + seconds) * 1_000_000).cast(pl.Duration("us"))
    return (after.dt.truncate("1d") + offset).alias("MODDTC")


def _ongoing_updates(
    records: pl.DataFrame, rng: np.random.Generator, skip: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray]:
    """AEs entered while ongoing (version 1) and closed when they resolved (version 2)."""
    eligible = (
        records["AEENDAT"].is_not_null()
        & (records["MODDTC"] - records["MODDTC_FIRST"] >= dt.timedelta(days=7))
    ).to_numpy()
    mask = _choose(records.height, eligible & ~skip, ONGOING_UPDATE_SHARE, rng, minimum=0)
    chosen = records.filter(pl.Series(mask))
    first = _versions(
        chosen,
        1,
        pl.col("MODDTC_FIRST"),
        AEENDAT=pl.lit(None, pl.String),
        AEONGO=pl.lit("Y"),
        AEOUT=pl.lit("NOT RECOVERED/NOT RESOLVED"),
    )
    return pl.concat([first, _versions(chosen, 2, pl.col("MODDTC"))]), mask


def _duplicates(
    records: pl.DataFrame, rng: np.random.Generator, skip: np.ndarray, cap: dt.datetime
) -> pl.DataFrame:
    """AEs keyed in twice: the copy (new RECID, next AESPID) is DELETED weeks later."""
    early = (records["MODDTC"] < cap - dt.timedelta(days=90)).to_numpy()
    mask = _choose(records.height, early & ~skip, DUPLICATE_RATE, rng)
    chosen = records.filter(pl.Series(mask))
    subject_max = records.group_by("SUBJID").agg(
        pl.col("SEQ").max().alias("MAXSEQ"), pl.col("AESPID").cast(pl.Int64).max().alias("MAXSPID")
    )
    chosen = chosen.join(subject_max, on="SUBJID", maintain_order="left").with_columns(
        EXTRA=pl.int_range(1, pl.len() + 1).over("SUBJID")
    )
    chosen = chosen.with_columns(
        SEQ=pl.col("MAXSEQ") + pl.col("EXTRA"),
        AESPID=(pl.col("MAXSPID") + pl.col("EXTRA")).cast(pl.String),
        RECID=pl.format(
            "AE-{}-{}", "SUBJID", (pl.col("MAXSEQ") + pl.col("EXTRA")).cast(pl.String).str.zfill(5)
        ),
        MODDTC=pl.col("MODDTC") + pl.duration(days=1),  # keyed in again the next day
    ).drop("MAXSEQ", "MAXSPID", "EXTRA")
    deleted_at = pl.col("MODDTC") + pl.duration(days=pl.Series(rng.integers(10, 41, len(chosen))))
    return pl.concat(
        [_versions(chosen, 1, pl.col("MODDTC")), _versions(chosen, 2, deleted_at, status="DELETED")]
    )


def with_history(
    records: pl.DataFrame, form: str, rng: np.random.Generator, latest: dt.datetime
) -> pl.DataFrame:
    """Every version of every record of one form.

    Parameters
    ----------
    records : polars.DataFrame
        Final versions with RECID, SEQ and MODDTC (AE: also MODDTC_FIRST, the entry
        time of the start).
    form : str
        Form name.
    rng : numpy.random.Generator
        Seeded source of randomness.
    latest : datetime.datetime
        The final transfer: every last version is entered before it.

    Returns
    -------
    polars.DataFrame
        The records' columns plus RECVER and RECSTAT, one row per version.
    """
    cap = latest - dt.timedelta(hours=26)
    corrected, mask = _corrections(records, form, rng, cap)
    parts = [corrected]
    single = ~mask
    if form == "ae" and records.height:
        updates, updated = _ongoing_updates(records, rng, mask)
        parts += [updates, _duplicates(records, rng, mask | updated, cap)]
        single &= ~updated
    parts.append(_versions(records.filter(pl.Series(single)), 1, pl.col("MODDTC")))
    return pl.concat([p for p in parts if p.height], how="vertical_relaxed").drop(
        "MODDTC_FIRST", strict=False
    )
