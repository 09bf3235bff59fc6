"""Solve the baseline part of the demo cohort: ``baseline.csv``, ``prior_lines.csv``, ``fish.csv``.

Every Table 1 figure of ``seeds/published_results.csv`` must come out of these
files when they are derived by the rules of ``docs/derivations.md#adsl-derivations``, for the 34 subjects of
``skeleton.csv``. The solve has three steps:

1. **Timeline slots** (direct construction). The continuous time figures are
   fixed by design as 34 *slots*: months from diagnosis to first dose (median
   44.4, min 10, max 176) and, for 23 slots, months from the last ASCT (median
   38.8). Any assignment of subjects to slots reproduces these figures.
2. **Categorical assignment** (HiGHS MILP via :func:`scipy.optimize.milp`). One
   model chooses, per subject, a slot, a prior-therapy history from a catalogue
   of plausible regimen sequences, sex with creatinine-clearance category, ISS,
   ECOG, myeloma type and FISH positives. Count constraints give the published
   n's (including the footnoted thalidomide+lenalidomide and
   bortezomib+carfilzomib overlaps); feasibility constraints tie a history to a
   slot only when its lines fit between diagnosis and consent with realistic
   durations and drug availability; small costs prefer clinically plausible
   combinations (older patients not transplanted, ISS III with renal
   impairment, t(4;14) with del(13) ...).
3. **Values** (direct construction). Heights and weights give the published BSA
   figures (DuBois); creatinine is set so that Cockcroft-Gault lands well inside
   the chosen category; B2M/albumin well inside the ISS stage; M-protein, FLC
   and FISH values clear of every threshold.

The result is verified by deriving Table 1 back with :mod:`analysis.demographics`
and comparing with the published values after rounding half away from zero.
Run ``python -m trialgen.solve.solve_baseline``; it rewrites the three files
byte-identically.

References
----------
.. [1] ``docs/derivations.md#adsl-derivations`` (derivation rules), ``docs/extract-contract.md#4-the-14-forms`` (codes),
   docs/DESIGN.md (file schemas).
.. [2] Int J Clin Oncol. 2022;27:224-233, Table 1.
.. [3] Huangfu Q, Hall JAJ. Parallelizing the dual revised simplex method.
   Math Prog Comp. 2018;10:119-142 (HiGHS).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_array

from analysis.demographics import table1_rows
from analysis.rounding import round_half_away
from trialgen import baseline_rules as rules
from trialgen.cohort_io import COHORT_TABLES

REPO = Path(__file__).resolve().parents[3]  # generator/trialgen/solve/ -> repository root (seeds/)
COHORT_DIR = Path(__file__).resolve().parents[1] / "cohort"
PUBLISHED_CSV = REPO / "seeds" / "published_results.csv"
SEED = 20170113

BASELINE_COLUMNS = list(COHORT_TABLES["baseline"])  # the one column list: trialgen.cohort_io
PRIOR_LINE_COLUMNS = list(COHORT_TABLES["prior_lines"])
FISH_COLUMNS = ["SUBJID", "FISHTEST", "FISHSTAT", "PCTPOS"]
FISH_TESTS = ("DEL13", "DEL17P", "T11_14", "T14_16", "T4_14")  # sorted: the file's row order

# --------------------------------------------------------------------------- published counts
AGES = (
    40,
    47,
    52,
    55,
    57,
    59,
    60,
    62,
    63,
    64,
    64,
    65,
    65,
    66,
    66,
    66,
    67,
    67,
    68,
    68,
    69,
    70,
    70,
    71,
    71,
    72,
    73,
    73,
    74,
    74,
    75,
    76,
    77,
    78,
)  # median 67
N_MALE = 19
CRCL_COUNTS = {"30 to <60": 10, "60 to <90": 15, ">=90": 9}
ISS_COUNTS = {"I": 28, "II": 5, "III": 1}
ECOG_COUNTS = {0: 25, 1: 9}
MMTYPE_COUNTS = {"IGG": 24, "IGA": 4, "BENCE-JONES": 5, "LIGHT CHAIN ONLY": 1}
LINE_COUNTS = {1: 21, 2: 12, 3: 1}
RELREF_COUNTS = {"RELAPSED": 31, "REFRACTORY": 3}
N_ASCT = 23
DRUG_COUNTS = {
    "THALIDOMIDE": 5,
    "LENALIDOMIDE": 8,
    "POMALIDOMIDE": 0,
    "BORTEZOMIB": 30,
    "CARFILZOMIB": 2,
    "IXAZOMIB": 0,
}
N_IMID, N_PI = 12, 31  # with the overlaps: one thalidomide+lenalidomide, one bortezomib+carfilzomib
FISH_POSITIVE_COUNTS = {"DEL13": 15, "DEL17P": 4, "T4_14": 7, "T11_14": 2, "T14_16": 1}
IGH_TRANSLOCATIONS = ("T4_14", "T14_16", "T11_14")  # one IgH partner per clone

# BSA targets (m²) per sex: min 1.20 (F), max 2.03 (M); the 17th/18th values 1.619/1.621
# give a median of 1.620 that no 0.1 cm / 0.1 kg rounding can move off 1.62.
BSA_FEMALE = (1.20, 1.31, 1.35, 1.38, 1.41, 1.43, 1.45, 1.47, 1.49, 1.51, 1.53, 1.55, 1.57, 1.60, 1.67)
BSA_MALE = (
    1.52,
    1.58,
    1.619,
    1.621,
    1.64,
    1.66,
    1.68,
    1.70,
    1.72,
    1.74,
    1.76,
    1.78,
    1.80,
    1.83,
    1.86,
    1.89,
    1.93,
    1.97,
    2.03,
)

# --------------------------------------------------------------------------- timeline slots
# Days from the last ASCT to TRTSDT (A) and from diagnosis to TRTSDT (D), as date
# differences. The 12th of the 23 A values is 1180 (38.77 months; 38.80 with +1 day):
# 38.8 either way. The 17th/18th D values are 1350/1351 (44.37/44.40 months): 44.4
# either way; min 304 days (10.0), max 5357 days (176.0). Partial dates only ever
# move a diagnosis or ASCT date earlier by < 1 year, on slots far from these ranks.
ASCT_FIRST_LINE_SLOTS = (  # (A, D): ASCT in line 1, D - A = time to first ASCT
    (300, 500),
    (395, 575),
    (470, 700),
    (560, 730),
    (650, 860),
    (740, 930),
    (830, 1070),
    (985, 1160),
    (1060, 1280),
    (1125, 1320),
    (1180, 1350),
    (1245, 1450),
    (1320, 1505),
    (1400, 1630),
    (1490, 1655),
    (1600, 1815),
    (1730, 1910),
    (1880, 2125),
    (2060, 2235),
    (2300, 2500),
    (2700, 2890),
    (5157, 5357),
)
ASCT_SALVAGE_SLOT = (905, 3300)  # second (salvage) ASCT in line 2
NO_ASCT_SLOTS = (304, 420, 610, 790, 1010, 1200, 1351, 1590, 1980, 2450, 3100)

# Partial history dates (keyed by slot D so they land on slots away from the medians).
DIAG_PARTIAL = {700: "month", 2125: "month", 2890: "year", 3300: "month"}
ASCT_PARTIAL = {700, 5357}  # last ASCT date as YYYY-MM
LINE1_START_PARTIAL = {3300, 5357, 3100}
LINE1_END_PARTIAL = {3300}

# --------------------------------------------------------------------------- regimens
# Regimen -> drugs and (min, nominal, max) duration in days of a line without ASCT.
REGIMENS = {
    "VCD": (("BORTEZOMIB", "CYCLOPHOSPHAMIDE", "DEXAMETHASONE"), (120, 180, 240)),
    "VD": (("BORTEZOMIB", "DEXAMETHASONE"), (120, 200, 365)),
    "VTD": (("BORTEZOMIB", "THALIDOMIDE", "DEXAMETHASONE"), (120, 180, 240)),
    "VRD": (("BORTEZOMIB", "LENALIDOMIDE", "DEXAMETHASONE"), (150, 240, 365)),
    "VMP": (("BORTEZOMIB", "MELPHALAN", "PREDNISOLONE"), (240, 330, 400)),
    "VAD": (("VINCRISTINE", "DOXORUBICIN", "DEXAMETHASONE"), (90, 120, 180)),
    "RD": (("LENALIDOMIDE", "DEXAMETHASONE"), (180, 365, 720)),
    "TD": (("THALIDOMIDE", "DEXAMETHASONE"), (120, 240, 720)),
    "MP": (("MELPHALAN", "PREDNISOLONE"), (150, 240, 540)),
    "MPT": (("MELPHALAN", "PREDNISOLONE", "THALIDOMIDE"), (240, 330, 420)),
    "KRD": (("CARFILZOMIB", "LENALIDOMIDE", "DEXAMETHASONE"), (168, 336, 504)),
    "KD": (("CARFILZOMIB", "DEXAMETHASONE"), (120, 240, 400)),
}
# First date a drug was available to Japanese patients (approval or import), and the
# last start of a VAD induction (replaced by bortezomib-based induction).
DRUG_AVAILABLE = {
    "BORTEZOMIB": dt.date(2006, 12, 1),
    "LENALIDOMIDE": dt.date(2010, 8, 1),
    "THALIDOMIDE": dt.date(2003, 1, 1),
    "CARFILZOMIB": dt.date(2016, 7, 1),
}
VAD_LAST_START = dt.date(2006, 12, 31)

INDUCTION_TO_ASCT = (140, 165, 210)  # line start -> ASCT (induction, harvest)
CONSOLIDATION_DAYS = {"VTD": 56, "VRD": 56}  # line end after ASCT; others end at the ASCT
START_AFTER_DIAGNOSIS = (14, 28, 60)
GAP_AFTER = {"RELAPSED": (120, 300, 2190), "NOT PROGRESSED": (14, 28, 60)}
LAST_GAP = {"RELAPSED": (90, 240, 2190), "REFRACTORY": (21, 35, 90)}
MAX_AGE_AT_ASCT = 68.0
# No history is given to more than this many subjects (fewer for the uncommon ones), so
# the cohort shows the variety of a real one rather than the single cheapest pattern.
MAX_PER_HISTORY, MAX_PER_UNCOMMON_HISTORY = 6, 2
# Neither sex may make up more than this share of a clearance category, of ECOG 1 or of
# ISS II: without it the cheapest solution puts every older patient in one sex.
MAX_SEX_SHARE = 0.75
MIN_AGE_AT_DIAGNOSIS = 35.0


@dataclass(frozen=True)
class Line:
    """One prior line of a history: regimen, whether it included ASCT, its outcome."""

    regimen: str
    asct: bool
    outcome: str  # RELAPSED, REFRACTORY, NOT PROGRESSED

    @property
    def drugs(self) -> tuple[str, ...]:
        base = REGIMENS[self.regimen][0]
        return base + (("MELPHALAN",) if self.asct and "MELPHALAN" not in base else ())


@dataclass(frozen=True)
class History:
    """A prior-therapy history: a regimen sequence with a rarity cost for the MILP."""

    code: str
    lines: tuple[Line, ...]
    rarity: float

    @property
    def drugs(self) -> set[str]:
        return {d for line in self.lines for d in line.drugs}

    @property
    def has_asct(self) -> bool:
        return any(line.asct for line in self.lines)

    @property
    def relref(self) -> str:
        outcomes = {line.outcome for line in self.lines}
        rel, ref = "RELAPSED" in outcomes, "REFRACTORY" in outcomes
        return (
            "RELAPSED AND REFRACTORY"
            if rel and ref
            else "RELAPSED"
            if rel
            else "REFRACTORY"
            if ref
            else "NEITHER"
        )


def _h(code: str, rarity: float, *lines: str) -> History:
    """Build a history from ``"VCD+ASCT:RELAPSED"``-style line specs."""
    parsed = []
    for spec in lines:
        regimen, outcome = spec.split(":")
        parsed.append(Line(regimen.removesuffix("+ASCT"), regimen.endswith("+ASCT"), outcome))
    return History(code, tuple(parsed), rarity)


R, F, NP = "RELAPSED", "REFRACTORY", "NOT PROGRESSED"
# Refractory lines never contain lenalidomide or a PI (exclusion criterion); every
# history's last line ended in relapse or refractoriness.
HISTORIES = (
    _h("VCD+ASCT", 0.0, f"VCD+ASCT:{R}"),
    _h("VD+ASCT", 0.1, f"VD+ASCT:{R}"),
    _h("VTD+ASCT", 0.3, f"VTD+ASCT:{R}"),
    _h("VRD+ASCT", 0.6, f"VRD+ASCT:{R}"),
    _h("VMP", 0.2, f"VMP:{R}"),
    _h("VD", 0.3, f"VD:{R}"),
    _h("VCD", 0.4, f"VCD:{R}"),
    _h("RD", 0.5, f"RD:{R}"),
    _h("MP-refr", 0.3, f"MP:{F}"),
    _h("TD-refr", 0.3, f"TD:{F}"),
    _h("MPT-refr", 0.5, f"MPT:{F}"),
    _h("VCD+ASCT/RD", 0.1, f"VCD+ASCT:{R}", f"RD:{R}"),
    _h("VCD+ASCT/VD", 0.2, f"VCD+ASCT:{R}", f"VD:{R}"),
    _h("VD+ASCT/KD", 0.5, f"VD+ASCT:{R}", f"KD:{R}"),
    _h("VCD+ASCT/KRD", 0.5, f"VCD+ASCT:{R}", f"KRD:{R}"),
    _h("VTD+ASCT/VD", 0.4, f"VTD+ASCT:{R}", f"VD:{R}"),
    _h("VTD+ASCT/RD", 0.4, f"VTD+ASCT:{R}", f"RD:{R}"),
    _h("VMP/RD", 0.2, f"VMP:{R}", f"RD:{R}"),
    _h("VAD+ASCT/VD", 0.5, f"VAD+ASCT:{R}", f"VD:{R}"),
    _h("TD/VD", 0.4, f"TD:{R}", f"VD:{R}"),
    _h("VMP/VD", 0.3, f"VMP:{R}", f"VD:{R}"),
    _h("VAD+ASCT/VCD+ASCT", 0.6, f"VAD+ASCT:{R}", f"VCD+ASCT:{R}"),
    _h("VD+ASCT/VCD+ASCT", 0.6, f"VD+ASCT:{R}", f"VCD+ASCT:{R}"),
    _h("MPT/KRD", 0.8, f"MPT:{R}", f"KRD:{R}"),
    _h("TD-switch/VCD+ASCT", 0.6, f"TD:{NP}", f"VCD+ASCT:{R}"),
    _h("VD-switch/RD", 0.5, f"VD:{NP}", f"RD:{R}"),
    _h("VD-switch/TD-refr", 0.6, f"VD:{NP}", f"TD:{F}"),
    _h("VAD+ASCT/VD/RD", 0.3, f"VAD+ASCT:{R}", f"VD:{R}", f"RD:{R}"),
    _h("VCD+ASCT/RD/VD", 0.3, f"VCD+ASCT:{R}", f"RD:{R}", f"VD:{R}"),
    _h("TD/VD/RD", 0.4, f"TD:{R}", f"VD:{R}", f"RD:{R}"),
    _h("VAD+ASCT/TD/VD", 0.4, f"VAD+ASCT:{R}", f"TD:{R}", f"VD:{R}"),
)


@dataclass(frozen=True)
class Slot:
    """Days from diagnosis (``diag``) and from the last ASCT (``asct``, or None) to TRTSDT."""

    diag: int
    asct: int | None


SLOTS = (
    tuple(Slot(d, a) for a, d in ASCT_FIRST_LINE_SLOTS)
    + (Slot(ASCT_SALVAGE_SLOT[1], ASCT_SALVAGE_SLOT[0]),)
    + tuple(Slot(d, None) for d in NO_ASCT_SLOTS)
)


@dataclass(frozen=True)
class Subject:
    subjid: str
    trtsdt: dt.date
    icdat: dt.date
    role: str
    cyto_risk: str
    age: int


@dataclass(frozen=True)
class LineDates:
    """Scheduled line, as day offsets from TRTSDT (negative = before first dose)."""

    start: int
    end: int
    asct: int | None


# --------------------------------------------------------------------------- scheduling
def _spread(total: int, items: list[tuple[int, int, int]]) -> list[int] | None:
    """Split ``total`` days over items (min, nominal, max); None if impossible.

    Below the nominal sum every item moves from its minimum towards its nominal
    value by the same fraction; above it, the excess goes to items in proportion to
    their headroom (remission gaps have by far the most, so they absorb it).
    """
    lo = sum(i[0] for i in items)
    nom = sum(i[1] for i in items)
    hi = sum(i[2] for i in items)
    if not lo <= total <= hi:
        return None
    if total <= nom:
        frac = 0.0 if nom == lo else (total - lo) / (nom - lo)
        values = [a + (b - a) * frac for a, b, _ in items]
    else:
        frac = (total - nom) / (hi - nom)
        values = [b + (c - b) * frac for _, b, c in items]
    # Round cumulative sums so the integer parts still add up to ``total``.
    cum = [0] + [round(v) for v in itertools.accumulate(values)]
    return [b - a for a, b in zip(cum, cum[1:])]


def _line_item(line: Line) -> tuple[int, int, int]:
    if line.asct:
        extra = CONSOLIDATION_DAYS.get(line.regimen, 0)
        return tuple(v + extra for v in INDUCTION_TO_ASCT)  # type: ignore[return-value]
    return REGIMENS[line.regimen][1]


def schedule(history: History, slot: Slot, consent_gap: int) -> list[LineDates] | None:
    """Place the lines of ``history`` between diagnosis and consent for one slot.

    Parameters
    ----------
    history : History
        Regimen sequence.
    slot : Slot
        Diagnosis at day ``-slot.diag``; the last ASCT (if any) at ``-slot.asct``.
    consent_gap : int
        TRTSDT - ICDAT in days; the last line must end before consent.

    Returns
    -------
    list of LineDates or None
        None when the lines cannot fit with the allowed durations and gaps.
    """
    if history.has_asct != (slot.asct is not None):
        return None
    lines = history.lines
    last_asct = max((k for k, line in enumerate(lines) if line.asct), default=None)
    # Items: start gap, then (line, gap) pairs, the last gap ending at consent.
    items = [START_AFTER_DIAGNOSIS]
    for k, line in enumerate(lines):
        items.append(_line_item(line))
        items.append(GAP_AFTER[line.outcome] if k < len(lines) - 1 else LAST_GAP[line.outcome])
    if last_asct is None:
        durations = _spread(slot.diag - consent_gap, items)
        if durations is None:
            return None
    else:
        # The last ASCT is anchored: items up to its induction end at -A, the rest at consent.
        split = 2 + 2 * last_asct
        consolidation = CONSOLIDATION_DAYS.get(lines[last_asct].regimen, 0)
        head = items[:split]
        head[-1] = INDUCTION_TO_ASCT
        tail = items[split:]
        first = _spread(slot.diag - slot.asct, head)
        second = _spread(slot.asct - consolidation - consent_gap, tail)
        if first is None or second is None:
            return None
        durations = first[:-1] + [first[-1] + consolidation] + second
    day = -slot.diag
    placed = []
    for k, line in enumerate(lines):
        day += durations[2 * k]
        start, end = day, day + durations[2 * k + 1]
        asct = end - CONSOLIDATION_DAYS.get(line.regimen, 0) if line.asct else None
        placed.append(LineDates(start, end, asct))
        day = end
    return placed


def era_ok(history: History, placed: list[LineDates], trtsdt: dt.date) -> bool:
    """True when every line starts after its drugs were available (VAD before bortezomib)."""
    for line, dates in zip(history.lines, placed):
        start = trtsdt + dt.timedelta(days=dates.start)
        if any(start < DRUG_AVAILABLE.get(d, dt.date.min) for d in line.drugs):
            return False
        if line.regimen == "VAD" and start > VAD_LAST_START:
            return False
    return True


def compatible(subject: Subject, slot: Slot, history: History) -> bool:
    """Whether ``subject`` can have ``history`` on ``slot`` (ages, fit, drug eras)."""
    if subject.age - slot.diag / 365.25 < MIN_AGE_AT_DIAGNOSIS:
        return False
    if slot.asct is not None and subject.age - slot.asct / 365.25 > MAX_AGE_AT_ASCT:
        return False
    placed = schedule(history, slot, (subject.trtsdt - subject.icdat).days)
    return placed is not None and era_ok(history, placed, subject.trtsdt)


# --------------------------------------------------------------------------- MILP
class _Model:
    """Minimal builder for a binary program solved by HiGHS through scipy.optimize.milp."""

    def __init__(self, rng: np.random.Generator, noise: float) -> None:
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self.rng, self.noise = rng, noise

    def var(self, cost: float = 0.0, upper: float = 1.0) -> int:
        # A tiny random cost makes the optimum unique, hence the output stable.
        self.cost.append(cost + self.noise * float(self.rng.random()))
        self.upper.append(upper)
        return len(self.cost) - 1

    def add(self, coefs: dict[int, float], lo: float, hi: float) -> None:
        self.rows.append((coefs, lo, hi))

    def solve(self) -> np.ndarray:
        r, c, v = [], [], []
        for k, (coefs, _, _) in enumerate(self.rows):
            for j, a in coefs.items():
                r.append(k)
                c.append(j)
                v.append(a)
        matrix = coo_array((v, (r, c)), shape=(len(self.rows), len(self.cost))).tocsr()
        res = milp(
            np.array(self.cost),
            integrality=np.ones(len(self.cost)),
            bounds=Bounds(0, np.array(self.upper)),
            constraints=LinearConstraint(
                matrix, [lo for _, lo, _ in self.rows], [hi for _, _, hi in self.rows]
            ),
            options={"mip_rel_gap": 0.0, "presolve": True},
        )
        if res.status != 0:
            raise RuntimeError(f"MILP not solved: {res.message}")
        return np.round(res.x).astype(int)


def _sum(variables) -> dict[int, float]:
    return {j: 1.0 for j in variables}


def natural_crcl(age: int, sex: str) -> float:
    """Cockcroft-Gault with a typical Japanese weight and creatinine for the sex."""
    weight, creat = (62.0, 0.85) if sex == "M" else (50.0, 0.65)
    return rules.cockcroft_gault(age, weight, creat, sex)


CRCL_CENTRES = {"30 to <60": 48.0, "60 to <90": 74.0, ">=90": 100.0}


@dataclass(frozen=True)
class Assignment:
    """The MILP's categorical choices for one subject."""

    slot: Slot
    history: History
    sex: str
    crcl_cat: str
    iss: str
    ecog: int
    mmtype: str
    fish_positive: frozenset[str]


