"""Scale mode: a random, realistic, *uncalibrated* cohort of N subjects.

Every cohort table of ``docs/DESIGN.md`` is generated (skeleton, baseline, prior_lines,
fish, course, cycles, dosing, assessments, ae), so the same renderer turns it into site
extracts. Distributions are plausible for relapsed/refractory myeloma on IRd (response
depth, time to progression, deaths, adverse events with MedDRA terms and Japanese
verbatim terms, partial dates), but nothing is fitted to the published figures.

Sites: SITEID must stay three digits. Up to 16 x 999 = 15,984 subjects the study's
16 sites 101..116 are used; larger cohorts add sites 117, 118, ... (up to 999), about
990 subjects each. This departs from the 16-site registry of the real study on
purpose: the spec allows at most 999 subjects per site (``<SITEID>-<3 digits>``).

The course endpoints (BOR, PFS, OS, TTR, DOR) are derived from the simulated
assessments with the rules of ``docs/derivations.md#imwg-response`` (:mod:`trialgen.scale_course`).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl

from trialgen import scale_course as sc
from trialgen.cohort_io import COHORT_TABLES
from trialgen.exposure import expand_administrations, lenalidomide_starting_doses
from trialgen.scale_ae import make_ae
from trialgen.study import DATA_CUTOFF, FIRST_ENROLMENT, SCHEDULE

STUDY_SITES = 16
MAX_PER_SITE = 999
SUBJECTS_PER_EXTRA_SITE = 990
LAST_SCALE_ENROLMENT = dt.date(2018, 6, 29)
ISO = "%Y-%m-%d"


def site_count(n: int) -> int:
    """Number of sites: the study's 16 while they can hold everyone, else ~990 per site."""
    if n <= STUDY_SITES * MAX_PER_SITE:
        return STUDY_SITES
    sites = math.ceil(n / SUBJECTS_PER_EXTRA_SITE)
    if 100 + sites > 999:
        raise ValueError(f"{n} subjects need more than the 899 three-digit sites 101..999")
    return sites


