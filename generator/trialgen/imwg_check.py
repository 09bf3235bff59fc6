"""Independent IMWG classifier of rendered central-lab results (self-check of the renderer).

Written from ``docs/derivations.md#imwg-response`` without reusing anything of
:mod:`trialgen.labs`: it reads the lab records as a site file carries them and says,
per post-baseline assessment, which category the labs show *before* confirmation.
Tests compare it with the cohort's intended ``assessments.csv`` CATEGORY.

Rules implemented (all thresholds are inclusive lower bounds of the reduction):

- baseline = last value on or before the first dose; measurable: serum >= 1 g/dL,
  urine >= 200 mg/24h, FLC only when neither (involved >= 10 mg/dL with a kappa/lambda
  ratio < 0.26 or > 1.65); only measurable parameters count afterwards;
- an assessment = the post-baseline lab results of one VISIT, dated at the earliest LBDAT
  of SPEP, UPEP, SIFE, UIFE, KAPPA, LAMBDA; UNSCHEDULED results by 3-day windows (a window
  starts at the earliest UNSCHEDULED date not yet in one and takes every UNSCHEDULED result
  dated at most 3 days after it, day 3 included);
- PD first, against the nadir (lowest value at baseline or any earlier assessment);
- then sCR, CR, VGPR, PR, MR (FLC-only: no MR), else SD; with serum and urine both
  measurable, a category needs both criteria.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

M_PROTEIN_TESTS = ("SPEP", "UPEP", "SIFE", "UIFE", "KAPPA", "LAMBDA")
UNSCHEDULED_WINDOW_DAYS = 3
MARROW_TESTS = ("BMPC", "BMCLON")


def parse_result(text: str | None) -> float | str | None:
    """Lab result text as used by the rules: numbers, 0 for NOT DETECTED, x for `<x`."""
    if text is None or text == "":
        return None
    if text == "NOT DETECTED":
        return 0.0
    if text in ("POSITIVE", "NEGATIVE"):
        return text
    return float(text.lstrip("<"))


@dataclass
class Baseline:
    """Baseline values and which parameters are measurable."""

    serum: float
    urine: float
    dflc: float
    serum_measurable: bool
    urine_measurable: bool
    flc_measurable: bool

    @property
    def any_measurable(self) -> bool:
        return self.serum_measurable or self.urine_measurable or self.flc_measurable


@dataclass
class Assessment:
    """One post-baseline assessment's lab results."""

    visit: str
    date: dt.date
    results: dict[str, float | str] = field(default_factory=dict)


def involved_minus_uninvolved(results: dict, lctype: str) -> float:
    """dFLC: involved chain (mh.LCTYPE) minus uninvolved chain."""
    kappa, lam = results["KAPPA"], results["LAMBDA"]
    return kappa - lam if lctype == "KAPPA" else lam - kappa


def baseline_of(records: list[dict], first_dose: dt.date, lctype: str) -> Baseline:
    """Baseline values (last on or before the first dose) and measurability."""
    latest: dict[str, tuple[dt.date, float | str]] = {}
    for rec in records:
        day = dt.date.fromisoformat(rec["LBDAT"])
        value = parse_result(rec["LBORRES"])
        if (
            day <= first_dose
            and value is not None
            and (rec["LBTESTCD"] not in latest or day >= latest[rec["LBTESTCD"]][0])
        ):
            latest[rec["LBTESTCD"]] = (day, value)
    value = {test: v for test, (_, v) in latest.items()}
    serum, urine = value.get("SPEP", 0.0), value.get("UPEP", 0.0)
    kappa, lam = value.get("KAPPA", 1.0), value.get("LAMBDA", 1.0)
    involved = kappa if lctype == "KAPPA" else lam
    ratio = kappa / lam
    serum_meas, urine_meas = serum >= 1.0, urine >= 200.0
    flc_meas = not serum_meas and not urine_meas and involved >= 10.0 and (ratio < 0.26 or ratio > 1.65)
    dflc = involved_minus_uninvolved({"KAPPA": kappa, "LAMBDA": lam}, lctype)
    return Baseline(serum, urine, dflc, serum_meas, urine_meas, flc_meas)