def assign_categories(subjects: list[Subject]) -> list[Assignment]:
    """Choose slot, history and every baseline category per subject (one MILP).

    Parameters
    ----------
    subjects : list of Subject
        The skeleton subjects with their ages.

    Returns
    -------
    list of Assignment
        In the order of ``subjects``.
    """
    rng = np.random.default_rng(SEED)
    m = _Model(rng, noise=0.05)
    n_sub = len(subjects)
    fit = {
        (s, t, p): compatible(subj, slot, hist)
        for s, subj in enumerate(subjects)
        for t, slot in enumerate(SLOTS)
        for p, hist in enumerate(HISTORIES)
    }
    # Slot and history: x[s, t], y[s, p]; a slot needs a history that fits it.
    x = {
        (s, t): m.var(upper=float(any(fit[s, t, p] for p in range(len(HISTORIES)))))
        for s in range(n_sub)
        for t in range(len(SLOTS))
    }
    y = {}
    for s, subj in enumerate(subjects):
        for p, hist in enumerate(HISTORIES):
            cost = hist.rarity
            if not hist.has_asct and subj.age <= 65:
                cost += 1.0  # young and fit patients are usually transplanted
            if hist.relref == "REFRACTORY" and subj.age < 70:
                cost += 0.5
            y[s, p] = m.var(cost)
    for s in range(n_sub):
        m.add(_sum(x[s, t] for t in range(len(SLOTS))), 1, 1)
        m.add(_sum(y[s, p] for p in range(len(HISTORIES))), 1, 1)
        for t in range(len(SLOTS)):
            coefs = {x[s, t]: 1.0}
            coefs.update({y[s, p]: -1.0 for p in range(len(HISTORIES)) if fit[s, t, p]})
            m.add(coefs, -np.inf, 0)
    for t in range(len(SLOTS)):
        m.add(_sum(x[s, t] for s in range(n_sub)), 1, 1)
    for p, hist in enumerate(HISTORIES):
        cap = MAX_PER_HISTORY if hist.rarity < 0.3 else MAX_PER_UNCOMMON_HISTORY
        m.add(_sum(y[s, p] for s in range(n_sub)), 0, cap)

    def count(pred, n):
        m.add(_sum(y[s, p] for s in range(n_sub) for p, h in enumerate(HISTORIES) if pred(h)), n, n)

    for k, n in LINE_COUNTS.items():
        count(lambda h, k=k: len(h.lines) == k, n)
    for cls, n in RELREF_COUNTS.items():
        count(lambda h, cls=cls: h.relref == cls, n)
    count(lambda h: h.has_asct, N_ASCT)
    for drug, n in DRUG_COUNTS.items():
        count(lambda h, drug=drug: drug in h.drugs, n)
    count(lambda h: bool(h.drugs & set(rules.IMID_DRUGS)), N_IMID)
    count(lambda h: bool(h.drugs & set(rules.PI_DRUGS)), N_PI)

    # Sex with creatinine-clearance category: cost = distance of the typical clearance.
    z = {
        (s, g, c): m.var(2.0 * abs(math.log(natural_crcl(subj.age, g) / CRCL_CENTRES[c])))
        for s, subj in enumerate(subjects)
        for g in ("M", "F")
        for c in CRCL_COUNTS
    }
    for s in range(n_sub):
        m.add(_sum(z[s, g, c] for g in ("M", "F") for c in CRCL_COUNTS), 1, 1)
    m.add(_sum(z[s, "M", c] for s in range(n_sub) for c in CRCL_COUNTS), N_MALE, N_MALE)
    for c, n in CRCL_COUNTS.items():
        m.add(_sum(z[s, g, c] for s in range(n_sub) for g in ("M", "F")), n, n)

    # ISS (II/III and ECOG 1 lean to older patients; ISS III only with renal impairment).
    iss = {
        (s, i): m.var(0.0 if i == "I" else (75 - subj.age) / 60)
        for s, subj in enumerate(subjects)
        for i in ISS_COUNTS
    }
    ecog = {
        (s, e): m.var(0.0 if e == 0 else (75 - subj.age) / 50)
        for s, subj in enumerate(subjects)
        for e in ECOG_COUNTS
    }
    mm = {
        (s, t): m.var(upper=0.0 if subj.role == "NONMEAS" and t != "IGG" else 1.0)
        for s, subj in enumerate(subjects)
        for t in MMTYPE_COUNTS
    }
    for s in range(n_sub):
        m.add(_sum(iss[s, i] for i in ISS_COUNTS), 1, 1)
        m.add(_sum(ecog[s, e] for e in ECOG_COUNTS), 1, 1)
        m.add(_sum(mm[s, t] for t in MMTYPE_COUNTS), 1, 1)
        coefs = {iss[s, "III"]: 1.0}
        coefs.update({z[s, g, "30 to <60"]: -1.0 for g in ("M", "F")})
        m.add(coefs, -np.inf, 0)
    for table, counts in ((iss, ISS_COUNTS), (ecog, ECOG_COUNTS), (mm, MMTYPE_COUNTS)):
        for level, n in counts.items():
            m.add(_sum(table[s, level] for s in range(n_sub)), n, n)

    # Sex mix within a group: males(group) within [1 - share, share] x group size. For a
    # product male x member, the bilinear count uses u <= z(male), u <= member, u >= sum - 1.
    def male_share(members: dict[int, int], size: int) -> None:
        males = []
        for s, v in members.items():
            u = m.var()
            male = _sum(z[s, "M", c] for c in CRCL_COUNTS)
            m.add({u: 1.0, **{j: -1.0 for j in male}}, -np.inf, 0)
            m.add({u: 1.0, v: -1.0}, -np.inf, 0)
            m.add({u: 1.0, v: -1.0, **{j: -1.0 for j in male}}, -1, np.inf)
            males.append(u)
        m.add(_sum(males), math.ceil((1 - MAX_SEX_SHARE) * size), math.floor(MAX_SEX_SHARE * size))

    for c, n in CRCL_COUNTS.items():
        males = _sum(z[s, "M", c] for s in range(n_sub))
        m.add(males, math.ceil((1 - MAX_SEX_SHARE) * n), math.floor(MAX_SEX_SHARE * n))
    male_share({s: ecog[s, 1] for s in range(n_sub)}, ECOG_COUNTS[1])
    male_share({s: iss[s, "II"] for s in range(n_sub)}, ISS_COUNTS["II"])

    # FISH positives, consistent with the skeleton's cytogenetic risk.
    fish = {}
    for s, subj in enumerate(subjects):
        if subj.cyto_risk == "NOT AVAILABLE":
            continue
        for test in FISH_TESTS:
            standard_hr = subj.cyto_risk == "STANDARD" and test in rules.HIGH_RISK_TESTS
            fish[s, test] = m.var(upper=0.0 if standard_hr else 1.0)
        if subj.cyto_risk == "HIGH":
            m.add(_sum(fish[s, t] for t in rules.HIGH_RISK_TESTS), 1, np.inf)
        m.add(_sum(fish[s, t] for t in IGH_TRANSLOCATIONS), 0, 1)
    for test, n in FISH_POSITIVE_COUNTS.items():
        m.add(_sum(v for (s, t), v in fish.items() if t == test), n, n)

    # Known associations, rewarded through w <= a, w <= b (w = a AND b at the optimum).
    def reward(a: int, b_vars: list[int], value: float) -> None:
        w = m.var(-value)
        m.add({w: 1.0, a: -1.0}, -np.inf, 0)
        m.add({w: 1.0, **{b: -1.0 for b in b_vars}}, -np.inf, 0)

    for s in range(n_sub):
        if (s, "T4_14") in fish:
            reward(fish[s, "DEL13"], [fish[s, "T4_14"]], 0.4)
            reward(mm[s, "IGA"], [fish[s, "T4_14"]], 0.3)
            reward(fish[s, "T11_14"], [mm[s, "BENCE-JONES"], mm[s, "LIGHT CHAIN ONLY"]], 0.3)

    sol = m.solve()
    out = []
    for s, subj in enumerate(subjects):

        def pick(table, levels):
            return next(level for level in levels if sol[table[s, level]])  # noqa: B023 (called in this iteration)

        slot = SLOTS[next(t for t in range(len(SLOTS)) if sol[x[s, t]])]
        history = HISTORIES[next(p for p in range(len(HISTORIES)) if sol[y[s, p]])]
        sex, crcl_cat = next((g, c) for g in ("M", "F") for c in CRCL_COUNTS if sol[z[s, g, c]])
        positives = frozenset(t for t in FISH_TESTS if (s, t) in fish and sol[fish[s, t]])
        assert compatible(subj, slot, history)
        out.append(
            Assignment(
                slot,
                history,
                sex,
                crcl_cat,
                pick(iss, ISS_COUNTS),
                pick(ecog, ECOG_COUNTS),
                pick(mm, MMTYPE_COUNTS),
                positives,
            )
        )
    return out