def site_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Uneven subjects per site (a few large sites), none above 999."""
    sites = site_count(n)
    weights = rng.dirichlet(np.full(sites, 3.0))
    sizes = np.floor(weights * n).astype(int)
    sizes[: n - sizes.sum()] += 1
    while (over := sizes - MAX_PER_SITE).max() > 0:
        excess = over.clip(0).sum()
        sizes = np.minimum(sizes, MAX_PER_SITE)
        room = MAX_PER_SITE - sizes
        give = np.floor(room / room.sum() * excess).astype(int)
        give[np.argsort(-room)[: excess - give.sum()]] += 1
        sizes += give
    return sizes


def _weekday_dates(n: int, start: dt.date, end: dt.date, rng: np.random.Generator) -> np.ndarray:
    days = np.sort(rng.integers(0, (end - start).days + 1, n))
    dates = np.datetime64(start) + days.astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    return dates + np.where(weekday >= 5, 7 - weekday, 0).astype("timedelta64[D]")


def make_skeleton(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """Who is enrolled where and when (ROLE and CYTO_RISK are filled in later)."""
    sizes = site_sizes(n, rng)
    site_of = rng.permutation(np.repeat(np.arange(101, 101 + len(sizes)), sizes))
    enrol = _weekday_dates(n, FIRST_ENROLMENT, LAST_SCALE_ENROLMENT, rng)
    consent = enrol - rng.integers(10, 29, n).astype("timedelta64[D]")
    first_dose = enrol + rng.integers(0, 4, n).astype("timedelta64[D]")
    frame = pl.DataFrame(
        {
            "SUBJNO": np.arange(1, n + 1),
            "SITEID": site_of.astype(str),
            "ICDAT": consent,
            "ENRLDAT": enrol,
            "TRTSDT": first_dose,
        }
    )
    frame = frame.with_columns(
        SUBJID=pl.format(
            "{}-{}", "SITEID", pl.int_range(1, pl.len() + 1).over("SITEID").cast(pl.String).str.zfill(3)
        )
    )
    return frame.with_columns(pl.col("ICDAT", "ENRLDAT", "TRTSDT").cast(pl.Date))


# ------------------------------------------------------------------------------ baseline
MMTYPES = ("IGG", "IGA", "IGD", "IGM", "BENCE-JONES", "LIGHT CHAIN ONLY", "NON-SECRETORY")
MMTYPE_P = (0.55, 0.2, 0.02, 0.01, 0.12, 0.07, 0.03)


def _lognormal(rng, median, sigma, n, lo, hi):
    return np.clip(rng.lognormal(np.log(median), sigma, n), lo, hi)


def _text(values: np.ndarray, decimals: int) -> list[str]:
    if decimals == 0:
        return [str(int(round(v))) for v in values]
    return [f"{v:.{decimals}f}" for v in values]


def _m_protein(mmtype: np.ndarray, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Baseline SPEP, UPEP, involved/uninvolved FLC, clear of the measurable limits."""
    heavy = np.isin(mmtype, ["IGG", "IGA", "IGD", "IGM"])
    spep = np.where(
        heavy,
        _lognormal(rng, 2.6, 0.5, n, 1.1, 8.5),
        np.where(mmtype == "BENCE-JONES", rng.choice([0, 0.2, 0.4], n), 0.0),
    )
    urine_measurable = (mmtype == "BENCE-JONES") | (heavy & (rng.random(n) < 0.25))
    upep = np.where(
        urine_measurable,
        _lognormal(rng, 700, 0.7, n, 250, 6000),
        np.where(rng.random(n) < 0.5, 0.0, rng.uniform(10, 150, n)),
    )
    upep = np.where(mmtype == "NON-SECRETORY", 0.0, upep)
    light_only = mmtype == "LIGHT CHAIN ONLY"
    involved = np.where(
        light_only,
        _lognormal(rng, 60, 0.8, n, 15, 400),
        np.where(mmtype == "NON-SECRETORY", rng.uniform(0.8, 1.6, n), _lognormal(rng, 8, 0.9, n, 1.5, 80)),
    )
    uninvolved = np.where(rng.random(n) < 0.12, 0.1, rng.uniform(0.2, 1.4, n))
    return {
        "SPEP": np.round(spep, 2),
        "UPEP": np.round(upep),
        "INVOLVED": np.round(involved, 2),
        "UNINVOLVED": np.round(uninvolved, 2),
    }