def window_starts(days: list[dt.date]) -> dict[dt.date, dt.date]:
    """Start of the 3-day window of every date, walking the dates in order (greedy).

    A window starts at the earliest date not yet in one and takes every date at most
    ``UNSCHEDULED_WINDOW_DAYS`` after it: days 0, 2, 4 give {0, 2} and {4}.
    """
    starts: dict[dt.date, dt.date] = {}
    start = None
    for day in sorted(set(days)):
        if start is None or (day - start).days > UNSCHEDULED_WINDOW_DAYS:
            start = day
        starts[day] = start
    return starts


def group_assessments(records: list[dict], first_dose: dt.date) -> list[Assessment]:
    """Post-baseline M-protein/FLC results grouped into assessments, in date order."""
    kept = [
        rec
        for rec in records
        if rec["LBTESTCD"] in M_PROTEIN_TESTS and dt.date.fromisoformat(rec["LBDAT"]) > first_dose
    ]
    window = window_starts(
        [
            dt.date.fromisoformat(rec["LBDAT"])
            for rec in kept
            if rec["VISIT"] == "UNSCHEDULED" and parse_result(rec["LBORRES"]) is not None
        ]
    )
    groups: dict[tuple[str, dt.date | None], Assessment] = {}
    for rec in kept:
        day = dt.date.fromisoformat(rec["LBDAT"])
        # (a result-less UNSCHEDULED record outside every window keeps its own date)
        key = (rec["VISIT"], window.get(day, day) if rec["VISIT"] == "UNSCHEDULED" else None)
        group = groups.setdefault(key, Assessment(rec["VISIT"], day))
        group.date = min(group.date, day)
        group.results[rec["LBTESTCD"]] = parse_result(rec["LBORRES"])
    return sorted(groups.values(), key=lambda a: (a.date, a.visit))


def marrow_samples(records: list[dict], first_dose: dt.date) -> list[tuple[dt.date, dict]]:
    """Post-baseline marrow results (BMPC, BMCLON) per sample date, in date order."""
    samples: dict[dt.date, dict] = {}
    for rec in records:
        day = dt.date.fromisoformat(rec["LBDAT"])
        if rec["LBTESTCD"] in MARROW_TESTS and day > first_dose:
            samples.setdefault(day, {})[rec["LBTESTCD"]] = parse_result(rec["LBORRES"])
    return sorted(samples.items(), key=lambda item: item[0])


def is_progression(base: Baseline, results: dict, nadir: dict, lctype: str) -> bool:
    """PD against the nadir in any measurable parameter."""
    if base.serum_measurable:
        low = nadir["serum"]
        step = 1.0 if low >= 5.0 else 0.5
        if results["SPEP"] >= 1.25 * low and results["SPEP"] - low >= step:
            return True
    if base.urine_measurable:
        low = nadir["urine"]
        if results["UPEP"] >= 1.25 * low and results["UPEP"] - low >= 200.0:
            return True
    if base.flc_measurable:
        low = nadir["dflc"]
        dflc = involved_minus_uninvolved(results, lctype)
        if dflc >= 1.25 * low and dflc - low > 10.0:
            return True
    return False