# --------------------------------------------------------------------------- values
def body_size(sex: str, bsa: float, jitter_cm: float) -> tuple[float, float]:
    """Height (cm) and weight (kg), 0.1 precision, whose DuBois BSA is closest to ``bsa``."""
    height = round(
        (150.0 + (bsa - 1.45) * 45.0 if sex == "F" else 164.0 + (bsa - 1.75) * 40.0) + jitter_cm, 1
    )
    exact = (bsa / (0.007184 * height**0.725)) ** (1 / 0.425)
    candidates = [round(exact + k / 10, 1) for k in (-1, 0, 1)]
    weight = min(candidates, key=lambda w: abs(rules.dubois_bsa(height, w) - bsa))
    return height, weight


def assign_body_sizes(
    subjects: list[Subject], cats: list[Assignment], rng: np.random.Generator
) -> dict[int, tuple[float, float]]:
    """Give each sex's BSA targets to that sex's subjects (Hungarian method).

    The cost is how far each subject's typical clearance at that weight would sit from
    the centre of the chosen clearance category, so heavier patients get the higher
    categories and creatinine values stay ordinary.
    """
    out = {}
    for sex, targets in (("F", BSA_FEMALE), ("M", BSA_MALE)):
        members = [s for s, a in enumerate(cats) if a.sex == sex]
        sizes = [body_size(sex, b, float(rng.uniform(-2.0, 2.0))) for b in targets]
        typical = 0.85 if sex == "M" else 0.65
        cost = np.array(
            [
                [
                    abs(
                        math.log(
                            rules.cockcroft_gault(subjects[s].age, w, typical, sex)
                            / CRCL_CENTRES[cats[s].crcl_cat]
                        )
                    )
                    for _, w in sizes
                ]
                for s in members
            ]
        )
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols):
            out[members[r]] = sizes[c]
    return out