def make_baseline(skeleton: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Demographics, screening vitals, disease and central labs per subject."""
    n = skeleton.height
    male = rng.random(n) < 0.55
    mmtype = rng.choice(MMTYPES, n, p=MMTYPE_P)
    kappa = rng.random(n) < 0.62
    mp = _m_protein(mmtype, rng, n)
    height = np.where(male, rng.normal(164, 6, n), rng.normal(151, 6, n))
    weight = np.clip(np.where(male, rng.normal(61, 9, n), rng.normal(51, 8, n)), 35, 110)
    return pl.DataFrame(
        {
            "SUBJID": skeleton["SUBJID"],
            "AGE": _text(np.clip(rng.normal(67, 9, n), 35, 89), 0),
            "SEX": np.where(male, "M", "F"),
            "RACE": rng.choice(["ASIAN", "WHITE", "OTHER"], n, p=[0.98, 0.01, 0.01]),
            "HEIGHT": _text(height, 1),
            "WEIGHT": _text(weight, 1),
            "ECOG": rng.choice(["0", "1", "2"], n, p=[0.6, 0.33, 0.07]),
            "DIAGDAT": _diagnosis_dates(skeleton, rng),
            "MMTYPE": mmtype,
            "LCTYPE": np.where(kappa, "KAPPA", "LAMBDA"),
            "SPEP": _text(mp["SPEP"], 2),
            "UPEP": _text(mp["UPEP"], 0),
            "SIFE": np.where(mmtype == "NON-SECRETORY", "NEGATIVE", "POSITIVE"),
            "UIFE": np.where(mp["UPEP"] > 0, "POSITIVE", "NEGATIVE"),
            "KAPPA": _text(np.where(kappa, mp["INVOLVED"], mp["UNINVOLVED"]), 2),
            "LAMBDA": _text(np.where(kappa, mp["UNINVOLVED"], mp["INVOLVED"]), 2),
            "BMPC": _text(rng.uniform(10, 70, n), 1),
            "BMCLON": ["POSITIVE"] * n,
            "CREAT": _text(_lognormal(rng, 0.85, 0.3, n, 0.45, 3.5), 2),
            "B2M": _text(_lognormal(rng, 2.8, 0.45, n, 1.1, 12), 1),
            "ALB": _text(np.clip(rng.normal(3.8, 0.45, n), 2.5, 4.9), 1),
            "NEUT": _text(_lognormal(rng, 2.6, 0.35, n, 0.9, 7.5), 2),
            "PLAT": _text(_lognormal(rng, 180, 0.35, n, 60, 420), 0),
            "HGB": _text(
                np.clip(np.where(male, rng.normal(11.8, 1.5, n), rng.normal(11.0, 1.4, n)), 7.5, 15.5), 1
            ),
            "CA": _text(np.clip(rng.normal(9.4, 0.45, n), 8.2, 11.2), 1),
        }
    )


def _partial(
    dates: np.ndarray, consent: np.ndarray, rng: np.random.Generator, month_share: float, year_share: float
) -> list[str]:
    """ISO dates, some reduced to `YYYY-MM` / `YYYY` when still clearly before consent."""
    text = np.datetime_as_string(dates, unit="D")
    consent_text = np.datetime_as_string(consent, unit="D")
    draw = rng.random(len(text))
    out = []
    for t, c, u in zip(text, consent_text, draw):
        if u < year_share and t[:4] < c[:4]:
            out.append(t[:4])
        elif u < year_share + month_share and t[:7] < c[:7]:
            out.append(t[:7])
        else:
            out.append(t)
    return out


def _diagnosis_dates(skeleton: pl.DataFrame, rng: np.random.Generator) -> list[str]:
    first_dose = skeleton["TRTSDT"].to_numpy().astype("datetime64[D]")
    months = _lognormal(rng, 44, 0.6, skeleton.height, 9, 180)
    diag = first_dose - (months * 30.4375).astype(int).astype("timedelta64[D]")
    return _partial(diag, skeleton["ICDAT"].to_numpy().astype("datetime64[D]"), rng, 0.2, 0.05)


# --------------------------------------------------------------------------- prior lines
FIRST_LINES = (
    "BORTEZOMIB;MELPHALAN;PREDNISOLONE",
    "BORTEZOMIB;DEXAMETHASONE",
    "BORTEZOMIB;CYCLOPHOSPHAMIDE;DEXAMETHASONE",
    "THALIDOMIDE;DEXAMETHASONE",
    "MELPHALAN;PREDNISOLONE",
    "VINCRISTINE;DOXORUBICIN;DEXAMETHASONE",
)
LATER_LINES = (
    "LENALIDOMIDE;DEXAMETHASONE",
    "BORTEZOMIB;DEXAMETHASONE",
    "THALIDOMIDE;DEXAMETHASONE",
    "CARFILZOMIB;DEXAMETHASONE",
    "ELOTUZUMAB;LENALIDOMIDE;DEXAMETHASONE",
    "CYCLOPHOSPHAMIDE;DEXAMETHASONE",
)
NO_REFRACTORY = ("LENALIDOMIDE", "BORTEZOMIB", "CARFILZOMIB", "IXAZOMIB")


def make_prior_lines(skeleton: pl.DataFrame, baseline: pl.DataFrame, u: sc.Uniforms) -> pl.DataFrame:
    """1-3 prior lines between diagnosis and consent, none refractory to LEN or a PI."""
    rows = []
    diag = [
        d[:7] + "-15" if len(d) == 7 else d[:4] + "-06-30" if len(d) == 4 else d
        for d in baseline["DIAGDAT"].to_list()
    ]
    ages = baseline["AGE"].cast(pl.Int64).to_list()
    for subjid, consent, start_text, age in zip(
        skeleton["SUBJID"].to_list(), skeleton["ICDAT"].to_list(), diag, ages
    ):
        n_lines = u.pick((1, 2, 3), (0.55, 0.35, 0.10))
        begin = dt.date.fromisoformat(start_text) + dt.timedelta(days=u.integer(10, 40))
        end_all = consent - dt.timedelta(days=u.integer(45, 120))
        span = max((end_all - begin).days, 30 * n_lines)
        # line k runs between the (2k)th and (2k+1)th of 2n sorted points of the span
        bounds = sorted(1 + int(u() * (span - 1)) for _ in range(2 * n_lines - 1))
        edges = [begin] + [begin + dt.timedelta(days=b) for b in bounds] + [end_all]
        for line in range(n_lines):
            rows.append(
                _prior_line(
                    subjid, line + 1, edges[2 * line], min(edges[2 * line + 1], end_all), age, consent, u
                )
            )
    return pl.DataFrame(rows, orient="row", schema=list(COHORT_TABLES["prior_lines"]))


def _prior_line(subjid, lineno, start, end, age, consent, u: sc.Uniforms) -> list:
    drugs = u.pick(FIRST_LINES if lineno == 1 else LATER_LINES)
    asct = lineno == 1 and age < 70 and u() < 0.45
    if asct and "MELPHALAN" not in drugs:
        drugs += ";MELPHALAN"
    refractory_ok = not any(d in drugs for d in NO_REFRACTORY)
    outcome = "REFRACTORY" if refractory_ok and u() < 0.3 else "RELAPSED"
    best = u.pick(("CR", "VGPR", "PR", "MR", "SD"), (0.15, 0.3, 0.4, 0.08, 0.07))
    start_text = start.isoformat()
    if u() < 0.12 and start_text[:7] < consent.isoformat()[:7]:
        start_text = start_text[:7]
    return [
        subjid,
        str(lineno),
        drugs,
        start_text,
        end.isoformat(),
        "Y" if asct else "N",
        end.isoformat() if asct else None,
        best,
        outcome,
    ]


# ----------------------------------------------------------------------------------- FISH
FISH_TESTS = ("DEL17P", "T4_14", "T14_16", "T11_14", "DEL13")
FISH_POSITIVE_P = {"DEL17P": 0.1, "T4_14": 0.12, "T14_16": 0.03, "T11_14": 0.15, "DEL13": 0.4}
FISH_CUTOFF = {"DEL17P": 5.0, "T4_14": 3.0, "T14_16": 3.0, "T11_14": 3.0, "DEL13": 10.0}


def make_fish(skeleton: pl.DataFrame, rng: np.random.Generator) -> tuple[pl.DataFrame, list[str]]:
    """FISH results per subject and test, and the cytogenetic risk they give."""
    n = skeleton.height
    status = rng.choice(["DONE", "NOT DONE", "FAILED"], n, p=[0.88, 0.08, 0.04])
    frames, high = [], np.zeros(n, bool)
    for test in FISH_TESTS:
        positive = rng.random(n) < FISH_POSITIVE_P[test]
        cut = FISH_CUTOFF[test]
        pct = np.where(positive, rng.uniform(cut * 1.5, 80, n), rng.uniform(0, cut * 0.5, n))
        done = status == "DONE"
        if test in ("DEL17P", "T4_14", "T14_16"):
            high |= done & positive
        frames.append(
            pl.DataFrame(
                {
                    "SUBJID": skeleton["SUBJID"],
                    "FISHTEST": [test] * n,
                    "FISHSTAT": status,
                    "PCTPOS": [f"{p:.1f}" if d else None for p, d in zip(pct, done)],
                }
            )
        )
    risk = np.where(high, "HIGH", np.where(status == "DONE", "STANDARD", "NOT AVAILABLE"))
    return pl.concat(frames).sort("SUBJID", maintain_order=True), risk.tolist()


# ---------------------------------------------------------------------------------- course
BEST_LEVELS = ("SCR", "CR", "VGPR", "PR", "MR", "SD")
BEST_P = (0.06, 0.12, 0.27, 0.33, 0.08, 0.14)
SUBSEQUENT = (
    "POMALIDOMIDE;DEXAMETHASONE",
    "DARATUMUMAB;LENALIDOMIDE;DEXAMETHASONE",
    "CARFILZOMIB;DEXAMETHASONE",
    "DARATUMUMAB;BORTEZOMIB;DEXAMETHASONE",
    "ELOTUZUMAB;POMALIDOMIDE;DEXAMETHASONE",
    "OTHER",
)


def _measurability(baseline: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(any measurable, urine-only MR possible, FLC-only) per subject."""
    from trialgen.labs import (
        baseline_disease,  # shared rule, docs/derivations.md#baseline-disease-and-measurable-parameters
    )

    disease = baseline_disease(baseline)
    serum, urine, flc = (disease[c].to_numpy() for c in ("MEAS_SERUM", "MEAS_URINE", "MEAS_FLC"))
    urine_mr_ok = serum | (disease["UPEP0"].to_numpy() >= 560)
    return serum | urine | flc, urine_mr_ok, flc


def _draws(n: int, baseline: pl.DataFrame, rng: np.random.Generator, u: sc.Uniforms) -> list[sc.Draws]:
    measurable, urine_mr_ok, flc_only = _measurability(baseline)
    best = rng.choice(BEST_LEVELS, n, p=BEST_P)
    allow_mr = ~flc_only & urine_mr_ok
    best = np.where((best == "MR") & ~allow_mr, "PR", best)
    pfs_months = rng.exponential(np.vectorize(sc.PFS_MEDIAN_MONTHS.get)(best) / np.log(2))
    reason_u = rng.random(n)
    stop_reason = np.select(
        [reason_u < 0.12, reason_u < 0.16, reason_u < 0.18],
        ["ADVERSE EVENT", "WITHDRAWAL BY SUBJECT", "DEATH"],
        "",
    )
    stop_cycle = rng.integers(1, 24, n)
    delays = np.where(rng.random((n, 64)) < 0.08, 7, 0).astype(np.int8)
    subseq_gap = np.where(rng.random(n) < 0.75, rng.integers(10, 60, n), -1)
    death_gap = np.where(rng.random(n) < 0.55, 60 + rng.exponential(540, n).astype(int), -1)
    non_lab = (rng.random(n) < 0.1) | ~measurable
    return [
        sc.Draws(
            best=str(best[i]),
            path=sc.level_path(str(best[i]), u, 120, bool(allow_mr[i])),
            pfs_day=int(30 + pfs_months[i] * 30.4375),
            non_lab_pd=bool(non_lab[i]),
            stop_cycle=int(stop_cycle[i]) if stop_reason[i] else None,
            stop_reason=str(stop_reason[i]) or None,
            delays=delays[i].tolist(),
            subseq_gap=int(subseq_gap[i]) if subseq_gap[i] >= 0 else None,
            death_gap=int(death_gap[i]) if death_gap[i] >= 0 else None,
        )
        for i in range(n)
    ]


def simulate_courses(
    skeleton: pl.DataFrame, baseline: pl.DataFrame, rng: np.random.Generator, u: sc.Uniforms
) -> tuple[list[sc.Course], np.ndarray, np.ndarray]:
    """Course of every subject; also (NOASSESS flags, measurable flags)."""
    n = skeleton.height
    measurable = _measurability(baseline)[0]
    noassess = rng.random(n) < 0.02
    cutoff_day = (np.datetime64(DATA_CUTOFF) - skeleton["TRTSDT"].to_numpy().astype("datetime64[D]")).astype(
        int
    ) + 1
    draws = _draws(n, baseline, rng, u)
    early_stop = rng.choice(["ADVERSE EVENT", "WITHDRAWAL BY SUBJECT"], n)
    courses = []
    for i in range(n):
        d = draws[i]
        if noassess[i]:
            d.stop_reason = str(early_stop[i])
        courses.append(sc.simulate(d, int(cutoff_day[i]), bool(noassess[i]), bool(measurable[i]), u))
    return courses, noassess, measurable


def make_cycles(skeleton: pl.DataFrame, courses: list[sc.Course]) -> pl.DataFrame:
    subjid = skeleton["SUBJID"].to_list()
    rows = [(subjid[i], k + 1, s) for i, c in enumerate(courses) for k, s in enumerate(c.cycle_starts)]
    return pl.DataFrame(
        rows, schema={"SUBJID": pl.String, "CYCLE": pl.Int64, "START_DAY": pl.Int64}, orient="row"
    )


def make_dosing(skeleton: pl.DataFrame, courses: list[sc.Course], u: sc.Uniforms) -> pl.DataFrame:
    """Exceptions to the schedule: reductions, held doses, a drug stopped, PD stops."""
    rows = []
    subjid = skeleton["SUBJID"].to_list()
    for i, course in enumerate(courses):
        n_cycles = len(course.cycle_starts)
        if course.stop is not None:
            cycle, first_day = course.stop
            for drug, (_, days) in SCHEDULE.items():
                later = [d for d in days if d >= first_day]
                if later:
                    rows.append((subjid[i], drug, cycle, later[0], "STOPPED", None, None))
        if n_cycles >= 3:
            rows += _random_exceptions(subjid[i], n_cycles, u)
    frame = pl.DataFrame(
        rows,
        schema={
            "SUBJID": pl.String,
            "EXTRT": pl.String,
            "CYCLE": pl.Int64,
            "CYDAY": pl.Int64,
            "ACTION": pl.String,
            "LEVEL": pl.Int64,
            "EXADJ": pl.String,
        },
        orient="row",
    )
    return frame.unique(
        ["SUBJID", "EXTRT", "CYCLE", "CYDAY", "ACTION"], keep="first", maintain_order=True
    ).sort("SUBJID", "CYCLE", "CYDAY", "EXTRT")


def _random_exceptions(subjid: str, n_cycles: int, u: sc.Uniforms) -> list[tuple]:
    rows = []
    for drug, share in (("LENALIDOMIDE", 0.3), ("IXAZOMIB", 0.15), ("DEXAMETHASONE", 0.35)):
        if u() < share:
            cycle = u.integer(2, n_cycles + 1)
            rows.append((subjid, drug, cycle, 1, "LEVEL", 1, "DOSE LEVEL REDUCED"))
    if u() < 0.35:
        for _ in range(u.integer(1, 4)):
            drug = u.pick(tuple(SCHEDULE))
            day = u.pick(SCHEDULE[drug][1])
            cycle = u.integer(1, n_cycles)
            reason = u.pick(("ADVERSE EVENT", "MISSED", "OTHER"), (0.6, 0.3, 0.1))
            rows.append((subjid, drug, cycle, day, "HELD", None, reason))
    return rows


def _last_doses(
    cycles: pl.DataFrame, dosing: pl.DataFrame, baseline: pl.DataFrame, skeleton: pl.DataFrame
) -> pl.DataFrame:
    """LAST_DOSE_DAY (last dose taken up to the cutoff) and CYCLES per subject.

    Only the last two cycles are expanded (a drug stopped before them is stopped from
    their start): every scale-mode cycle has doses taken, so the last dose lies there
    and the number of treatment cycles is the number of cycles.
    """
    keys = ["SUBJID", "EXTRT", "CYCLE", "CYDAY", "ACTION"]
    counts = cycles.group_by("SUBJID").agg(CYCLES=pl.len(), FIRST=pl.col("CYCLE").max() - 1)
    tail = cycles.join(counts, on="SUBJID", maintain_order="left").filter(pl.col("CYCLE") >= pl.col("FIRST"))
    exceptions = dosing.join(counts, on="SUBJID", maintain_order="left")
    stopped_before = exceptions.filter(
        (pl.col("CYCLE") < pl.col("FIRST")) & (pl.col("ACTION") == "STOPPED")
    ).with_columns(CYCLE=pl.max_horizontal("FIRST", 1), CYDAY=pl.lit(1, pl.Int64))
    tail_dosing = pl.concat([exceptions.filter(pl.col("CYCLE") >= pl.col("FIRST")), stopped_before]).unique(
        keys, keep="first", maintain_order=True
    )
    start = lenalidomide_starting_doses(baseline).select("SUBJID", "LENSTDOS")
    admin = expand_administrations(tail.select(cycles.columns), tail_dosing.select(dosing.columns), start)
    cutoff = skeleton.select(
        "SUBJID", ((pl.lit(DATA_CUTOFF) - pl.col("TRTSDT")).dt.total_days() + 1).alias("CUTOFF_DAY")
    )
    taken = admin.join(cutoff, on="SUBJID", maintain_order="left").filter(
        (pl.col("EXDOSE") > 0) & (pl.col("DAY") <= pl.col("CUTOFF_DAY"))
    )
    last = taken.group_by("SUBJID").agg(LAST_DOSE_DAY=pl.col("DAY").max())
    return last.join(counts.select("SUBJID", "CYCLES"), on="SUBJID")


def make_course_table(
    skeleton: pl.DataFrame,
    courses: list[sc.Course],
    doses: pl.DataFrame,
    evaluable: np.ndarray,
    u: sc.Uniforms,
) -> pl.DataFrame:
    """course.csv: treatment, follow-up and the intended endpoints."""
    dose = dict(zip(doses["SUBJID"].to_list(), doses.select("LAST_DOSE_DAY", "CYCLES").rows()))
    cutoff_days = (np.datetime64(DATA_CUTOFF) - skeleton["TRTSDT"].to_numpy().astype("datetime64[D]")).astype(
        int
    ) + 1
    rows = []
    for i, (subjid, course) in enumerate(zip(skeleton["SUBJID"].to_list(), courses)):
        last_dose, cycles = dose[subjid]
        rows.append(
            _course_row(subjid, course, last_dose, cycles, int(cutoff_days[i]), bool(evaluable[i]), u)
        )
    return pl.DataFrame(rows, orient="row", schema=list(COHORT_TABLES["course"]), infer_schema_length=None)


def _course_row(subjid, course: sc.Course, last_dose, cycles, cutoff_day, evaluable, u: sc.Uniforms):
    _finish_follow_up(course, last_dose, cutoff_day, u)
    seen = [
        last_dose,
        *(v.day for v in course.visits),
        *course.cycle_starts,
        course.eot_day or 0,
        course.subseq_day or 0,
    ]
    eos_day = eos_reason = None
    if course.death_day is not None:
        last_alive, eos_day, eos_reason = course.death_day, course.death_day, "DEATH"
    elif course.eot_reason == "WITHDRAWAL BY SUBJECT":
        last_alive = max(seen)
        eos_day, eos_reason = last_alive, "WITHDRAWAL BY SUBJECT"
    elif course.eot_day is not None and u() < 0.03:
        last_alive = min(cutoff_day, max(seen) + u.integer(0, 120))
        eos_day, eos_reason = last_alive, "LOST TO FOLLOW-UP"
    elif course.eot_day is not None:
        last_alive = max(max(seen), cutoff_day - u.integer(0, 45))
    else:
        last_alive = max(seen)
    ends = sc.derive_endpoints(course.visits, course.subseq_day, course.death_day, evaluable)
    os_day, os_cnsr = (course.death_day, 0) if course.death_day else (last_alive, 1)
    return [
        subjid,
        cycles,
        last_dose,
        course.eot_day,
        course.eot_reason,
        course.subseq_day,
        u.pick(SUBSEQUENT) if course.subseq_day else None,
        course.death_day,
        course.death_cause,
        last_alive,
        eos_day,
        eos_reason,
        ends.bor,
        ends.pfs_day,
        ends.pfs_cnsr,
        os_day,
        os_cnsr,
        ends.ttr_pr_day,
        ends.ttr_vgpr_day,
        ends.dor_day,
        ends.dor_cnsr,
        os_day,
    ]


def _finish_follow_up(course: sc.Course, last_dose: int, cutoff_day: int, u: sc.Uniforms) -> None:
    """Deaths without progression after treatment; nothing after a death."""
    if course.death_day is None and course.eot_day is not None and u() < 0.04:
        start = max([last_dose + 31, course.eot_day, *(v.day for v in course.visits)]) + 1
        if start < cutoff_day:
            course.death_day = u.integer(start, cutoff_day + 1)
            course.death_cause = u.pick(("OTHER", "UNKNOWN"))
    if course.death_day is not None:
        course.visits = [v for v in course.visits if v.day <= course.death_day]
        if course.subseq_day is not None and course.subseq_day >= course.death_day:
            course.subseq_day = None


def make_assessments(skeleton: pl.DataFrame, courses: list[sc.Course], u: sc.Uniforms) -> pl.DataFrame:
    """assessments.csv; the investigator agrees with the labs except ~3% (one level less)."""
    rows = []
    for subjid, course in zip(skeleton["SUBJID"].to_list(), courses):
        for v in course.visits:
            investigator = "PD" if v.category == "NLPD" else v.category
            if investigator in ("CR", "VGPR", "PR") and u() < 0.03:
                investigator = {"CR": "VGPR", "VGPR": "PR", "PR": "MR"}[investigator]
            rows.append(
                (subjid, v.visit, v.day, v.category, "Y" if v.marrow else "N", investigator, v.reason)
            )
    return pl.DataFrame(rows, orient="row", schema=list(COHORT_TABLES["assessments"]))


def scale_cohort(n: int, seed: int = 1) -> dict[str, pl.DataFrame]:
    """Generate every cohort table for ``n`` subjects.

    Parameters
    ----------
    n : int
        Number of subjects (>= 1).
    seed : int
        Seed of every random choice (same n and seed give the same cohort).

    Returns
    -------
    dict of str to polars.DataFrame
        Table name -> frame with the ``docs/DESIGN.md`` columns (text columns).
    """
    if n < 1:
        raise ValueError("the number of subjects must be at least 1")
    rng = np.random.default_rng([seed, 7])
    u = sc.Uniforms(np.random.default_rng([seed, 8]))
    skeleton = make_skeleton(n, rng)
    baseline = make_baseline(skeleton, rng)
    fish, risk = make_fish(skeleton, rng)
    courses, noassess, measurable = simulate_courses(skeleton, baseline, rng, u)
    cycles = make_cycles(skeleton, courses)
    dosing = make_dosing(skeleton, courses, u)
    doses = _last_doses(cycles, dosing, baseline, skeleton)
    evaluable = measurable & ~noassess & np.array([bool(c.visits) for c in courses])
    course = make_course_table(skeleton, courses, doses, evaluable, u)
    roles = _roles(courses, noassess, measurable)
    skeleton = skeleton.with_columns(ROLE=pl.Series(roles), CYTO_RISK=pl.Series(risk))
    tables = {
        "skeleton": skeleton,
        "baseline": baseline,
        "prior_lines": make_prior_lines(skeleton, baseline, u),
        "fish": fish,
        "course": course,
        "cycles": cycles,
        "dosing": dosing,
        "assessments": make_assessments(skeleton, courses, u),
        "ae": make_ae(skeleton, course, courses, rng),
    }
    return {name: _as_text(tables[name]) for name in COHORT_TABLES}


def _roles(courses, noassess, measurable) -> list[str | None]:
    roles = []
    for course, na, meas in zip(courses, noassess, measurable):
        role = (
            "NOASSESS"
            if na
            else "NONMEAS"
            if not meas
            else "AEDEATH"
            if course.fatal_ae
            else "PDDEATH"
            if course.death_cause == "PROGRESSIVE DISEASE"
            else None
        )
        roles.append(role)
    return roles


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, dates ISO, like a cohort read from disk."""
    return frame.with_columns(
        [
            pl.col(c).dt.strftime(ISO) if frame[c].dtype == pl.Date else pl.col(c).cast(pl.String)
            for c in frame.columns
        ]
    )