def meets(level: str, base: Baseline, results: dict, lctype: str) -> bool:
    """Whether every measurable parameter meets its criterion for VGPR, PR or MR."""
    checks = []
    if base.serum_measurable:
        s, s0 = results["SPEP"], base.serum
        checks.append(
            {
                "VGPR": (s == 0 and results["SIFE"] == "POSITIVE") or s <= 0.1 * s0,
                "PR": s <= 0.5 * s0,
                "MR": s <= 0.75 * s0,
            }[level]
        )
    if base.urine_measurable:
        u, u0 = results["UPEP"], base.urine
        checks.append(
            {
                "VGPR": (u == 0 and results["UIFE"] == "POSITIVE") or u < 100,
                "PR": u <= 0.1 * u0 or u < 200,
                "MR": u <= 0.5 * u0,
            }[level]
        )
    if base.flc_measurable:
        d = involved_minus_uninvolved(results, lctype)
        checks.append({"VGPR": d < 0.1 * base.dflc, "PR": d <= 0.5 * base.dflc, "MR": False}[level])
    return bool(checks) and all(checks)


def classify(base: Baseline, results: dict, nadir: dict, marrow: dict | None, lctype: str) -> str:
    """Category of one assessment before confirmation."""
    if is_progression(base, results, nadir, lctype):
        return "PD"
    complete = (
        results["SIFE"] == "NEGATIVE"
        and results["UIFE"] == "NEGATIVE"
        and marrow is not None
        and marrow["BMPC"] < 5.0
    )
    if complete:
        ratio = results["KAPPA"] / results["LAMBDA"]
        stringent = 0.26 <= ratio <= 1.65 and marrow["BMCLON"] == "NEGATIVE"
        return "SCR" if stringent else "CR"
    for level in ("VGPR", "PR", "MR"):
        if meets(level, base, results, lctype):
            return level
    return "SD"


def classify_subject(records: list[dict], first_dose: dt.date, lctype: str) -> list[dict]:
    """Per-assessment categories of one subject (empty when nothing is measurable)."""
    base = baseline_of(records, first_dose, lctype)
    if not base.any_measurable:
        return []
    nadir = {"serum": base.serum, "urine": base.urine, "dflc": base.dflc}
    marrows = marrow_samples(records, first_dose)
    out = []
    for assessment in group_assessments(records, first_dose):
        marrow = None
        for day, sample in marrows:
            if day <= assessment.date:
                marrow = sample
        results = assessment.results
        out.append(
            {
                "VISIT": assessment.visit,
                "DATE": assessment.date,
                "CATEGORY": classify(base, results, nadir, marrow, lctype),
            }
        )
        nadir["serum"] = min(nadir["serum"], results["SPEP"])
        nadir["urine"] = min(nadir["urine"], results["UPEP"])
        nadir["dflc"] = min(nadir["dflc"], involved_minus_uninvolved(results, lctype))
    return out


def classify_delivery(lb: pl.DataFrame, mh: pl.DataFrame, ex: pl.DataFrame) -> pl.DataFrame:
    """Classify every subject's assessments from current lb, mh and ex records.

    Parameters
    ----------
    lb, mh, ex : polars.DataFrame
        Current ACTIVE records of the forms (text columns as in the files).

    Returns
    -------
    polars.DataFrame
        SUBJID, VISIT, DATE, CATEGORY for subjects with measurable disease.
    """
    first_dose = {
        r["SUBJID"]: dt.date.fromisoformat(r["EXSTDAT"])
        for r in ex.filter(pl.col("EXDOSE").cast(pl.Float64) > 0)
        .group_by("SUBJID")
        .agg(pl.col("EXSTDAT").min())
        .iter_rows(named=True)
    }
    lctype = dict(zip(mh["SUBJID"].to_list(), mh["LCTYPE"].to_list()))
    rows = []
    for (subjid,), part in lb.sort("SUBJID").group_by("SUBJID", maintain_order=True):
        if subjid not in first_dose:
            continue
        for row in classify_subject(part.to_dicts(), first_dose[subjid], lctype[subjid]):
            rows.append({"SUBJID": subjid, **row})
    schema = {"SUBJID": pl.String, "VISIT": pl.String, "DATE": pl.Date, "CATEGORY": pl.String}
    return pl.DataFrame(rows, schema=schema)