# Where creatinine puts each subject's clearance: spread over the category, >= 3.5 mL/min
# inside its bounds so that 2-decimal creatinine can never move it across one.
CRCL_TARGET_RANGE = {"30 to <60": (34.0, 56.5), "60 to <90": (63.5, 86.5), ">=90": (93.5, 125.0)}
CREATININE_RANGE = (0.45, 2.2)  # mg/dL, ordinary values for this population


def creatinine_for(age: int, weight: float, sex: str, cat: str, position: float) -> float:
    """Creatinine (mg/dL, 2 decimals) giving a Cockcroft-Gault clearance inside ``cat``.

    ``position`` in [0, 1] says where in the category's target range the clearance lies.
    """
    lo, hi = CRCL_TARGET_RANGE[cat]
    creat = round(rules.cockcroft_gault(age, weight, 1.0, sex) / (lo + (hi - lo) * position), 2)
    if not CREATININE_RANGE[0] <= creat <= CREATININE_RANGE[1]:
        raise ValueError(f"implausible creatinine {creat} for age {age}, {weight} kg, {sex}, {cat}")
    return creat


def iss_labs(stage: str, variant: int, rng: np.random.Generator) -> tuple[float, float]:
    """Beta-2 microglobulin (mg/L) and albumin (g/dL), 1 decimal, clear of the ISS cut-offs."""
    if stage == "I":
        return round(float(rng.uniform(1.5, 3.2)), 1), round(float(rng.uniform(3.7, 4.7)), 1)
    if stage == "III":
        return round(float(rng.uniform(6.0, 8.0)), 1), round(float(rng.uniform(2.9, 3.3)), 1)
    if variant % 2 == 0:  # II by beta-2 microglobulin 3.5-5.5
        return round(float(rng.uniform(3.8, 5.0)), 1), round(float(rng.uniform(3.7, 4.3)), 1)
    return round(float(rng.uniform(2.2, 3.2)), 1), round(float(rng.uniform(2.9, 3.3)), 1)  # II by albumin


def disease_labs(
    mmtype: str, lctype: str, role: str, urine_measurable: bool, suppressed: bool, rng: np.random.Generator
) -> dict[str, float | str]:
    """Screening M-protein, immunofixation and FLC values for the myeloma type.

    Serum (IgG/IgA) and urine (Bence-Jones) disease is clearly measurable and the
    FLC criterion is not met (involved chain < 10 mg/dL), so the measurable
    parameters are unambiguous; the light-chain-only subject has FLC-only disease.
    The NONMEAS subject meets no criterion: serum 0.6 g/dL, no urine M-protein,
    involved FLC < 10 mg/dL with an abnormal ratio.
    """
    uninvolved = 0.1 if suppressed else round(float(rng.uniform(0.35, 1.4)), 2)
    involved = round(float(rng.uniform(1.2, 8.5)), 2)
    if role == "NONMEAS":  # abnormal ratio, but the involved chain stays below 10 mg/dL
        spep, upep, involved, uninvolved = 0.6, 0.0, round(float(rng.uniform(3.0, 6.0)), 2), 0.52
    elif mmtype in ("IGG", "IGA"):
        spep = round(float(np.exp(rng.uniform(math.log(1.3), math.log(5.8)))), 2)
        upep = (
            float(round(rng.uniform(260, 900)))
            if urine_measurable
            else float(rng.choice([0, 0, round(rng.uniform(20, 150))]))
        )
    elif mmtype == "BENCE-JONES":
        spep, upep = 0.0, float(round(np.exp(rng.uniform(math.log(320), math.log(2400)))))
    else:  # LIGHT CHAIN ONLY: serum free light chain disease only
        spep, upep, involved = 0.0, 0.0, round(float(rng.uniform(25.0, 60.0)), 2)
    kappa, lam = (involved, uninvolved) if lctype == "KAPPA" else (uninvolved, involved)
    return {
        "SPEP": spep,
        "UPEP": upep,
        "SIFE": "POSITIVE",
        "UIFE": "POSITIVE" if upep > 0 else "NEGATIVE",
        "KAPPA": kappa,
        "LAMBDA": lam,
    }


def partial(date: dt.date, precision: str | None) -> str:
    """ISO text of ``date`` at ``precision`` (``None`` = full, ``"month"``, ``"year"``)."""
    return {None: date.isoformat(), "month": date.strftime("%Y-%m"), "year": str(date.year)}[precision]


BEST_RESPONSE = {
    "RELAPSED": ("VGPR", "PR", "CR", "VGPR", "PR"),
    "REFRACTORY": ("SD", "MR", "PD", "SD"),
    "NOT PROGRESSED": ("PR", "MR", "SD"),
}
ASCT_BEST_RESPONSE = ("VGPR", "CR", "VGPR", "PR", "SCR", "CR")


def prior_line_rows(subject: Subject, cat: Assignment, rng: np.random.Generator) -> list[dict]:
    """The ``pt`` rows of one subject (dates as ISO text, a few partial)."""
    placed = schedule(cat.history, cat.slot, (subject.trtsdt - subject.icdat).days)
    rows = []
    for k, (line, dates) in enumerate(zip(cat.history.lines, placed), start=1):

        def day(offset: int) -> dt.date:
            return subject.trtsdt + dt.timedelta(days=offset)

        last_asct = line.asct and not any(ln.asct for ln in cat.history.lines[k:])
        if line.regimen == "VAD":
            best = "UNK"  # response of a pre-2007 induction not recorded in the chart
        elif line.asct:
            best = str(rng.choice(ASCT_BEST_RESPONSE))
        else:
            best = str(rng.choice(BEST_RESPONSE[line.outcome]))
        first_line = k == 1
        start_precision = "month" if first_line and cat.slot.diag in LINE1_START_PARTIAL else None
        end_precision = "month" if first_line and cat.slot.diag in LINE1_END_PARTIAL else None
        asct_precision = "month" if last_asct and cat.slot.diag in ASCT_PARTIAL else None
        rows.append(
            {
                "SUBJID": subject.subjid,
                "LINENO": str(k),
                "DRUGS": ";".join(line.drugs),
                "PTSTDAT": partial(day(dates.start), start_precision),
                "PTENDAT": partial(day(dates.end), end_precision),
                "ASCT": "Y" if line.asct else "N",
                "ASCTDAT": partial(day(dates.asct), asct_precision) if line.asct else "",
                "BESTRESP": best,
                "OUTCOME": line.outcome,
            }
        )
    return rows


def fish_rows(
    subject: Subject,
    cat: Assignment,
    exceptions: dict[str, str],
    near_cutoff: dict[str, float],
    exact_cutoff: str | None,
    rng: np.random.Generator,
) -> list[dict]:
    """The ``fish`` rows of one subject (every test; PCTPOS only when DONE)."""
    rows = []
    for test in FISH_TESTS:
        status, value = "DONE", ""
        if subject.role == "NOASSESS":
            status = "NOT DONE"
        elif subject.role == "NONMEAS":
            status = "FAILED"
        elif test in exceptions:
            status = exceptions[test]
        elif test == exact_cutoff:
            value = f"{rules.FISH_CUTOFFS[test]:.1f}"  # exactly at the cutoff: positive
        elif test in cat.fish_positive:
            value = f"{rng.uniform(rules.FISH_CUTOFFS[test] + 5.0, 85.0):.1f}"
        elif test in near_cutoff:
            value = f"{near_cutoff[test]:.1f}"
        else:
            value = f"{rng.choice([0.0, 0.0, 0.5, 1.0, 1.5]):.1f}"
        rows.append({"SUBJID": subject.subjid, "FISHTEST": test, "FISHSTAT": status, "PCTPOS": value})
    return rows


def load_subjects(path: Path = COHORT_DIR / "skeleton.csv") -> list[Subject]:
    """Skeleton subjects with their ages (a fixed permutation of :data:`AGES`)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ages = np.random.default_rng([SEED, 1]).permutation(np.array(AGES))
    return [
        Subject(
            r["SUBJID"],
            dt.date.fromisoformat(r["TRTSDT"]),
            dt.date.fromisoformat(r["ICDAT"]),
            r["ROLE"],
            r["CYTO_RISK"],
            int(age),
        )
        for r, age in zip(rows, ages)
    ]


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _trim(value: float) -> str:
    """Up to 2 decimals without trailing zeros (``0.1`` stays ``0.1``)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class FishSpecials:
    """Per-subject FISH details beyond positive/negative (subject index -> test -> value)."""

    status: dict[int, dict[str, str]]  # NOT DONE / FAILED for single tests
    near_cutoff: dict[int, dict[str, float]]  # negatives just below a cutoff
    at_cutoff: dict[int, str]  # a positive exactly at its cutoff


def fish_specials(subjects: list[Subject], cats: list[Assignment]) -> FishSpecials:
    """Pick the subjects whose FISH results exercise the rules' edges.

    A failed del(17p) in a subject high-risk by t(4;14) alone (still high risk); an
    untested t(11;14) and an untested del(13) (neither affects the risk); negatives
    just below a cutoff (del(17p) 4.0%, t(4;14) 2.0%, del(13) 8.5%, t(14;16) 2.0%);
    one del(13) exactly at its 10% cutoff (positive: cutoffs are lower bounds).
    """

    def first(pred) -> int:
        return next(s for s, (sj, c) in enumerate(zip(subjects, cats)) if pred(s, sj, c))

    high_risk = set(rules.HIGH_RISK_TESTS)
    failed_17p = first(lambda s, sj, c: sj.cyto_risk == "HIGH" and c.fish_positive & high_risk == {"T4_14"})
    no_t1114 = first(lambda s, sj, c: sj.cyto_risk == "STANDARD" and not c.fish_positive)
    no_del13 = first(
        lambda s, sj, c: sj.cyto_risk == "HIGH" and s != failed_17p and "DEL13" not in c.fish_positive
    )
    near: dict[int, dict[str, float]] = {}
    for pred, values in (
        (lambda s, sj, c: sj.cyto_risk == "STANDARD" and s > no_t1114, {"DEL17P": 4.0, "T4_14": 2.0}),
        (
            lambda s, sj, c: (
                sj.cyto_risk == "HIGH" and s not in (no_del13, failed_17p) and "DEL13" not in c.fish_positive
            ),
            {"DEL13": 8.5},
        ),
        (lambda s, sj, c: "DEL17P" in c.fish_positive and "T14_16" not in c.fish_positive, {"T14_16": 2.0}),
    ):
        near.setdefault(first(pred), {}).update(values)
    at_cutoff = first(lambda s, sj, c: sj.cyto_risk == "STANDARD" and "DEL13" in c.fish_positive)
    return FishSpecials(
        status={
            failed_17p: {"DEL17P": "FAILED"},
            no_t1114: {"T11_14": "NOT DONE"},
            no_del13: {"DEL13": "NOT DONE"},
        },
        near_cutoff=near,
        at_cutoff={at_cutoff: "DEL13"},
    )


def build_cohort(subjects: list[Subject]) -> dict[str, list[dict]]:
    """All rows of the three files, from the MILP assignment and direct construction."""
    cats = assign_categories(subjects)
    rng = np.random.default_rng([SEED, 2])
    sizes = assign_body_sizes(subjects, cats, rng)
    # Light chain: about 3:2 kappa:lambda; the uninvolved chain is below quantification
    # (0.1) in the light-chain-only subject and in a few others.
    lctype = ["KAPPA" if v else "LAMBDA" for v in rng.permutation([1] * 20 + [0] * 14)]
    suppressed = {s for s, c in enumerate(cats) if c.mmtype == "LIGHT CHAIN ONLY"}
    suppressed |= set(
        rng.choice(
            [s for s, c in enumerate(cats) if c.mmtype in ("BENCE-JONES", "IGA")], 2, replace=False
        ).tolist()
    )
    serum = [s for s, c in enumerate(cats) if c.mmtype in ("IGG", "IGA") and subjects[s].role != "NONMEAS"]
    urine_measurable = set(rng.choice(serum, 6, replace=False).tolist())
    iss_variant = {s: k for k, s in enumerate(s for s, c in enumerate(cats) if c.iss == "II")}
    specials = fish_specials(subjects, cats)

    baseline, lines, fish = [], [], []
    for s, (subj, cat) in enumerate(zip(subjects, cats)):
        height, weight = sizes[s]
        diag = subj.trtsdt - dt.timedelta(days=cat.slot.diag)
        creat = creatinine_for(subj.age, weight, cat.sex, cat.crcl_cat, float(rng.random()))
        b2m, alb = iss_labs(cat.iss, iss_variant.get(s, 0), rng)
        labs = disease_labs(cat.mmtype, lctype[s], subj.role, s in urine_measurable, s in suppressed, rng)
        baseline.append(
            {
                "SUBJID": subj.subjid,
                "AGE": str(subj.age),
                "SEX": cat.sex,
                "RACE": "ASIAN",
                "HEIGHT": _fmt(height, 1),
                "WEIGHT": _fmt(weight, 1),
                "ECOG": str(cat.ecog),
                "DIAGDAT": partial(diag, DIAG_PARTIAL.get(cat.slot.diag)),
                "MMTYPE": cat.mmtype,
                "LCTYPE": lctype[s],
                "SPEP": "0" if labs["SPEP"] == 0 else _fmt(labs["SPEP"], 2),
                "UPEP": "0" if labs["UPEP"] == 0 else _fmt(labs["UPEP"], 0),
                "SIFE": labs["SIFE"],
                "UIFE": labs["UIFE"],
                "KAPPA": _trim(labs["KAPPA"]),
                "LAMBDA": _trim(labs["LAMBDA"]),
                "BMPC": str(int(rng.integers(10, 81))),
                "BMCLON": "POSITIVE",
                "CREAT": _fmt(creat, 2),
                "B2M": _fmt(b2m, 1),
                "ALB": _fmt(alb, 1),
                "NEUT": _fmt(float(rng.uniform(1.4, 5.5)), 2),
                "PLAT": str(int(rng.integers(90, 321))),
                "HGB": _fmt(float(rng.uniform(8.8, 13.9)), 1),
                "CA": _fmt(float(rng.uniform(8.6, 10.3)), 1),
            }
        )
        lines += prior_line_rows(subj, cat, rng)
        fish += fish_rows(
            subj,
            cat,
            specials.status.get(s, {}),
            specials.near_cutoff.get(s, {}),
            specials.at_cutoff.get(s),
            rng,
        )
    key = {"baseline": ("SUBJID",), "prior_lines": ("SUBJID", "LINENO"), "fish": ("SUBJID", "FISHTEST")}
    tables = {"baseline": baseline, "prior_lines": lines, "fish": fish}
    return {name: sorted(rows, key=lambda r: tuple(r[k] for k in key[name])) for name, rows in tables.items()}


def to_csv(rows: list[dict], columns: list[str]) -> str:
    """CSV text (UTF-8, ``\\n`` line ends, minimal quoting)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


# --------------------------------------------------------------------------- verification
def read_cohort(texts: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Parse the three files' text as a reader of the cohort would (every column String)."""
    return tuple(
        pl.read_csv(io.StringIO(texts[name]), infer_schema=False)  # type: ignore[return-value]
        for name in ("baseline.csv", "prior_lines.csv", "fish.csv")
    )


def cohort_adsl(texts: dict[str, str], skeleton: pl.DataFrame) -> pl.DataFrame:
    """ADSL-shaped frame (Table 1 columns) derived from the cohort text by ``docs/derivations.md#adsl-derivations``.

    Also keeps ``DIAGDT, LASCTDT, TRTSDT, CRCLBL, B2MBL, ALBBL, MEASFL`` for the
    margin checks of :func:`verify`.
    """
    baseline, prior, fish = read_cohort(texts)
    num = pl.Float64
    prior = prior.with_columns(pl.col("LINENO").cast(pl.Int64))
    flags = ["PRIMIDFL", "PRTHALFL", "PRLENFL", "PRPOMFL", "PRPIFL", "PRBORTFL", "PRCARFFL", "PRIXAFL"]
    return (
        skeleton.select("SUBJID", pl.col("TRTSDT").str.to_date())
        .join(baseline, on="SUBJID", how="left")
        .join(rules.prior_therapy_summary(prior), on="SUBJID", how="left")
        .join(rules.fish_summary(fish.with_columns(pl.col("PCTPOS").cast(num))), on="SUBJID", how="left")
        .with_columns(
            pl.col("AGE", "ECOG").cast(pl.Int64),
            pl.col("HEIGHT", "WEIGHT", "CREAT", "B2M", "ALB", "SPEP", "UPEP", "KAPPA", "LAMBDA").cast(num),
            pl.col("PRLINES").fill_null(0),
            pl.col("PRRELREF").fill_null("NEITHER"),
            pl.col("PRASCTFL", *flags).fill_null("N"),
        )
        .with_columns(
            FASFL=pl.lit("Y"),
            ECOGBL=pl.col("ECOG"),
            BSABL=rules.dubois_bsa(pl.col("HEIGHT"), pl.col("WEIGHT")),
            CRCLBL=rules.cockcroft_gault(pl.col("AGE"), pl.col("WEIGHT"), pl.col("CREAT"), pl.col("SEX")),
            ISS=rules.iss_stage(pl.col("B2M"), pl.col("ALB")),
            DIAGDT=rules.impute_partial_date(pl.col("DIAGDAT")),
            MEASFL=pl.when(
                rules.measurable_disease(
                    pl.col("SPEP"), pl.col("UPEP"), pl.col("KAPPA"), pl.col("LAMBDA"), pl.col("LCTYPE")
                )
            )
            .then(pl.lit("Y"))
            .otherwise(pl.lit("N")),
        )
        .with_columns(
            CRCLCAT=rules.crcl_category(pl.col("CRCLBL")),
            MMDURM=rules.months_between(pl.col("DIAGDT"), pl.col("TRTSDT")),
            ASCTDURM=rules.months_between(pl.col("LASCTDT"), pl.col("TRTSDT")),
        )
    )


def compare_table1(adsl: pl.DataFrame, published: pl.DataFrame) -> list[str]:
    """Mismatches between Table 1 derived from ``adsl`` and the published T1 rows."""
    derived = table1_rows(adsl)
    merged = published.filter(pl.col("table") == "T1").join(
        derived, on=["table", "item", "stat"], how="left", suffix="_derived"
    )
    problems = []
    for row in merged.iter_rows(named=True):
        got = row["value_derived"]
        if got is None or round_half_away(got, row["decimals"]) != float(row["value"]):
            problems.append(f"{row['item']} {row['stat']}: derived {got}, published {row['value']}")
    return problems


def _before(earlier: str, later: str) -> bool:
    """``earlier`` <= ``later`` for ISO dates compared at the coarser precision of the two."""
    n = min(len(earlier), len(later))
    return earlier[:n] <= later[:n]


def verify(texts: dict[str, str], skeleton: pl.DataFrame, published: pl.DataFrame) -> None:
    """Raise AssertionError unless the cohort reproduces Table 1 robustly and is consistent.

    Checks: every published T1 figure (also with durations counted as end - start
    + 1 days); clearance, ISS and measurability values clear of their thresholds; the
    NONMEAS subject alone not measurable; FISH values not within rounding of a
    cutoff; history dates ordered (at their own precision) and before consent;
    no refractory line with lenalidomide or a PI; the last line relapsed or refractory.
    """
    adsl = cohort_adsl(texts, skeleton)
    problems = compare_table1(adsl, published)
    # Counting durations as end - start + 1 days must give the same rounded figures.
    inclusive = adsl.with_columns(
        MMDURM=((pl.col("TRTSDT") - pl.col("DIAGDT")).dt.total_days() + 1) / rules.DAYS_PER_MONTH,
        ASCTDURM=((pl.col("TRTSDT") - pl.col("LASCTDT")).dt.total_days() + 1) / rules.DAYS_PER_MONTH,
    )
    problems += [f"(with +1 day) {p}" for p in compare_table1(inclusive, published)]

    def far(values: pl.Series, cut: float, margin: float) -> bool:
        return bool(((values - cut).abs() >= margin).all())

    crcl = adsl["CRCLBL"]
    if not all(far(crcl, cut, 1.0) for cut in (30.0, 60.0, 90.0)):
        problems.append("creatinine clearance within 1 mL/min of a category boundary")
    if not (far(adsl["B2M"], 3.5, 0.25) and far(adsl["B2M"], 5.5, 0.25) and far(adsl["ALB"], 3.5, 0.15)):
        problems.append("B2M or albumin too close to an ISS cut-off")
    involved = adsl.select(pl.when(pl.col("LCTYPE") == "KAPPA").then("KAPPA").otherwise("LAMBDA"))
    if not (
        far(adsl["SPEP"], 1.0, 0.25)
        and far(adsl["UPEP"], 200.0, 50.0)
        and far(involved.to_series(), 10.0, 1.0)
    ):
        problems.append("M-protein or FLC too close to a measurability threshold")
    nonmeasurable = adsl.filter(pl.col("MEASFL") == "N")["SUBJID"].to_list()
    expected = skeleton.filter(pl.col("ROLE") == "NONMEAS")["SUBJID"].to_list()
    if nonmeasurable != expected:
        problems.append(f"not measurable: {nonmeasurable}, expected {expected}")
    cyto = adsl.join(skeleton.select("SUBJID", "CYTO_RISK"), on="SUBJID")
    if (cyto["CYTORISK"] != cyto["CYTO_RISK"]).any():
        problems.append("derived cytogenetic risk differs from the skeleton's CYTO_RISK")
    if (adsl["AGE"] < 20).any() or (adsl["RACE"] != "ASIAN").any():
        problems.append("age < 20 or race not ASIAN")
    fish = read_cohort(texts)[2].filter(pl.col("FISHSTAT") == "DONE")
    for row in fish.iter_rows(named=True):
        gap = float(row["PCTPOS"]) - rules.FISH_CUTOFFS[row["FISHTEST"]]
        if -0.95 < gap < 0:
            problems.append(
                f"FISH {row['SUBJID']} {row['FISHTEST']} {row['PCTPOS']} within rounding of the cutoff"
            )
    problems += _check_history(texts, skeleton)
    if problems:
        raise AssertionError("baseline cohort does not verify:\n  " + "\n  ".join(problems))


def _check_history(texts: dict[str, str], skeleton: pl.DataFrame) -> list[str]:
    baseline, prior, _ = read_cohort(texts)
    consent = dict(skeleton.select("SUBJID", "ICDAT").iter_rows())
    diagnosis = dict(baseline.select("SUBJID", "DIAGDAT").iter_rows())
    problems = []
    excluded = set(rules.PI_DRUGS) | {"LENALIDOMIDE"}
    ordered = prior.sort("SUBJID", pl.col("LINENO").cast(pl.Int64))
    for (subjid,), lines in ordered.group_by("SUBJID", maintain_order=True):
        previous_end = diagnosis[subjid]
        for line in lines.iter_rows(named=True):
            dates = [previous_end, line["PTSTDAT"]]
            if line["ASCT"] == "Y":
                dates.append(line["ASCTDAT"])
            dates += [line["PTENDAT"], consent[subjid]]
            in_order = all(_before(a, b) for a, b in zip(dates, dates[1:]))
            if not in_order or line["PTENDAT"] >= consent[subjid]:
                problems.append(f"{subjid} line {line['LINENO']}: dates out of order {dates}")
            if (line["ASCT"] == "Y") != bool(line["ASCTDAT"]):
                problems.append(f"{subjid} line {line['LINENO']}: ASCT flag and date disagree")
            if line["OUTCOME"] == "REFRACTORY" and excluded & set(line["DRUGS"].split(";")):
                problems.append(f"{subjid} refractory to a lenalidomide or PI line (excluded)")
            previous_end = line["PTENDAT"]
        if lines["OUTCOME"][-1] not in ("RELAPSED", "REFRACTORY"):
            problems.append(f"{subjid}: last line neither relapsed nor refractory")
    return problems


def solve() -> dict[str, str]:
    """Solve and verify; the three cohort files' text, keyed by file name."""
    subjects = load_subjects()
    tables = build_cohort(subjects)
    texts = {
        "baseline.csv": to_csv(tables["baseline"], BASELINE_COLUMNS),
        "prior_lines.csv": to_csv(tables["prior_lines"], PRIOR_LINE_COLUMNS),
        "fish.csv": to_csv(tables["fish"], FISH_COLUMNS),
    }
    skeleton = pl.read_csv(COHORT_DIR / "skeleton.csv", infer_schema=False)
    published = pl.read_csv(PUBLISHED_CSV, schema_overrides={"value": pl.String})
    verify(texts, skeleton, published)
    return texts


def main() -> None:
    texts = solve()
    for name, text in texts.items():
        (COHORT_DIR / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {COHORT_DIR / name} ({text.count(chr(10)) - 1} rows)")


if __name__ == "__main__":
    main()
