"""Solve the treatment course of the demo cohort: ``course.csv``, ``cycles.csv``,
``dosing.csv`` and ``assessments.csv``.

The published efficacy and exposure figures (rows ``POP``, ``T2``, ``T3`` and ``EFF``
of ``published_results.csv``) must come out of these files when the warehouse
derives them by the rules of ``docs/derivations.md``. The solve runs in stages, each with the tool
that fits it:

1. **Roster** (HiGHS MILP via :func:`scipy.optimize.milp`). 34 *course slots*
   (:data:`SLOTS`) fix the best responses (Table 3), who progresses (17 confirmed
   PD: the "no PD at last assessment" counts 7/9, 9/16, 13/27), who dies (the
   ``AEDEATH`` and ``PDDEATH`` roles), who stops early and who is still on
   treatment at the cutoff, each PD slot with a nominal PFS day. The MILP assigns
   subjects to slots: roles to their slots, 3 of the 11 high-risk subjects to the 5
   SD slots (ORR 8/11 and 19/21), PD and follow-up only where the subject's time to
   the cutoff leaves room, on-treatment-at-cutoff only where at most 32 cycles fit;
   small costs give high-risk subjects shorter PFS and keep late enrollees on
   treatment.
2. **Time to response** (Hungarian assignment, :func:`scipy.optimize.linear_sum_assignment`).
   Fixed (visit, day) pairs of first PR and first VGPR (:data:`VGPR_TTR`,
   :data:`PR_TTR`) give the published TTR medians and Brookmeyer-Crowley limits;
   they are matched to responders so that every response is confirmed well
   before that subject's progression or censoring.
3. **PFS days** (direct search). Starting from the slots' nominal days, a
   deterministic coordinate search moves PD, death and censoring days until the
   PFS median (22.0 months) and its 95% CI (17.3-NE) land, while DOR of the
   VGPR-or-better responders stays not estimable (:mod:`analysis.km`).
4. **Cycle counts** (MILP). Per subject, the counts that fit its fixed visit days
   with realistic cycle lengths (27-31 days on average) are candidates; one-hot
   binaries make the sum and the sum of squares linear, so the mean (17.8), the
   sample SD (9.3), the median (20: at most 16 subjects below 20 and 16 above),
   min (1) and max (32) are exact constraints; costs prefer few delays.
5. **Calendar** (direct construction). Cycle starts with +-3-day windows and
   occasional one- or two-week delays that hit every anchor day; visits C2D1 ...,
   EOT (~30 days after the last dose), PFSFU every 4 weeks, UNSCHEDULED PD
   confirmations; the response category of every assessment.
6. **Dose intensity** (one MILP per drug). Candidate dose patterns per subject
   (dose-level reductions at cycle starts, held doses, a drug stopped for good)
   are enumerated with their exact RDI; the MILP picks one per subject so that
   mean, SD, median, min and max of Table 2 hold (the SD again exact through a
   linearised sum of squares around the target mean, re-checked exactly). The
   costs prefer what ``ae.csv`` (when present) says was done with each drug -- a
   reduction where an AE reduced the dose, no reduction or discontinuation where
   none did, held doses where an AE interrupted the drug -- and make two years
   without any change at all unlikely.
7. **Follow-up** (direct search). Last-known-alive days of subjects in survival
   follow-up are moved within their 12-week contact window until the reverse
   Kaplan-Meier median follow-up is 28.1 months.

Finally every endpoint is re-derived from the written assessments by the rules of
``docs/derivations.md`` and every published row is recomputed with :mod:`analysis.efficacy` and
:mod:`analysis.exposure`; the solve fails loudly if one does not match.

Output contract (``docs/DESIGN.md`` "The demo cohort"; all days are study days,
day 1 = TRTSDT, date = TRTSDT + DAY - 1):

``course.csv``
    One row per subject. ``EOT_DAY`` is the day of the end-of-treatment *decision*
    (``ds`` END OF TREATMENT; empty while on treatment at the cutoff); the EOT
    *visit* (~30 days after the last dose) is the ``EOT`` row of
    ``assessments.csv``. ``LAST_ALIVE_DAY`` is the last day the subject is known
    alive -- for subjects who died it equals ``DEATH_DAY``. **No record of any kind
    (visit, lab, dose, AE date, contact, disposition) may be dated after
    ``LAST_ALIVE_DAY``**, and for living subjects in follow-up the renderer writes
    an ALIVE ``fu`` contact on it, so that OS is censored exactly there. Nothing is
    after the data cutoff 2019-10-18. ``SUBSEQ_DAY``/``SUBSEQ_DRUGS``: first
    subsequent anticancer therapy (``cm``), never before the last response
    assessment. ``PFS_* OS_* TTR_* DOR_* BOR`` are the intended endpoints the
    warehouse must derive (AVAL in days, CNSR 0 = event); ``FOLLOWUP_DAY`` is the
    OS time that enters the reverse Kaplan-Meier median follow-up.
``cycles.csv``
    Start day of every treatment cycle (every listed cycle has a dose taken).
``dosing.csv``
    Exceptions to the protocol schedule, expanded by
    :func:`trialgen.exposure.expand_administrations`. The lenalidomide starting
    dose (25 or 10 mg) depends on the baseline creatinine clearance of
    ``baseline.csv``; dose levels of the two ladders have different ratios (15/25
    vs 5/10), so the lenalidomide RDI figures hold only with that file's CrCl --
    re-run this solve whenever ``baseline.csv`` (or ``ae.csv``, whose dose actions
    the patterns follow) changes; the re-solve test says when.
``assessments.csv``
    Every post-baseline response assessment with the category its central labs
    must show before confirmation (``NLPD`` = investigator PD for a plasmacytoma,
    labs unchanged), ``MARROW`` = Y where a marrow sample is taken (first CR/sCR
    visits), and the investigator's response. A few deliberate, endpoint-neutral
    complications: a single unconfirmed VGPR visit of a PR responder, a single
    unconfirmed PD visit of a VGPR responder and an unconfirmed PD at the last
    assessment before the cutoff (investigator: no PD at both).

Run ``python -m trialgen.solve.solve_course``: it rewrites the four files
byte-identically.

References
----------
.. [1] ``docs/derivations.md`` (derivation and statistics rules),
   ``docs/extract-contract.md#4-the-14-forms`` (codes), docs/DESIGN.md (file schemas).
.. [2] Int J Clin Oncol. 2022;27:224-233, Tables 2-3 and the Efficacy text.
.. [3] Huangfu Q, Hall JAJ. Parallelizing the dual revised simplex method.
   Math Prog Comp. 2018;10:119-142 (HiGHS).
.. [4] Kuhn HW. The Hungarian method for the assignment problem. Naval Research
   Logistics Quarterly. 1955;2:83-97.
.. [5] Kumar S, Paiva B, Anderson KC, et al. International Myeloma Working Group
   consensus criteria for response and minimal residual disease assessment in
   multiple myeloma. Lancet Oncol. 2016;17(8):e328-e346.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_array

from analysis.km import DAYS_PER_MONTH, greenwood_var_sum, loglog_band, step_quantile
from trialgen.cohort_io import COHORT_TABLES
from trialgen.exposure import (
    DRUGS,
    dose_levels,
    expand_administrations,
    lenalidomide_starting_doses,
    relative_dose_intensity,
)
from trialgen.study import CYCLE_DAYS, DATA_CUTOFF, SCHEDULE

REPO = Path(__file__).resolve().parents[3]  # generator/trialgen/solve/ -> repository root (seeds/)
COHORT_DIR = Path(__file__).resolve().parents[1] / "cohort"
PUBLISHED_CSV = REPO / "seeds" / "published_results.csv"
SEED = 20191018  # the data cutoff; any fixed value works

COURSE_COLUMNS = list(COHORT_TABLES["course"])  # the one column list: trialgen.cohort_io
CYCLES_COLUMNS = ["SUBJID", "CYCLE", "START_DAY"]
DOSING_COLUMNS = list(COHORT_TABLES["dosing"])
ASSESSMENT_COLUMNS = list(COHORT_TABLES["assessments"])

# Response categories from best to worst; a confirmed response is the worse of two.
DEPTH = {"SCR": 0, "CR": 1, "VGPR": 2, "PR": 3, "MR": 4, "SD": 5, "PD": 6, "NLPD": 6}
RESPONDER = ("SCR", "CR", "VGPR", "PR")
VGPR_OR_BETTER = ("SCR", "CR", "VGPR")

# --------------------------------------------------------------------------- fates
PD_ON = "PD_ON_TREATMENT"  # lab PD at a day-1 visit, confirmed at an unscheduled visit
PD_FU = "PD_IN_FOLLOW_UP"  # stopped for an AE, lab PD at a PFS follow-up visit
NLPD = "NONLAB_PD"  # investigator PD for a plasmacytoma (non-measurable subject)
DEATH = "DEATH_ON_STUDY"  # died within 30 days of the last dose, no PD before
STOP_SUBSEQ = "STOPPED_SUBSEQUENT"  # stopped without PD, later subsequent therapy
STOP_FOLLOW = "STOPPED_FOLLOWED"  # stopped without PD, PFS follow-up up to the cutoff
ONGOING = "ON_TREATMENT"  # still on treatment at the cutoff
NOASSESS = "NO_ASSESSMENT"  # one cycle, withdrew before any response assessment
PD_FATES = (PD_ON, PD_FU, NLPD)
STOP_FATES = (STOP_SUBSEQ, STOP_FOLLOW, PD_FU)


@dataclass(frozen=True)
class Slot:
    """One course of the roster: best response, fate and nominal PFS day.

    Attributes
    ----------
    name : str
        Readable id (used in diagnostics).
    bor : str or None
        Confirmed best overall response; None outside the response-evaluable set.
    fate : str
        One of the fate codes above.
    day : int or None
        Nominal PD day (PD fates), death day (DEATH) or censoring day (STOP_SUBSEQ);
        the PFS search moves it.
    role : str
        Skeleton ROLE this slot is reserved for ("" = any subject without a role).
    stop_cycle : int or None
        Nominal number of cycles of subjects who stop treatment without PD (or with
        PD found later in follow-up).
    eot_reason : str
        ``ds.DSDECOD`` of the end of treatment.
    stop_weight : float
        Cost per cycle away from ``stop_cycle`` in the cycle-count MILP.
    """

    name: str
    bor: str | None
    fate: str
    day: int | None = None
    role: str = ""
    stop_cycle: int | None = None
    eot_reason: str = ""
    stop_weight: float = 0.5


def _slots() -> tuple[Slot, ...]:
    pd = [
        ("SD", 85),
        ("SD", 141),
        ("PR", 197),
        ("PR", 253),
        ("VGPR", 365),
        ("VGPR", 449),
        ("PR", 527),
        ("VGPR", 545),
        ("PR", 561),
        ("VGPR", 589),
        ("SCR", 617),
        ("CR", 670),
        ("VGPR", 700),
        ("PR", 760),
        ("PR", 830),
    ]
    slots = [Slot(f"PD{day}", bor, PD_ON, day, eot_reason="PROGRESSIVE DISEASE") for bor, day in pd]
    slots += [
        Slot("NLPD", None, NLPD, 309, role="NONMEAS", eot_reason="PROGRESSIVE DISEASE"),
        Slot("PDFU", "PR", PD_FU, 477, stop_cycle=6, eot_reason="ADVERSE EVENT"),
        Slot("DEATH", "PR", DEATH, 420, role="AEDEATH", eot_reason="DEATH"),
        # a second malignancy after months of lenalidomide: keep these courses long
        Slot(
            "LEUK",
            "PR",
            STOP_SUBSEQ,
            330,
            role="NPM_LEUK",
            stop_cycle=11,
            eot_reason="ADVERSE EVENT",
            stop_weight=2.0,
        ),
        Slot(
            "LUNG",
            "SCR",
            STOP_SUBSEQ,
            480,
            role="NPM_LUNG",
            stop_cycle=15,
            eot_reason="ADVERSE EVENT",
            stop_weight=2.0,
        ),
        Slot("WITHDRAW", "SD", STOP_SUBSEQ, 230, stop_cycle=4, eot_reason="WITHDRAWAL BY SUBJECT"),
        # stable disease only: the physician switches therapy without progression
        Slot("SWITCH", "SD", STOP_SUBSEQ, 200, stop_cycle=6, eot_reason="PHYSICIAN DECISION"),
        Slot("STOP_SCR", "SCR", STOP_FOLLOW, stop_cycle=18, eot_reason="ADVERSE EVENT"),
        Slot("STOP_VGPR", "VGPR", STOP_FOLLOW, stop_cycle=24, eot_reason="PHYSICIAN DECISION"),
        Slot("NOASSESS", None, NOASSESS, 1, role="NOASSESS", eot_reason="WITHDRAWAL BY SUBJECT"),
    ]
    ongoing = ["SCR"] * 5 + ["VGPR"] + ["PR"] * 2 + ["SD"]
    slots += [Slot(f"ON_{bor}{i}", bor, ONGOING) for i, bor in enumerate(ongoing)]
    return tuple(slots)


#: The 34 courses (see the module docstring, stage 1).
SLOTS = _slots()

#: Time to the first PR-or-better and first VGPR-or-better assessment of the 16
#: VGPR-or-better responders, as ((visit cycle, study day), (visit cycle, study day)).
#: Sorted TTR-VGPR days: 4th = 55 (lower limit 1.8 months), (8th + 9th) / 2 = 87.5
#: (median 2.9), 12th = 155 (upper limit 5.1).
VGPR_TTR = (
    ((2, 29), (2, 29)),
    ((2, 30), (2, 30)),
    ((2, 31), (2, 31)),
    ((2, 30), (3, 55)),
    ((2, 31), (3, 56)),
    ((2, 29), (3, 57)),
    ((2, 30), (4, 84)),
    ((2, 29), (4, 86)),
    ((2, 31), (4, 89)),
    ((3, 56), (5, 113)),
    ((2, 30), (5, 115)),
    ((2, 29), (6, 155)),
    ((3, 57), (7, 169)),
    ((2, 31), (8, 197)),
    ((3, 55), (10, 253)),
    ((4, 85), (12, 309)),
)
#: First PR of the 11 PR responders. With the above, 17 of 27 responders respond at C2D1
#: (days 29-31: median and lower limit 1.0 month) and the 19th at day 55 (upper 1.8).
PR_TTR = ((2, 29), (2, 30), (2, 30), (2, 31), (2, 29), (3, 54), (3, 56), (3, 58), (4, 86), (5, 114), (6, 141))

SUBSEQUENT_REGIMENS = (
    "DARATUMUMAB;LENALIDOMIDE;DEXAMETHASONE",
    "POMALIDOMIDE;DEXAMETHASONE",
    "CARFILZOMIB;DEXAMETHASONE",
    "DARATUMUMAB;BORTEZOMIB;DEXAMETHASONE",
    "ELOTUZUMAB;POMALIDOMIDE;DEXAMETHASONE",
    "CARFILZOMIB;LENALIDOMIDE;DEXAMETHASONE",
)

MAX_CYCLES = 32  # Table 2 maximum
ONGOING_MAX_CUT_DAY = 918  # on treatment at the cutoff only if <= 32 cycles fit with few delays
PD_ROOM_DAYS = 120  # PD needs room for EOT visit, subsequent therapy and follow-up
PDDEATH_ROOM_DAYS = 250  # ... and the PD death some months later
NPM_FU_ROOM_DAYS = 150  # the follow-up neoplasm needs months after the last dose


# --------------------------------------------------------------------------- subjects
@dataclass
class Subject:
    """A skeleton row with its calendar bound and, as the solve goes on, its course."""

    subjid: str
    subjno: int
    role: str
    cyto: str
    trtsdt: dt.date
    cut_day: int  # study day of the data cutoff
    lenstdos: float = 25.0
    # drug -> set of AE actions taken with it (ae.csv AEACN_*), for consistent dosing
    ae_actions: dict[str, set[str]] = field(default_factory=dict)
    slot: Slot | None = None
    ttr_pr: tuple[int, int] | None = None  # (visit cycle, day) of the first confirmed PR
    ttr_vgpr: tuple[int, int] | None = None
    pfs_day: int | None = None  # PD day, death day or PFS censoring day
    n_cycles: int | None = None
    starts: list[int] = field(default_factory=list)
    visits: list[tuple[str, int]] = field(default_factory=list)  # (VISIT, DAY)
    categories: list[str] = field(default_factory=list)
    marrow: list[str] = field(default_factory=list)
    investigator: list[tuple[str, str]] = field(default_factory=list)
    course: dict = field(default_factory=dict)

    @property
    def bor(self) -> str | None:
        return self.slot.bor if self.slot else None

    @property
    def fate(self) -> str:
        return self.slot.fate if self.slot else ""


def load_subjects(cohort_dir: Path = COHORT_DIR) -> list[Subject]:
    """Skeleton subjects with the study day of the cutoff and the lenalidomide start.

    The lenalidomide starting dose comes from ``baseline.csv`` (creatinine
    clearance < 60 mL/min -> 10 mg); without that file every start is 25 mg and a
    warning is printed (the lenalidomide RDI figures then need a re-run).
    """
    skeleton = pl.read_csv(cohort_dir / "skeleton.csv", infer_schema=False)
    starts: dict[str, float] = {}
    baseline_csv = cohort_dir / "baseline.csv"
    if baseline_csv.is_file():
        starts = dict(
            lenalidomide_starting_doses(pl.read_csv(baseline_csv, infer_schema=False))
            .select("SUBJID", "LENSTDOS")
            .iter_rows()
        )
    else:
        print("warning: baseline.csv missing -- lenalidomide starts assumed 25 mg", file=sys.stderr)
    actions = _ae_actions(cohort_dir / "ae.csv")
    subjects = []
    for row in skeleton.iter_rows(named=True):
        trtsdt = dt.date.fromisoformat(row["TRTSDT"])
        subjects.append(
            Subject(
                subjid=row["SUBJID"],
                subjno=int(row["SUBJNO"]),
                role=row["ROLE"] or "",
                cyto=row["CYTO_RISK"],
                trtsdt=trtsdt,
                cut_day=(DATA_CUTOFF - trtsdt).days + 1,
                lenstdos=starts.get(row["SUBJID"], SCHEDULE["LENALIDOMIDE"][0]),
                ae_actions=actions.get(row["SUBJID"], {}),
            )
        )
    return subjects


AE_ACTION_COLUMNS = {"IXAZOMIB": "AEACN_IXA", "LENALIDOMIDE": "AEACN_LEN", "DEXAMETHASONE": "AEACN_DEX"}


def _ae_actions(ae_csv: Path) -> dict[str, dict[str, set[str]]]:
    """SUBJID -> drug -> actions taken with the drug for its adverse events.

    Dose patterns prefer what the AEs say (a reduction where an AE reduced the dose,
    none where no AE did ...); without ``ae.csv`` there is no preference.
    """
    if not ae_csv.is_file():
        return {}
    ae = pl.read_csv(ae_csv, infer_schema=False)
    out: dict[str, dict[str, set[str]]] = {}
    for row in ae.iter_rows(named=True):
        for drug, column in AE_ACTION_COLUMNS.items():
            out.setdefault(row["SUBJID"], {}).setdefault(drug, set()).add(row[column] or "")
    return out


# --------------------------------------------------------------------------- MILP helper
class Model:
    """A small builder for :func:`scipy.optimize.milp` (HiGHS) models."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, cost: float = 0.0, lower: float = 0.0, upper: float = 1.0, integer: bool = True) -> int:
        """Add a variable (binary by default); returns its index."""
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(1 if integer else 0)
        return len(self.cost) - 1

    def add(self, terms: Iterable[tuple[int, float]], lower: float, upper: float) -> None:
        """Add ``lower <= sum(coef * x[var]) <= upper``."""
        row: dict[int, float] = {}
        for var, coef in terms:
            row[var] = row.get(var, 0.0) + coef
        self.rows.append((row, lower, upper))

    def solve(self, what: str, time_limit: float = 900.0) -> np.ndarray:
        """Solve to optimality (HiGHS, deterministic); raise otherwise."""
        r, c, v = [], [], []
        for i, (row, _, _) in enumerate(self.rows):
            for var, coef in row.items():
                r.append(i)
                c.append(var)
                v.append(coef)
        a = coo_array((v, (r, c)), shape=(len(self.rows), len(self.cost))).tocsr()
        lo = np.array([row[1] for row in self.rows])
        hi = np.array([row[2] for row in self.rows])
        started = time.perf_counter()
        result = milp(
            np.array(self.cost),
            integrality=np.array(self.integer),
            bounds=Bounds(np.array(self.lower), np.array(self.upper)),
            constraints=LinearConstraint(a, lo, hi),
            options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "disp": False},
        )
        elapsed = time.perf_counter() - started
        if result.status != 0:  # a time-limited incumbent would depend on machine speed
            raise RuntimeError(f"{what}: MILP not solved to optimality ({result.message})")
        n_int = int(np.sum(self.integer))
        SOLVER_LOG.append(
            f"{what}: {len(self.cost)} variables ({n_int} integer), "
            f"{len(self.rows)} rows, {elapsed:.2f} s, {result.message}"
        )
        return np.round(result.x, 6)


SOLVER_LOG: list[str] = []


# --------------------------------------------------------------------------- stage 1
def assign_roster(subjects: list[Subject], rng: np.random.Generator) -> None:
    """Assign every subject one slot of :data:`SLOTS` (MILP); sets ``subject.slot``.

    Hard rules: roles take their slots (``PDDEATH`` a PD slot early enough to die of
    the disease before the cutoff, ``NPM_FU`` a PD slot or a stopped course that
    leaves months of follow-up); a PD slot needs :data:`PD_ROOM_DAYS` before the
    cutoff; an on-treatment-at-cutoff slot needs a cutoff day at most
    :data:`ONGOING_MAX_CUT_DAY`; 3 high-risk subjects take the 5 SD slots.
    Costs: high-risk subjects prefer short PFS, late enrollees the on-treatment
    slots; seeded noise breaks ties.
    """
    model = Model()
    x: dict[tuple[int, int], int] = {}
    noise = rng.uniform(0.0, 0.05, (len(subjects), len(SLOTS)))
    for s, subj in enumerate(subjects):
        for p, slot in enumerate(SLOTS):
            if not _slot_allowed(subj, slot):
                continue
            pfs_scale = slot.day / 900.0 if slot.fate in PD_FATES + (DEATH,) else 1.0
            cost = noise[s, p]
            if subj.cyto == "HIGH":
                cost += 1.0 * pfs_scale + (0.3 if slot.bor == "SCR" else 0.0)
            if slot.fate == ONGOING:
                cost += (subj.cut_day - 727) / 300.0
            x[s, p] = model.var(cost)
    for s in range(len(subjects)):
        model.add(((x[s, p], 1.0) for p in range(len(SLOTS)) if (s, p) in x), 1, 1)
    for p in range(len(SLOTS)):
        model.add(((x[s, p], 1.0) for s in range(len(subjects)) if (s, p) in x), 1, 1)
    high_sd = [x[s, p] for (s, p) in x if subjects[s].cyto == "HIGH" and SLOTS[p].bor == "SD"]
    model.add(((v, 1.0) for v in high_sd), 3, 3)
    sol = model.solve("roster (subjects x slots)")
    for (s, p), var in x.items():
        if sol[var] > 0.5:
            subjects[s].slot = SLOTS[p]


def _slot_allowed(subj: Subject, slot: Slot) -> bool:
    """Hard feasibility of a subject-slot pair (roles, room before the cutoff)."""
    role_slots = {"NOASSESS", "NONMEAS", "AEDEATH", "NPM_LEUK", "NPM_LUNG"}
    if slot.role and slot.role != subj.role:
        return False
    if subj.role in role_slots and slot.role != subj.role:
        return False
    if subj.role == "PDDEATH":
        return slot.fate == PD_ON and slot.day + PDDEATH_ROOM_DAYS <= subj.cut_day
    if subj.role == "NPM_FU":
        if slot.fate == PD_ON:
            return slot.day + NPM_FU_ROOM_DAYS <= subj.cut_day
        return slot.fate == STOP_FOLLOW
    if slot.fate in (PD_ON, PD_FU) and slot.day + PD_ROOM_DAYS > subj.cut_day:
        return False
    return not (slot.fate == ONGOING and subj.cut_day > ONGOING_MAX_CUT_DAY)


# --------------------------------------------------------------------------- stage 2
def assign_time_to_response(subjects: list[Subject], rng: np.random.Generator) -> None:
    """Match the fixed TTR pairs to responders (Hungarian); sets ``ttr_pr``/``ttr_vgpr``.

    A responder's first confirmed response must leave room before its PD (or
    censoring): the confirming visit, for CR/sCR two more visits to reach and
    confirm the complete response, and one visit at that level before PD.
    """
    deep = [s for s in subjects if s.bor in VGPR_OR_BETTER]
    partial = [s for s in subjects if s.bor == "PR"]
    for group, table in ((deep, VGPR_TTR), (partial, tuple((p, None) for p in PR_TTR))):
        if len(group) != len(table):
            raise RuntimeError("TTR table and responders differ in size")
        cost = rng.uniform(0.0, 0.05, (len(group), len(table)))
        for i, subj in enumerate(group):
            horizon = _response_horizon_visit(subj)
            for j, (pr, vgpr) in enumerate(table):
                first = vgpr or pr
                needed = first[0] + 1 + (2 if subj.bor in ("SCR", "CR") else 0)
                if needed >= horizon:
                    cost[i, j] = 1e6
                # deeper responders tend to respond sooner
                cost[i, j] += 0.002 * first[1] * (1.0 if subj.bor in ("SCR", "CR") else 0.5)
        rows, cols = linear_sum_assignment(cost)
        if cost[rows, cols].max() >= 1e6:
            raise RuntimeError("no feasible time-to-response assignment")
        for i, j in zip(rows, cols):
            group[i].ttr_pr, group[i].ttr_vgpr = table[j]
    SOLVER_LOG.append(f"time to response: {len(deep)} + {len(partial)} responders (Hungarian)")


def _response_horizon_visit(subj: Subject) -> int:
    """Approximate cycle number of the visit that ends the response course."""
    slot = subj.slot
    if slot.stop_cycle:
        return slot.stop_cycle
    if slot.fate in PD_FATES + (DEATH,):
        return (slot.day - 1) // CYCLE_DAYS
    return (subj.cut_day - 28) // CYCLE_DAYS


# --------------------------------------------------------------------------- stage 3
def published_targets(path: Path = PUBLISHED_CSV) -> dict[tuple[str, str, str], tuple[str, int]]:
    """``(table, item, stat) -> (published text, decimals)`` for the tables solved here."""
    frame = pl.read_csv(path, schema_overrides={"value": pl.String})
    frame = frame.filter(pl.col("table").is_in(["POP", "T2", "T3", "EFF"]))
    return {
        (t, i, s): (v, d)
        for t, i, s, v, d in frame.select("table", "item", "stat", "value", "decimals").iter_rows()
    }


def _months_gap(days: float | None, published: str, decimals: int) -> float:
    """Distance in days from ``days`` to the interval that prints as ``published`` months."""
    if published == "NE":
        return 0.0 if days is None else 1000.0
    if days is None:
        return 1000.0
    half = 0.5 * 10.0**-decimals
    lo = (float(published) - half) * DAYS_PER_MONTH
    hi = (float(published) + half) * DAYS_PER_MONTH
    # the rounding interval is [lo, hi): stay a hair inside it
    return max(0.0, lo - days) + max(0.0, days - (hi - 1e-6))


def fast_km(time: Iterable[float], event: Iterable[int], bands: bool = True) -> dict[str, np.ndarray]:
    """Kaplan-Meier steps with Greenwood log-log band, without the lifelines fit.

    The searches below evaluate thousands of candidate data sets; this counts the
    risk sets with numpy and reuses :mod:`analysis.km`'s band and quantile rules, so
    it gives what :func:`analysis.km.km_quantile` gives (checked on every final
    result) at a fraction of the cost.
    """
    t = np.asarray(list(time), dtype=float)
    e = np.asarray(list(event), dtype=int)
    times = np.unique(t)
    n_risk = (t[None, :] >= times[:, None]).sum(axis=1)
    n_event = ((t[None, :] == times[:, None]) & (e[None, :] == 1)).sum(axis=1)
    surv = np.cumprod(1.0 - n_event / n_risk)
    if not bands:
        return {"time": times, "surv": surv}
    lower, upper = loglog_band(surv, greenwood_var_sum(n_risk, n_event))
    return {"time": times, "surv": surv, "lower": lower, "upper": upper}


def fast_km_quantile(time: Iterable[float], event: Iterable[int], p: float = 0.5, bands: bool = True) -> dict:
    """Median and (``bands``) Brookmeyer-Crowley limits from :func:`fast_km` (days)."""
    km = fast_km(time, event, bands)
    x = np.concatenate([[0.0], km["time"]])
    out = {}
    curves = (("estimate", "surv"), ("lower", "lower"), ("upper", "upper"))
    for key, curve in curves if bands else curves[:1]:
        y = np.concatenate([[1.0], km[curve]])
        out[key] = step_quantile(x, 1.0 - y, p)
    return out


def km_gap(
    time: list[float], event: list[int], item: str, targets: dict[tuple[str, str, str], tuple[str, int]]
) -> float:
    """Sum of distances (days) of a KM median and its limits from the published ones."""
    q = fast_km_quantile(time, event)
    gap = 0.0
    for stat, key in (("median_months", "estimate"), ("ci_lo", "lower"), ("ci_hi", "upper")):
        if ("EFF", item, stat) in targets:
            gap += _months_gap(q[key], *targets["EFF", item, stat])
    return gap


def pfs_observations(subjects: list[Subject]) -> tuple[list[int], list[int]]:
    """PFS (days, event) of every subject from the planned PFS days."""
    time, event = [], []
    for subj in subjects:
        time.append(subj.pfs_day)
        event.append(1 if subj.fate in PD_FATES + (DEATH,) else 0)
    return time, event


def dor_observations(
    subjects: list[Subject],
    levels: tuple[str, ...] = VGPR_OR_BETTER,
    last_assessment: Callable[[Subject], int] | None = None,
) -> tuple[list[int], list[int]]:
    """DOR (days from the first confirmed response, event) of responders at ``levels``.

    Deaths not due to PD are censored at the last assessment (DOR censors as TTP);
    ``last_assessment`` gives it once visits exist (else the death day - 14).
    """
    time, event = [], []
    for subj in subjects:
        if subj.bor not in levels:
            continue
        start = subj.ttr_pr[1]
        if subj.fate in PD_FATES:
            end, ev = subj.pfs_day, 1
        elif subj.fate == DEATH:
            end, ev = (last_assessment(subj) if last_assessment else subj.pfs_day - 14), 0
        else:
            end, ev = subj.pfs_day, 0
        time.append(end - start + 1)
        event.append(ev)
    return time, event


def _pfs_bounds(subj: Subject) -> tuple[int, int]:
    """Range a subject's PFS day may move in during the search."""
    slot = subj.slot
    if slot.fate == NOASSESS:
        return 1, 1
    if slot.fate == ONGOING:  # start of the last cycle: the cutoff falls on its days 22-28
        return subj.cut_day - 27, subj.cut_day - 21
    if slot.fate == STOP_FOLLOW:  # last PFS follow-up visit before the cutoff
        return subj.cut_day - 27, subj.cut_day - 1
    first_response = subj.ttr_vgpr or subj.ttr_pr or (2, 29)
    extra_visits = 4 if subj.bor in ("SCR", "CR") else 2
    earliest = first_response[1] + CYCLE_DAYS * extra_visits if subj.bor else 57
    lo = max(slot.day - 45, earliest)
    room = (
        PDDEATH_ROOM_DAYS
        if subj.role == "PDDEATH"
        else (NPM_FU_ROOM_DAYS if subj.role == "NPM_FU" else PD_ROOM_DAYS)
    )
    hi = min(slot.day + 45, subj.cut_day - room)
    if slot.fate == STOP_SUBSEQ:
        hi = min(slot.day + 45, subj.cut_day - 90)
    return lo, hi


def coordinate_search(
    items: list, get: Callable, put: Callable, bounds: Callable, gap: Callable[[], float]
) -> tuple[float, int]:
    """Deterministic first-improvement coordinate search on integer days.

    Items are visited in the given order; for each, shifts are tried smallest
    first (ties: earlier first) within ``bounds(item)``, and the first shift that
    lowers ``gap()`` is kept. Stops as soon as the gap is 0, or when a whole round
    improves nothing. Returns the final gap and the number of rounds.
    """
    best, rounds = gap(), 0
    while best > 0 and rounds < 50:
        rounds += 1
        improved = False
        for item in items:
            lo, hi = bounds(item)
            current = get(item)
            for shift in sorted(range(lo - current, hi - current + 1), key=lambda d: (abs(d), d)):
                if shift == 0:
                    continue
                put(item, current + shift)
                trial = gap()
                if trial < best - 1e-12:
                    best, improved = trial, True
                    break
                put(item, current)
            if best == 0:
                break
        if not improved:
            break
    return best, rounds


def plan_progression(subjects: list[Subject], targets: dict[tuple[str, str, str], tuple[str, int]]) -> None:
    """Move PFS days until the PFS median/CI and the DOR median print as published.

    Starts from the slots' nominal days (courses without one end near the cutoff)
    and runs :func:`coordinate_search` over subjects in enrolment order, each day
    within :func:`_pfs_bounds` (at most 45 days from its nominal value).
    """
    for subj in subjects:
        lo, hi = _pfs_bounds(subj)
        nominal = subj.slot.day if subj.slot.day else hi - 5
        subj.pfs_day = min(max(nominal, lo), hi)

    def gap() -> float:
        return km_gap(*pfs_observations(subjects), "PFS", targets) + km_gap(
            *dor_observations(subjects), "DOR|VGPR_OR_BETTER", targets
        )

    best, rounds = coordinate_search(
        sorted(subjects, key=lambda s: s.subjno),
        get=lambda s: s.pfs_day,
        put=lambda s, day: setattr(s, "pfs_day", day),
        bounds=_pfs_bounds,
        gap=gap,
    )
    if best > 0:
        raise RuntimeError(f"PFS/DOR search did not land (gap {best:.3f} days)")
    SOLVER_LOG.append(f"PFS days: coordinate search, {rounds} round(s)")


# --------------------------------------------------------------------------- stage 4
CYCLE_LENGTH = (25, 31)  # a cycle's length with the +-3-day visit window
DELAYED_LENGTH = (32, 45)  # a cycle whose next start was delayed by one or two weeks
TYPICAL_LENGTH = 29.0  # average cycle length of a course with the usual few delays
EOT_AFTER_LAST_DOSE = (28, 35)  # the EOT visit, ~30 days after the last dose
PFSFU_SPACING = (25, 31)  # PFS follow-up visits every 4 weeks (+-3 days)


def max_delays(m: int) -> int:
    """At most one delayed cycle in four (one in a segment of up to four cycles)."""
    return max(1, m // 4)


def segment_feasible(total: int, m: int) -> bool:
    """Can ``m`` consecutive cycle lengths add up to ``total`` days?"""
    if m <= 0:
        return total == 0
    for q in range(min(m, max_delays(m)) + 1):
        lo = CYCLE_LENGTH[0] * (m - q) + DELAYED_LENGTH[0] * q
        hi = CYCLE_LENGTH[1] * (m - q) + DELAYED_LENGTH[1] * q
        if lo <= total <= hi:
            return True
    return False


def segment_cost(total: int, m: int) -> float:
    """Cost of a segment: drift from the typical cycle length (delays cost)."""
    return 0.01 * abs(total - TYPICAL_LENGTH * m)


def segment_lengths(total: int, m: int, rng: np.random.Generator) -> list[int]:
    """``m`` realistic cycle lengths adding up to ``total`` (see :func:`segment_feasible`).

    The fewest delayed cycles that make the total reachable are placed at random;
    the rest is spread as +-1-day steps inside the visit windows, then a random
    zero-sum jitter is added so that schedules do not look machine-made.
    """
    if not segment_feasible(total, m):
        raise ValueError(f"{m} cycles cannot last {total} days")
    q = next(
        q
        for q in range(min(m, max_delays(m)) + 1)
        if total <= CYCLE_LENGTH[1] * (m - q) + DELAYED_LENGTH[1] * q
        and total >= CYCLE_LENGTH[0] * (m - q) + DELAYED_LENGTH[0] * q
    )
    delayed = set(rng.choice(m, size=q, replace=False).tolist()) if q else set()
    lengths = [
        (42 if total - 28 * (m - q) - 35 * q > 3 * q else 35) if i in delayed else 28 for i in range(m)
    ]
    bounds = [DELAYED_LENGTH if i in delayed else CYCLE_LENGTH for i in range(m)]
    residual = total - sum(lengths)
    while residual:
        step = 1 if residual > 0 else -1
        movable = [i for i in range(m) if bounds[i][0] <= lengths[i] + step <= bounds[i][1]]
        i = movable[int(rng.integers(len(movable)))]
        lengths[i] += step
        residual -= step
    for _ in range(m):  # zero-sum jitter inside the +-2-day part of the window
        i, j = rng.integers(m, size=2)
        if (
            i != j
            and lengths[i] + 1 <= min(bounds[i][1], 30 if i not in delayed else 45)
            and lengths[j] - 1 >= max(bounds[j][0], 26 if j not in delayed else 32)
        ):
            lengths[i] += 1
            lengths[j] -= 1
    return lengths


def _fixed_visits(subj: Subject) -> list[tuple[int, int]]:
    """Anchored cycle starts (cycle, day) before the end of the course: C1 and TTR visits."""
    anchors = {1: 1}
    for ttr in (subj.ttr_pr, subj.ttr_vgpr):
        if ttr:
            anchors[ttr[0]] = ttr[1]
    return sorted(anchors.items())


def _visits_needed(subj: Subject) -> int:
    """Fewest on-treatment day-1 visits (as a cycle number) the response course needs."""
    if not subj.bor or subj.bor == "SD":
        return 3 if subj.bor == "SD" else 2
    first = (subj.ttr_vgpr or subj.ttr_pr)[0]
    return first + 1 + (3 if subj.bor in ("SCR", "CR") else 1)


def _follow_up_gap_ok(gap: int, min_visits: int) -> bool:
    """Can an EOT visit and ``j >= min_visits`` PFS follow-up visits fill ``gap`` days
    after the last dose, ending exactly on the gap's last day?"""
    for j in range(min_visits, 40):
        lo = EOT_AFTER_LAST_DOSE[0] + PFSFU_SPACING[0] * j
        hi = EOT_AFTER_LAST_DOSE[1] + PFSFU_SPACING[1] * j
        if lo <= gap <= hi:
            return True
        if lo > gap:
            break
    return False


def _min_follow_up_visits(subj: Subject) -> int:
    if subj.fate == STOP_FOLLOW:
        return 2
    if subj.role == "NPM_LEUK":
        return 0  # leukaemia treatment starts right after the EOT visit
    return 1


def cycle_options(subj: Subject) -> dict[int, tuple[float, int]]:
    """Feasible cycle counts of a subject: ``n -> (cost, start day of cycle n)``.

    The last cycle's start is where the course's end anchor puts it: the PD visit
    (C<n+1>D1 on the PD day), the cutoff window (on treatment), a few days before
    death, or -- for courses that stop -- a day from which the EOT visit and PFS
    follow-up visits reach the censoring/PD day.
    """
    fate = subj.fate
    if fate == NOASSESS:
        return {1: (0.0, 1)}
    anchors = _fixed_visits(subj)
    k_a, d_a = anchors[-1]
    base = sum(segment_cost(d2 - d1, k2 - k1) for (k1, d1), (k2, d2) in zip(anchors, anchors[1:]))
    options: dict[int, tuple[float, int]] = {}
    for n in range(max(_visits_needed(subj), k_a), MAX_CYCLES + 1):
        best: tuple[float, int] | None = None
        if fate in (PD_ON, NLPD):  # C<n+1>D1 is the PD visit; realise_cycles fills the rest
            total = subj.pfs_day - d_a
            if segment_feasible(total, n + 1 - k_a):
                best = (segment_cost(total, n + 1 - k_a), -1)
        elif fate == ONGOING:  # the last cycle starts on the planned PFS censoring day
            total = subj.pfs_day - d_a
            if (n > k_a and segment_feasible(total, n - k_a)) or (n == k_a and total == 0):
                best = (segment_cost(total, n - k_a), subj.pfs_day)
        elif fate == DEATH:  # the last cycle starts 8-20 days before the death
            for delta in sorted(range(8, 21), key=lambda d: abs(d - 14)):
                total = subj.pfs_day - delta - d_a
                if n > k_a and segment_feasible(total, n - k_a):
                    best = (segment_cost(total, n - k_a) + 0.01 * abs(delta - 14), subj.pfs_day - delta)
                    break
        else:  # the course stops after cycle n; EOT and PFS follow-up visits reach the PFS day
            m = n - k_a
            totals = (
                [0]
                if m == 0
                else sorted(
                    (
                        t
                        for t in range(CYCLE_LENGTH[0] * m, DELAYED_LENGTH[1] * m + 1)
                        if segment_feasible(t, m)
                    ),
                    key=lambda t: (abs(t - TYPICAL_LENGTH * m), t),
                )
            )
            for total in totals:
                start_n = d_a + total
                last_dose = start_n + SCHEDULE["DEXAMETHASONE"][1][-1] - 1
                if subj.role == "NPM_FU" and last_dose > subj.cut_day - NPM_FU_ROOM_DAYS:
                    continue
                # a margin of a day either side: dropping dexamethasone moves the last dose
                if all(
                    _follow_up_gap_ok(subj.pfs_day - last_dose + shift, _min_follow_up_visits(subj))
                    for shift in (-1, 0, 1)
                ):
                    stop_cost = subj.slot.stop_weight * abs(n - subj.slot.stop_cycle)
                    best = (segment_cost(total, m) + stop_cost, start_n)
                    break
        if best is not None:
            options[n] = (base + best[0], best[1])
    if not options:
        raise RuntimeError(f"{subj.subjid}: no feasible cycle count")
    return options


def _cycle_targets(targets: dict) -> dict[str, float]:
    return {stat: float(targets["T2", "CYCLES", stat][0]) for stat in ("mean", "sd", "median", "min", "max")}


def solve_cycle_counts(subjects: list[Subject], targets: dict) -> None:
    """Choose every subject's number of cycles (MILP); sets ``subject.n_cycles``.

    One-hot ``z[s, n]`` over :func:`cycle_options`; with ``S = sum n z`` and
    ``Q = sum n^2 z`` linear, the published mean and sample SD are exact: S is one of
    the sums whose mean prints as published (one binary each) and Q lies in the
    integer range that makes the SD print as published for that S. The median is
    exact through "at most 16 subjects below it and 16 above it" (34 subjects: the
    17th and 18th values both equal it), min and max through bounds plus "someone
    has it".
    """
    goal = _cycle_targets(targets)
    n_subj = len(subjects)
    model = Model()
    z: dict[tuple[int, int], int] = {}
    options = [cycle_options(s) for s in subjects]
    for s, opts in enumerate(options):
        for n, (cost, _) in opts.items():
            if goal["min"] <= n <= goal["max"]:
                z[s, n] = model.var(cost)
        model.add(((z[s, n], 1.0) for n in opts if (s, n) in z), 1, 1)
    sums = [
        S
        for S in range(n_subj, int(goal["max"]) * n_subj)
        if _prints(S / n_subj, targets["T2", "CYCLES", "mean"])
    ]
    y = {S: model.var(0.0) for S in sums}
    model.add(((v, 1.0) for v in y.values()), 1, 1)
    model.add([(v, float(n)) for (s, n), v in z.items()] + [(y[S], -float(S)) for S in sums], 0, 0)
    q_terms = [(v, float(n * n)) for (s, n), v in z.items()]
    sd_text = targets["T2", "CYCLES", "sd"]
    q_range = {
        S: [
            Q
            for Q in range(int(S * S / n_subj), int(S * S / n_subj) + 20000)
            if _prints(math.sqrt(max(Q - S * S / n_subj, 0) / (n_subj - 1)), sd_text)
        ]
        for S in sums
    }
    model.add(q_terms + [(y[S], -float(min(q_range[S]))) for S in sums], 0, np.inf)
    model.add(q_terms + [(y[S], -float(max(q_range[S]))) for S in sums], -np.inf, 0)
    median = goal["median"]
    half = (n_subj - 1) // 2  # 16 of 34
    model.add(((v, 1.0) for (s, n), v in z.items() if n < median), 0, half)
    model.add(((v, 1.0) for (s, n), v in z.items() if n > median), 0, half)
    model.add(((v, 1.0) for (s, n), v in z.items() if n == goal["max"]), 1, n_subj)
    model.add(((v, 1.0) for (s, n), v in z.items() if n == goal["min"]), 1, n_subj)
    sol = model.solve("cycle counts")
    for (s, n), v in z.items():
        if sol[v] > 0.5:
            subjects[s].n_cycles = n


def _prints(value: float | None, published: tuple[str, int]) -> bool:
    """Does ``value`` round (half away from zero) to the published text?"""
    from analysis.results import value_matches

    return value_matches(value, published[0], published[1])


# --------------------------------------------------------------------------- stage 5
def realise_cycles(subjects: list[Subject], rng: np.random.Generator) -> None:
    """Cycle start days through every anchor; sets ``subject.starts``.

    For PD on treatment the anchor chain ends at C<n+1>D1 = the PD day (the visit
    at which cycle n+1 would have started).
    """
    for subj in subjects:
        n = subj.n_cycles
        if subj.fate == NOASSESS:
            subj.starts = [1]
            continue
        anchors = dict(_fixed_visits(subj))
        if subj.fate in (PD_ON, NLPD):
            anchors[n + 1] = subj.pfs_day
        else:
            anchors[n] = cycle_options(subj)[n][1]
        days = {1: 1}
        chain = sorted(anchors.items())
        for (k1, d1), (k2, d2) in zip(chain, chain[1:]):
            for i, length in enumerate(segment_lengths(d2 - d1, k2 - k1, rng), start=1):
                days[k1 + i] = days[k1 + i - 1] + length
        subj.starts = [days[k] for k in range(1, n + 1)]
        if any(b - a < CYCLE_LENGTH[0] for a, b in zip(subj.starts, subj.starts[1:])):
            raise RuntimeError(f"{subj.subjid}: a cycle shorter than {CYCLE_LENGTH[0]} days")


def structural_stop_day(subj: Subject) -> int | None:
    """Cycle day of the last cycle from which nothing is given (withdrawal, fatal fall)."""
    if subj.fate == NOASSESS:
        return 15  # took the first two weeks, then withdrew consent
    if subj.fate == DEATH:
        fall_day = subj.pfs_day - 5  # hospitalised after the fall, died five days later
        return fall_day - subj.starts[-1] + 1
    return None


# --------------------------------------------------------------------------- stage 6
@dataclass(frozen=True)
class DosePattern:
    """A drug's dose course for one subject, in whole cycles plus held doses.

    ``stop_cycles`` final cycles without the drug (discontinued), before them
    ``reduced_cycles`` cycles at dose level >= 1 of which the last ``level2_cycles``
    at level 2, and ``holds`` held administrations among the full-dose cycles.
    """

    stop_cycles: int
    reduced_cycles: int
    level2_cycles: int
    holds: int
    rdi: float
    cost: float


HOLD_COST = {"IXAZOMIB": 0.15, "LENALIDOMIDE": 0.03, "DEXAMETHASONE": 0.15}
MAX_HOLDS = {"IXAZOMIB": 12, "LENALIDOMIDE": 70, "DEXAMETHASONE": 16}
RDI_BUCKET = 0.5  # candidate RDI values kept per subject: the cheapest per 0.5%


def _available_days(subj: Subject, drug: str) -> list[list[int]]:
    """Per cycle, the schedule days of ``drug`` that can be given at all."""
    days = list(SCHEDULE[drug][1])
    stop = structural_stop_day(subj)
    per_cycle = [days[:] for _ in range(subj.n_cycles)]
    if stop is not None:
        per_cycle[-1] = [d for d in days if d < stop]
    return per_cycle


def dose_patterns(subj: Subject, drug: str, keep: tuple[float, float]) -> list[DosePattern]:
    """Candidate dose patterns of one drug for one subject, with their exact RDI.

    Enumerates discontinuation (ixazomib and dexamethasone only), dose-level
    reductions at cycle starts (never in cycle 1) and held doses (never on a cycle's
    day 1 nor on the course's last administration, so every cycle stays a treatment
    cycle and the last dose day stays where the calendar put it), and keeps the
    cheapest pattern per :data:`RDI_BUCKET` of RDI plus every pattern whose RDI lies
    in ``keep`` (the band the median must fall in).
    """
    levels = dose_levels(drug, subj.lenstdos)
    per_cycle = _available_days(subj, drug)
    n = subj.n_cycles
    counts = np.concatenate([[0], np.cumsum([len(c) for c in per_cycle])])  # prefix sums
    hold_room = np.array([len([d for d in c if d != 1]) for c in per_cycle])
    hold_room[-1] = max(hold_room[-1] - 1, 0)  # the course's last administration is given
    room = np.concatenate([[0], np.cumsum(hold_room)])
    planned = levels[0] * len(SCHEDULE[drug][1]) * n
    actions = subj.ae_actions.get(drug, set())
    reduced, withdrawn = "DOSE REDUCED" in actions, "DRUG WITHDRAWN" in actions
    interrupted = "DRUG INTERRUPTED" in actions
    # lenalidomide, the backbone, is never dropped on its own (an AE that withdrew it
    # ends the treatment); dropping it would also move the course's last dose day
    max_stop = n - 1 if drug != "LENALIDOMIDE" else 0
    ae_known = bool(subj.ae_actions)
    parts = []
    for m_stop in range(max_stop + 1):
        for m1 in range(n - m_stop):
            full = n - m_stop - m1  # cycles at the starting dose (>= 1)
            m2 = np.arange(m1 + 1)  # of the m1 reduced cycles, the last m2 at level 2
            holds = np.arange(min(MAX_HOLDS[drug], int(room[full])) + 1)
            m2g, hg = np.meshgrid(m2, holds, indexing="ij")
            level1 = counts[full + m1 - m2g] - counts[full]
            level2 = counts[full + m1] - counts[full + m1 - m2g]
            total = levels[0] * (counts[full] - hg) + levels[1] * level1 + levels[2] * level2
            cost = (
                1.0 * (m1 > 0)
                + 1.0 * (m2g > 0)
                + 1.5 * (m_stop > 0)
                + 0.02 * (m1 + m_stop)  # late changes are the usual pattern
                + 0.5 * (m1 + m_stop > 0 and full < 3)  # ... changes in cycle 2-3 less so
                + HOLD_COST[drug] * hg
                # two years without any change of any kind are rare
                + 0.08 * n * ((m1 == 0) & (m_stop == 0) & (hg == 0))
            )
            if ae_known:  # agree with the AE records' actions on this drug
                cost = cost + (2.0 * (m1 == 0) if reduced else 1.5 * (m1 > 0))
                if not withdrawn:
                    cost = cost + 2.0 * (m_stop > 0)
                elif subj.fate == ONGOING:  # (for a finished course: the drug's end)
                    cost = cost + 1.0 * (m_stop == 0)
                if interrupted:
                    cost = cost + 1.0 * (hg == 0)
            parts.append(
                np.column_stack(
                    [
                        np.full(m2g.size, m_stop),
                        np.full(m2g.size, m1),
                        m2g.ravel(),
                        hg.ravel(),
                        (100.0 * total / planned).ravel(),
                        cost.ravel(),
                    ]
                )
            )
    grid = np.vstack(parts)
    rdi, cost = grid[:, 4], grid[:, 5]
    # cheapest per RDI bucket, and cheapest per exact value inside the median band;
    # ties broken by the pattern itself, so the choice is reproducible
    order = np.lexsort((grid[:, 3], grid[:, 2], grid[:, 1], grid[:, 0], cost, np.floor(rdi / RDI_BUCKET)))
    buckets = np.floor(rdi[order] / RDI_BUCKET)
    keep_rows = set(order[np.concatenate([[True], buckets[1:] != buckets[:-1]])].tolist())
    in_band = np.nonzero((rdi >= keep[0]) & (rdi < keep[1]))[0]
    if in_band.size:
        values = np.round(rdi[in_band], 9)
        order = in_band[
            np.lexsort(
                (
                    grid[in_band, 3],
                    grid[in_band, 2],
                    grid[in_band, 1],
                    grid[in_band, 0],
                    cost[in_band],
                    values,
                )
            )
        ]
        values = np.round(rdi[order], 9)
        keep_rows |= set(order[np.concatenate([[True], values[1:] != values[:-1]])].tolist())
    patterns = [
        DosePattern(
            int(grid[i, 0]), int(grid[i, 1]), int(grid[i, 2]), int(grid[i, 3]), float(rdi[i]), float(cost[i])
        )
        for i in sorted(keep_rows)
    ]
    return sorted(
        patterns, key=lambda p: (p.rdi, p.cost, p.stop_cycles, p.reduced_cycles, p.level2_cycles, p.holds)
    )


def _rdi_targets(targets: dict, drug: str) -> dict[str, tuple[str, int]]:
    return {stat: targets["T2", f"RDI_{drug}", stat] for stat in ("mean", "sd", "median", "min", "max")}


def _print_interval(published: tuple[str, int]) -> tuple[float, float]:
    """``[lo, hi)`` of values that round half away from zero to the published text."""
    half = 0.5 * 10.0 ** -published[1]
    return float(published[0]) - half, float(published[0]) + half


def solve_dose_patterns(subjects: list[Subject], targets: dict) -> dict[tuple[str, str], DosePattern]:
    """Pick one dose pattern per subject and drug (one MILP per drug).

    With binaries ``z[s, p]`` over :func:`dose_patterns` the RDI of each subject is
    linear, so the mean, the median (at most 16 subjects below its rounding interval
    and 16 above), min and max are exact constraints. The sample SD needs
    ``sum v^2 - (sum v)^2 / n``; ``(sum v)^2`` is linearised around the target sum
    (error below 0.1 on a window of ~80), the window is shrunk by that margin and
    the exact SD is checked afterwards. The objective is the patterns' realism cost
    (fewer dose changes, late rather than early).
    """
    chosen: dict[tuple[str, str], DosePattern] = {}
    n_subj = len(subjects)
    for drug in DRUGS:
        goal = _rdi_targets(targets, drug)
        mean_lo, mean_hi = _print_interval(goal["mean"])
        med_lo, med_hi = _print_interval(goal["median"])
        min_lo, min_hi = _print_interval(goal["min"])
        max_lo, _ = _print_interval(goal["max"])
        sd_lo, sd_hi = _print_interval(goal["sd"])
        model = Model()
        z: dict[tuple[int, int], int] = {}
        candidates = []
        for s, subj in enumerate(subjects):
            pats = [p for p in dose_patterns(subj, drug, (med_lo, med_hi)) if p.rdi >= min_lo]
            candidates.append(pats)
            for i, p in enumerate(pats):
                z[s, i] = model.var(p.cost)
            model.add(((z[s, i], 1.0) for i in range(len(pats))), 1, 1)

        def terms(fn):
            return [(v, fn(candidates[s][i].rdi)) for (s, i), v in z.items()]  # noqa: B023 (called in this iteration)

        eps = 1e-7
        model.add(terms(lambda r: r), n_subj * mean_lo + eps, n_subj * mean_hi - eps)
        target_sum = n_subj * float(goal["mean"][0])
        # (n-1) var = sum v^2 - S^2/n ~ sum v^2 - (2 S0 S - S0^2)/n; margin for the error
        lin = terms(lambda r: r * r - 2.0 * target_sum * r / n_subj)  # noqa: B023 (called in this iteration)
        offset = target_sum**2 / n_subj
        margin = (n_subj * (mean_hi - mean_lo)) ** 2 / n_subj + 1.0
        model.add(lin, (n_subj - 1) * sd_lo**2 - offset + margin, (n_subj - 1) * sd_hi**2 - offset - margin)
        half = (n_subj - 1) // 2
        model.add(((v, 1.0) for (s, i), v in z.items() if candidates[s][i].rdi < med_lo), 0, half)
        model.add(((v, 1.0) for (s, i), v in z.items() if candidates[s][i].rdi >= med_hi), 0, half)
        model.add(((v, 1.0) for (s, i), v in z.items() if candidates[s][i].rdi < min_hi), 1, n_subj)
        model.add(((v, 1.0) for (s, i), v in z.items() if candidates[s][i].rdi >= max_lo), 1, n_subj)
        sol = model.solve(f"dose patterns {drug.lower()}")
        for (s, i), v in z.items():
            if sol[v] > 0.5:
                chosen[subjects[s].subjid, drug] = candidates[s][i]
    return chosen


def dosing_rows(
    subjects: list[Subject], patterns: dict[tuple[str, str], DosePattern], rng: np.random.Generator
) -> list[dict]:
    """``dosing.csv`` rows that realise the chosen patterns (and structural stops).

    Reductions and discontinuations start on day 1 of a cycle; held doses are
    spread at random over the full-dose cycles (lenalidomide in blocks of days, as a
    one- or two-week interruption), never on day 1 nor on the course's last dose.
    """
    rows: list[dict] = []
    for subj in subjects:
        n = subj.n_cycles
        stop = structural_stop_day(subj)
        for drug in DRUGS:
            p = patterns[subj.subjid, drug]
            full = n - p.stop_cycles - p.reduced_cycles
            per_cycle = _available_days(subj, drug)
            if p.reduced_cycles:
                rows.append(_dose_row(subj, drug, full + 1, 1, "LEVEL", 1, "DOSE LEVEL REDUCED"))
            if p.level2_cycles:
                rows.append(
                    _dose_row(
                        subj,
                        drug,
                        full + p.reduced_cycles - p.level2_cycles + 1,
                        1,
                        "LEVEL",
                        2,
                        "DOSE LEVEL REDUCED",
                    )
                )
            if p.stop_cycles:
                rows.append(_dose_row(subj, drug, n - p.stop_cycles + 1, 1, "STOPPED", None, "ADVERSE EVENT"))
            elif stop is not None:
                first = next((d for d in SCHEDULE[drug][1] if d >= stop), None)
                if first is not None:
                    reason = "OTHER" if subj.fate == NOASSESS else "ADVERSE EVENT"
                    rows.append(_dose_row(subj, drug, n, first, "STOPPED", None, reason))
            rows += _held_rows(subj, drug, p.holds, per_cycle[:full], full == n, rng)
    order = {d: i for i, d in enumerate(DRUGS)}
    rows.sort(key=lambda r: (r["SUBJID"], order[r["EXTRT"]], r["CYCLE"], r["CYDAY"], r["ACTION"]))
    return rows


def _dose_row(
    subj: Subject, drug: str, cycle: int, cyday: int, action: str, level: int | None, reason: str
) -> dict:
    return {
        "SUBJID": subj.subjid,
        "EXTRT": drug,
        "CYCLE": cycle,
        "CYDAY": cyday,
        "ACTION": action,
        "LEVEL": "" if level is None else level,
        "EXADJ": reason,
    }


def _held_rows(
    subj: Subject,
    drug: str,
    holds: int,
    cycles: list[list[int]],
    includes_last: bool,
    rng: np.random.Generator,
) -> list[dict]:
    """Place ``holds`` held administrations in the full-dose cycles."""
    eligible = [(c + 1, d) for c, days in enumerate(cycles) for d in days if d != 1]
    if includes_last and eligible and cycles:
        last = (len(cycles), cycles[-1][-1])
        eligible = [e for e in eligible if e != last]
    if holds > len(eligible):
        raise RuntimeError(f"{subj.subjid} {drug}: {holds} holds do not fit")
    chosen: set[tuple[int, int]] = set()
    if drug == "LENALIDOMIDE":
        by_cycle: dict[int, list[int]] = {}
        for c, d in eligible:
            by_cycle.setdefault(c, []).append(d)
        while len(chosen) < holds:
            c = list(by_cycle)[int(rng.integers(len(by_cycle)))]
            free = [d for d in by_cycle[c] if (c, d) not in chosen]
            if not free:
                continue
            block = min(holds - len(chosen), int(rng.integers(1, 8)), len(free))
            # an interruption runs to the end of the cycle's lenalidomide window
            for d in free[-block:]:
                chosen.add((c, d))
    else:
        picks = rng.choice(len(eligible), size=holds, replace=False) if holds else []
        chosen = {eligible[int(i)] for i in picks}
    # one reason per interruption: an AE where the AE records interrupted the drug
    # (or there are no AE records), a single missed day or dose otherwise
    for_ae = "DRUG INTERRUPTED" in subj.ae_actions.get(drug, {"DRUG INTERRUPTED"})
    rows, run_reason = [], ""
    for c, d in sorted(chosen):
        step = 1 if drug == "LENALIDOMIDE" else 7
        if (c, d - step) not in chosen or drug != "LENALIDOMIDE":  # a new interruption
            run = drug == "LENALIDOMIDE" and (c, d + 1) in chosen
            if run:
                run_reason = "ADVERSE EVENT" if for_ae else "OTHER"
            else:
                run_reason = "ADVERSE EVENT" if for_ae and rng.random() < 0.85 else "MISSED"
        rows.append(_dose_row(subj, drug, c, d, "HELD", None, run_reason))
    return rows


def administrations(subjects: list[Subject], dosing: list[dict]) -> pl.DataFrame:
    """Expanded administrations of the solved course (:func:`expand_administrations`)."""
    cycles = pl.DataFrame(
        [(s.subjid, k, d) for s in subjects for k, d in enumerate(s.starts, 1)],
        schema={"SUBJID": pl.String, "CYCLE": pl.Int64, "START_DAY": pl.Int64},
        orient="row",
    )
    frame = (
        pl.DataFrame(
            dosing,
            schema={
                "SUBJID": pl.String,
                "EXTRT": pl.String,
                "CYCLE": pl.Int64,
                "CYDAY": pl.Int64,
                "ACTION": pl.String,
                "LEVEL": pl.String,
                "EXADJ": pl.String,
            },
        )
        if dosing
        else None
    )
    return expand_administrations(cycles, frame, {s.subjid: s.lenstdos for s in subjects})


# --------------------------------------------------------------------------- stage 7
def spread(total: int, parts: int, bounds: tuple[int, int], rng: np.random.Generator) -> list[int]:
    """``parts`` integers within ``bounds`` adding up to ``total`` (random, near-even)."""
    if not bounds[0] * parts <= total <= bounds[1] * parts:
        raise ValueError(f"cannot split {total} into {parts} parts within {bounds}")
    values = [total // parts] * parts
    for i in range(total - sum(values)):
        values[i] += 1
    for _ in range(2 * parts):
        i, j = rng.integers(parts, size=2)
        if i != j and values[i] < bounds[1] and values[j] > bounds[0]:
            values[i] += 1
            values[j] -= 1
    return values


def _follow_up_visits(
    last_dose: int, end_day: int, min_visits: int, rng: np.random.Generator
) -> tuple[int, list[int]]:
    """EOT visit day and PFS follow-up visit days ending exactly on ``end_day``."""
    options = []
    for j in range(min_visits, 40):
        for e in range(EOT_AFTER_LAST_DOSE[0], EOT_AFTER_LAST_DOSE[1] + 1):
            rest = end_day - last_dose - e
            if PFSFU_SPACING[0] * j <= rest <= PFSFU_SPACING[1] * j:
                options.append((abs(e - 30) + abs(rest - 28 * j) / max(j, 1), j, e))
    if not options:
        raise RuntimeError(f"no follow-up schedule from day {last_dose} to {end_day}")
    _, j, e = min(options)
    eot = last_dose + e
    days, day = [], eot
    for gap in spread(end_day - eot, j, PFSFU_SPACING, rng) if j else []:
        day += gap
        days.append(day)
    return eot, days


def complete_courses(subjects: list[Subject], admin: pl.DataFrame, rng: np.random.Generator) -> None:
    """Visits after the last cycle, EOT, subsequent therapy, deaths and last alive days.

    Fills ``subject.visits`` (VISIT, DAY) and ``subject.course`` (days and codes).
    """
    last_dose = dict(
        admin.filter(pl.col("EXDOSE") > 0).group_by("SUBJID").agg(pl.col("DAY").max()).iter_rows()
    )
    last_planned = dict(admin.group_by("SUBJID").agg(pl.col("DAY").max()).iter_rows())
    regimens = iter(SUBSEQUENT_REGIMENS * 10)
    for subj in sorted(subjects, key=lambda s: s.subjno):
        fate, n, D = subj.fate, subj.n_cycles, subj.pfs_day
        visits = [(f"C{k}D1", day) for k, day in enumerate(subj.starts, 1) if k >= 2]
        c = {"CYCLES": n, "LAST_DOSE_DAY": last_dose[subj.subjid], "EOT_REASON": subj.slot.eot_reason}
        last = last_dose[subj.subjid]
        if fate in (PD_ON, NLPD):
            visits.append((f"C{n + 1}D1", D))
            decision = D
            if fate == PD_ON:
                decision = D + int(rng.integers(7, 15))
                visits.append(("UNSCHEDULED", decision))
            eot_visit = max(last + int(rng.integers(28, 34)), decision + 7)
            visits.append(("EOT", eot_visit))
            c["EOT_DAY"] = decision
            c["SUBSEQ_DAY"] = eot_visit + int(rng.integers(5, 22))
            c["SUBSEQ_DRUGS"] = next(regimens)
        elif fate in STOP_FATES:
            c["EOT_DAY"] = last + int(rng.integers(2, 8))
            eot_visit, fu = _follow_up_visits(last, D, _min_follow_up_visits(subj), rng)
            visits.append(("EOT", eot_visit))
            visits += [(f"PFSFU{j}", day) for j, day in enumerate(fu, 1)]
            if fate == PD_FU:
                visits.append(("UNSCHEDULED", D + 14))
                c["SUBSEQ_DAY"] = D + 14 + int(rng.integers(7, 22))
                c["SUBSEQ_DRUGS"] = next(regimens)
            elif fate == STOP_SUBSEQ:
                c["SUBSEQ_DAY"] = D + int(rng.integers(5, 20))
                # a second primary malignancy is treated as such
                c["SUBSEQ_DRUGS"] = "OTHER" if subj.role.startswith("NPM_") else next(regimens)
        elif fate == DEATH:
            c.update(EOT_DAY=D, DEATH_DAY=D, DTHCAUS="ADVERSE EVENT", EOS_DAY=D, EOS_REASON="DEATH")
        elif fate == NOASSESS:
            withdrawal = 24
            c.update(EOT_DAY=withdrawal, EOS_DAY=withdrawal, EOS_REASON="WITHDRAWAL BY SUBJECT")
        if fate == ONGOING:
            c["EOT_REASON"] = ""
        if subj.role == "PDDEATH":
            death = min(c["SUBSEQ_DAY"] + int(rng.integers(150, 260)), subj.cut_day - 20)
            c.update(DEATH_DAY=death, DTHCAUS="PROGRESSIVE DISEASE", EOS_DAY=death, EOS_REASON="DEATH")
        subj.visits = sorted(visits, key=lambda v: v[1])
        latest = max(
            [last_planned[subj.subjid]]
            + [d for _, d in visits]
            + [c.get("EOT_DAY") or 0, c.get("SUBSEQ_DAY") or 0]
        )
        if c.get("DEATH_DAY"):
            c["LAST_ALIVE_DAY"] = c["DEATH_DAY"]
        elif fate in (ONGOING, STOP_FOLLOW, NOASSESS):
            c["LAST_ALIVE_DAY"] = latest
        else:  # survival follow-up: a contact in the last 12 weeks before the cutoff
            c["LAST_ALIVE_DAY"] = max(latest + 1, subj.cut_day - int(rng.integers(0, 45)))
        # the follow-up search may move the last contact down to here (a PFS follow-up
        # subject may also have a survival contact after the last PFS visit)
        c["FOLLOW_UP_FLOOR"] = latest if fate == STOP_FOLLOW else latest + 1
        if c["LAST_ALIVE_DAY"] > subj.cut_day or (latest > c["LAST_ALIVE_DAY"] and not c.get("DEATH_DAY")):
            raise RuntimeError(f"{subj.subjid}: records after the last day known alive or cutoff")
        subj.course = c


# --------------------------------------------------------------------------- stage 8
def assign_categories(subjects: list[Subject], rng: np.random.Generator) -> None:
    """The central-lab category, marrow flag and investigator response of every visit.

    Responders show SD before their first response, then PR, VGPR and (CR group)
    CR/sCR from the visits the TTR plan and a drawn CR visit give; PD from the PD
    visit on. A marrow sample is taken at the first CR and the first sCR visit.
    Three endpoint-neutral complications (module docstring): a PR responder with a
    single unconfirmed VGPR visit, a VGPR responder with a single unconfirmed PD
    visit (investigator: still VGPR), and a PR responder whose last assessment before
    the cutoff shows a PD not yet confirmed (investigator: still PR).
    """
    on_pr = sorted((s for s in subjects if s.slot.name.startswith("ON_PR")), key=lambda s: s.subjno)
    single_vgpr, last_pd = on_pr[0].subjid, on_pr[1].subjid
    blip_pd = next(s.subjid for s in subjects if s.slot.name.startswith("ON_VGPR"))
    sCR_via_CR = {
        s.subjid for s in sorted((s for s in subjects if s.bor == "SCR"), key=lambda s: s.subjno)[1::3]
    }
    for subj in sorted(subjects, key=lambda s: s.subjno):
        days = [d for _, d in subj.visits]
        cats = ["SD"] * len(days)
        marrow = [""] * len(days)
        if subj.fate in PD_FATES:
            first_pd = days.index(subj.pfs_day)
        else:
            first_pd = len(days)
        if subj.fate == NLPD:
            cats = ["SD"] * first_pd + ["NLPD"] * (len(days) - first_pd)
        elif subj.bor in RESPONDER:
            i_pr = days.index(subj.ttr_pr[1])
            i_vg = days.index(subj.ttr_vgpr[1]) if subj.ttr_vgpr else first_pd
            for i in range(i_pr, first_pd):
                cats[i] = "PR" if i < i_vg else "VGPR"
            if subj.bor in ("SCR", "CR"):
                # CR visit: 1-4 visits after the first VGPR, confirmed before PD/the end
                last_ok = min(first_pd, _response_end_index(subj)) - 2
                via_cr = subj.subjid in sCR_via_CR
                room = last_ok - i_vg - (3 if via_cr else 0)
                if room < 1:
                    raise RuntimeError(f"{subj.subjid}: no room for a complete response")
                i_cr = i_vg + int(rng.integers(1, min(4, room) + 1))
                marrow[i_cr] = "Y"
                i_scr = i_cr
                if via_cr:
                    i_scr = i_cr + int(rng.integers(2, min(4, last_ok - i_cr) + 1))
                    marrow[i_scr] = "Y"
                for i in range(i_cr, first_pd):
                    cats[i] = "CR" if subj.bor == "CR" or i < i_scr else "SCR"
        for i in range(first_pd, len(days)):
            if subj.fate != NLPD:
                cats[i] = "PD"
        investigator = [(_investigator_code(cat), _pd_reason(cat)) for cat in cats]
        if subj.subjid == single_vgpr:
            j = days.index(subj.ttr_pr[1]) + (len(days) - days.index(subj.ttr_pr[1])) // 2
            cats[j] = "VGPR"
            investigator[j] = ("VGPR", "")
        if subj.subjid == blip_pd:
            j = days.index(subj.ttr_vgpr[1]) + (len(days) - days.index(subj.ttr_vgpr[1])) // 2
            cats[j] = "PD"
            investigator[j] = ("VGPR", "")  # the investigator reads it as a lab error
        if subj.subjid == last_pd:
            cats[-1] = "PD"
            investigator[-1] = ("PR", "")  # awaiting confirmation at the cutoff
        subj.categories, subj.marrow, subj.investigator = cats, marrow, investigator


def _response_end_index(subj: Subject) -> int:
    """Index after the last visit at which a response may still be reached and confirmed."""
    days = [d for _, d in subj.visits]
    if subj.fate in STOP_FATES:  # responses are reached on treatment
        return sum(1 for v, _ in subj.visits if v.startswith("C")) + 1
    return len(days)


def _investigator_code(category: str) -> str:
    return "PD" if category in ("PD", "NLPD") else category


def _pd_reason(category: str) -> str:
    return {"PD": "LABORATORY", "NLPD": "PLASMACYTOMA"}.get(category, "")


def derive_response(days: list[int], categories: list[str], subsequent_day: int | None = None) -> dict:
    """Confirmed response of one subject by ``docs/derivations.md#confirmation``.

    Parameters
    ----------
    days, categories : list
        Assessment study days (ascending) and the per-assessment lab category.
    subsequent_day : int, optional
        Start of subsequent anticancer therapy; later assessments do not count.

    Returns
    -------
    dict
        ``BOR`` (None without assessments), ``PD_DAY`` (first confirmed PD: a lab PD
        followed by another PD, or a non-laboratory PD), ``TTR_PR_DAY``,
        ``TTR_VGPR_DAY`` (first assessment of the first confirming pair at that
        level), ``LAST_DAY`` (last assessment before subsequent therapy).
    """
    kept = [(d, c) for d, c in zip(days, categories) if subsequent_day is None or d < subsequent_day]
    d = [x for x, _ in kept]
    c = [x for _, x in kept]
    pd_index = None
    for i, cat in enumerate(c):
        if cat == "NLPD" or (cat == "PD" and i + 1 < len(c) and c[i + 1] in ("PD", "NLPD")):
            pd_index = i
            break
    limit = len(c) if pd_index is None else pd_index
    confirmed = []
    for i in range(limit):
        if c[i] in RESPONDER and i + 1 < len(c) and c[i + 1] in RESPONDER:
            confirmed.append((i, max(c[i], c[i + 1], key=DEPTH.get)))
    if confirmed:
        bor = min((lvl for _, lvl in confirmed), key=DEPTH.get)
    elif not c:
        bor = None
    else:
        bor = "PD" if pd_index == 0 else "SD"

    def first(levels: tuple[str, ...]) -> int | None:
        return next((d[i] for i, lvl in confirmed if lvl in levels), None)

    return {
        "BOR": bor,
        "PD_DAY": None if pd_index is None else d[pd_index],
        "TTR_PR_DAY": first(RESPONDER),
        "TTR_VGPR_DAY": first(VGPR_OR_BETTER),
        "LAST_DAY": d[-1] if d else None,
    }


def intended_endpoints(subj: Subject) -> dict:
    """BOR, PFS, OS, TTR and DOR of a subject, derived from its assessments."""
    c = subj.course
    days = [d for _, d in subj.visits]
    r = derive_response(days, subj.categories, c.get("SUBSEQ_DAY"))
    measurable = subj.role != "NONMEAS"
    out: dict = {"BOR": r["BOR"] if (measurable and r["BOR"]) else ""}
    death = c.get("DEATH_DAY")
    subseq = c.get("SUBSEQ_DAY")
    if r["PD_DAY"] is not None:
        out.update(PFS_DAY=r["PD_DAY"], PFS_CNSR=0)
    elif death and (subseq is None or death < subseq):
        out.update(PFS_DAY=death, PFS_CNSR=0)
    else:
        out.update(PFS_DAY=r["LAST_DAY"] or 1, PFS_CNSR=1)
    out.update(OS_DAY=death or c["LAST_ALIVE_DAY"], OS_CNSR=0 if death else 1)
    out.update(TTR_PR_DAY=r["TTR_PR_DAY"] or "", TTR_VGPR_DAY=r["TTR_VGPR_DAY"] or "")
    if out["BOR"] in RESPONDER:
        start = r["TTR_PR_DAY"]
        if r["PD_DAY"] is not None:
            out.update(DOR_DAY=r["PD_DAY"] - start + 1, DOR_CNSR=0)
        else:  # death without PD is censored (DOR censors as TTP)
            out.update(DOR_DAY=r["LAST_DAY"] - start + 1, DOR_CNSR=1)
    else:
        out.update(DOR_DAY="", DOR_CNSR="")
    out["FOLLOWUP_DAY"] = out["OS_DAY"]
    return out


def tune_follow_up(subjects: list[Subject], targets: dict) -> None:
    """Move last-known-alive days of subjects in follow-up (:func:`coordinate_search`)
    until the reverse-KM median follow-up prints as published.

    Each such day stays within the last 12 weeks (one survival-contact interval)
    before the cutoff and after the subject's other records.
    """
    free = [
        s
        for s in sorted(subjects, key=lambda s: s.subjno)
        if not s.course.get("DEATH_DAY") and s.fate not in (ONGOING, NOASSESS)
    ]
    published = targets["EFF", "FOLLOW_UP", "median_months"]
    window = _print_interval(published)
    lo_day, hi_day = window[0] * DAYS_PER_MONTH, window[1] * DAYS_PER_MONTH

    def gap() -> float:
        time, reverse = [], []
        for s in subjects:
            death = s.course.get("DEATH_DAY")
            time.append(death or s.course["LAST_ALIVE_DAY"])
            reverse.append(0 if death else 1)  # reverse KM: censoring is the event
        missed = _months_gap(fast_km_quantile(time, reverse, bands=False)["estimate"], *published)
        # guide across plateaus: the reverse KM must be >= 0.5 just before the window
        # and < 0.5 at its end, so that it crosses 0.5 inside
        km = fast_km(time, reverse, bands=False)
        before = km["surv"][km["time"] < lo_day]
        at_end = km["surv"][km["time"] < hi_day]
        s_before = float(before[-1]) if before.size else 1.0
        s_end = float(at_end[-1]) if at_end.size else 1.0
        return missed + 100.0 * (max(0.0, 0.5 + 1e-9 - s_before) + max(0.0, s_end - 0.5 + 1e-9))

    def bounds(s: Subject) -> tuple[int, int]:
        return max(s.course["FOLLOW_UP_FLOOR"], s.cut_day - 83), s.cut_day

    best, rounds = coordinate_search(
        free,
        get=lambda s: s.course["LAST_ALIVE_DAY"],
        put=lambda s, day: s.course.__setitem__("LAST_ALIVE_DAY", day),
        bounds=bounds,
        gap=gap,
    )
    if best > 0:
        raise RuntimeError(f"follow-up search did not land (gap {best:.3f})")
    SOLVER_LOG.append(f"follow-up: coordinate search, {rounds} round(s)")


# --------------------------------------------------------------------------- output
def course_rows(subjects: list[Subject]) -> list[dict]:
    """``course.csv`` rows: the course days and codes plus the intended endpoints."""
    rows = []
    for subj in sorted(subjects, key=lambda s: s.subjid):
        c = subj.course
        row = {k: c.get(k, "") for k in COURSE_COLUMNS if k != "SUBJID"}
        row["SUBJID"] = subj.subjid
        row.update(intended_endpoints(subj))
        rows.append({k: ("" if row.get(k) is None else row.get(k, "")) for k in COURSE_COLUMNS})
    return rows


def assessment_rows(subjects: list[Subject]) -> list[dict]:
    """``assessments.csv`` rows, by subject and day."""
    rows = []
    for subj in sorted(subjects, key=lambda s: s.subjid):
        for (visit, day), cat, marrow, (inv, reason) in zip(
            subj.visits, subj.categories, subj.marrow, subj.investigator
        ):
            rows.append(
                {
                    "SUBJID": subj.subjid,
                    "VISIT": visit,
                    "DAY": day,
                    "CATEGORY": cat,
                    "MARROW": marrow,
                    "RSORRES": inv,
                    "RSPDRSN": reason,
                }
            )
    return rows


def cycle_rows(subjects: list[Subject]) -> list[dict]:
    return [
        {"SUBJID": s.subjid, "CYCLE": k, "START_DAY": day}
        for s in sorted(subjects, key=lambda s: s.subjid)
        for k, day in enumerate(s.starts, 1)
    ]


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Write rows as UTF-8 CSV with ``\\n`` line ends (byte-stable)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --------------------------------------------------------------------------- checks
def cohort_adam(cohort_dir: Path) -> dict[str, pl.DataFrame]:
    """ADaM-shaped frames (adsl, adrs, adtte, adex) from the written cohort files.

    Only what the efficacy and exposure summaries read: the intended endpoints of
    ``course.csv``, assessments for the last-assessment date and the exposure
    expanded from ``cycles.csv`` and ``dosing.csv``.
    """
    read = lambda name: pl.read_csv(cohort_dir / f"{name}.csv", infer_schema=False)  # noqa: E731
    skeleton, course = read("skeleton"), read("course")
    subj = skeleton.join(course, on="SUBJID").with_columns(
        USUBJID=pl.col("SUBJID"), TRTSDT=pl.col("TRTSDT").str.to_date()
    )

    def date(day: str) -> pl.Expr:
        return pl.col("TRTSDT") + pl.duration(days=pl.col(day).cast(pl.Int64) - 1)

    adsl = subj.select(
        "USUBJID",
        "CYTO_RISK",
        pl.lit("Y").alias("FASFL"),
        pl.lit("Y").alias("SAFFL"),
        pl.when(pl.col("BOR").is_not_null()).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("RSEVFL"),
        date("DEATH_DAY").alias("DTHDT"),
    ).rename({"CYTO_RISK": "CYTORISK"})
    assessments = read("assessments").join(subj.select("SUBJID", "TRTSDT"), on="SUBJID")
    adrs = pl.concat(
        [
            subj.filter(pl.col("BOR").is_not_null()).select(
                "USUBJID",
                pl.lit("BOR").alias("PARAMCD"),
                pl.col("BOR").alias("AVALC"),
                pl.lit(None, dtype=pl.Date).alias("ADT"),
            ),
            subj.filter(pl.col("PFS_CNSR") == "0")
            .join(
                assessments.filter(pl.col("CATEGORY").is_in(["PD", "NLPD"])).select("SUBJID", "DAY"),
                left_on=["SUBJID", "PFS_DAY"],
                right_on=["SUBJID", "DAY"],
                how="semi",
            )
            .select(
                "USUBJID",
                pl.lit("PDCNF").alias("PARAMCD"),
                pl.lit("PD").alias("AVALC"),
                date("PFS_DAY").alias("ADT"),
            ),
            assessments.select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("OVRLRESP").alias("PARAMCD"),
                pl.col("CATEGORY").alias("AVALC"),
                date("DAY").alias("ADT"),
            ),
        ]
    )
    tte = []
    for paramcd, day, cnsr in (
        ("PFS", "PFS_DAY", "PFS_CNSR"),
        ("OS", "OS_DAY", "OS_CNSR"),
        ("DOR", "DOR_DAY", "DOR_CNSR"),
        ("TTRPR", "TTR_PR_DAY", None),
        ("TTRVGPR", "TTR_VGPR_DAY", None),
    ):
        rows = subj.filter(pl.col(day).is_not_null())
        start = pl.col("TTR_PR_DAY").cast(pl.Int64) if paramcd == "DOR" else pl.lit(1)
        tte.append(
            rows.select(
                "USUBJID",
                pl.lit(paramcd).alias("PARAMCD"),
                pl.col(day).cast(pl.Int64).alias("AVAL"),
                (pl.col(cnsr).cast(pl.Int64) if cnsr else pl.lit(0, dtype=pl.Int64)).alias("CNSR"),
                (pl.col("TRTSDT") + pl.duration(days=pl.col(day).cast(pl.Int64) + start - 2)).alias("ADT"),
            )
        )
    adtte = pl.concat(tte)
    starts = (
        lenalidomide_starting_doses(read("baseline")).select("SUBJID", "LENSTDOS")
        if (cohort_dir / "baseline.csv").is_file()
        else skeleton.select("SUBJID", pl.lit(25.0).alias("LENSTDOS"))
    )
    admin = expand_administrations(read("cycles"), read("dosing"), starts)
    rdi = relative_dose_intensity(admin, starts)
    adex = pl.concat(
        [
            rdi.unique("SUBJID").select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("CYCLES").alias("PARAMCD"),
                pl.lit(None, dtype=pl.String).alias("EXTRT"),
                pl.col("CYCLES").cast(pl.Float64).alias("AVAL"),
            ),
            rdi.select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("RDI").alias("PARAMCD"),
                "EXTRT",
                pl.col("RDI").alias("AVAL"),
            ),
        ]
    )
    return {"adsl": adsl, "adrs": adrs, "adtte": adtte, "adex": adex}


def published_mismatches(cohort_dir: Path, targets: dict) -> list[str]:
    """Published rows the written cohort does not reproduce (empty when all match)."""
    from analysis.efficacy import efficacy_rows
    from analysis.exposure import exposure_rows

    adam = cohort_adam(cohort_dir)
    computed = pl.concat(
        [efficacy_rows(adam["adsl"], adam["adrs"], adam["adtte"]), exposure_rows(adam["adex"], adam["adsl"])]
    )
    values = {(t, i, s): v for t, i, s, v in computed.select("table", "item", "stat", "value").iter_rows()}
    problems = []
    for key, published in targets.items():
        if key not in values:
            problems.append(f"{key}: not computed")
        elif not _prints(values[key], published):
            problems.append(f"{key}: {values[key]} does not print as {published[0]}")
    extra = set(values) - set(targets)
    problems += [f"{key}: computed but not published" for key in sorted(extra)]
    return problems


def check_course(subjects: list[Subject]) -> list[str]:
    """Calendar sanity: intended endpoints equal the plan, nothing after the bounds."""
    problems = []
    for subj in subjects:
        c = subj.course
        e = intended_endpoints(subj)
        bound = c["LAST_ALIVE_DAY"]
        if (subj.bor or "") != e["BOR"]:
            problems.append(f"{subj.subjid}: BOR {e['BOR']} != planned {subj.bor}")
        if subj.fate != NOASSESS and e["PFS_DAY"] != subj.pfs_day:
            problems.append(f"{subj.subjid}: PFS day {e['PFS_DAY']} != planned {subj.pfs_day}")
        if subj.bor in RESPONDER and e["TTR_PR_DAY"] != subj.ttr_pr[1]:
            problems.append(f"{subj.subjid}: TTR PR {e['TTR_PR_DAY']} != {subj.ttr_pr[1]}")
        if subj.bor in VGPR_OR_BETTER and e["TTR_VGPR_DAY"] != subj.ttr_vgpr[1]:
            problems.append(f"{subj.subjid}: TTR VGPR {e['TTR_VGPR_DAY']} != {subj.ttr_vgpr[1]}")
        others = [c.get(k) or 0 for k in ("LAST_DOSE_DAY", "EOT_DAY", "SUBSEQ_DAY", "EOS_DAY")]
        latest = max([d for _, d in subj.visits] + others)
        if latest > bound or bound > subj.cut_day:
            problems.append(f"{subj.subjid}: a record after the last day known alive or the cutoff")
        subseq = c.get("SUBSEQ_DAY")
        if subseq and any(d >= subseq for _, d in subj.visits):
            problems.append(f"{subj.subjid}: an assessment on/after subsequent therapy")
        if c.get("DEATH_DAY") and subj.fate == DEATH and c["DEATH_DAY"] - c["LAST_DOSE_DAY"] > 30:
            problems.append(f"{subj.subjid}: on-study death more than 30 days after the last dose")
    return problems


# --------------------------------------------------------------------------- main
def solve(cohort_dir: Path = COHORT_DIR, verbose: bool = False) -> list[str]:
    """Run every stage and write the four files; returns the solver log."""
    SOLVER_LOG.clear()
    started = time.perf_counter()
    targets = published_targets()
    subjects = load_subjects(cohort_dir)
    assign_roster(subjects, np.random.default_rng([SEED, 1]))
    assign_time_to_response(subjects, np.random.default_rng([SEED, 2]))
    plan_progression(subjects, targets)
    solve_cycle_counts(subjects, targets)
    realise_cycles(subjects, np.random.default_rng([SEED, 5]))
    patterns = solve_dose_patterns(subjects, targets)
    dosing = dosing_rows(subjects, patterns, np.random.default_rng([SEED, 6]))
    admin = administrations(subjects, dosing)
    complete_courses(subjects, admin, np.random.default_rng([SEED, 7]))
    assign_categories(subjects, np.random.default_rng([SEED, 8]))
    tune_follow_up(subjects, targets)
    problems = check_course(subjects)
    if problems:
        raise RuntimeError("course checks failed:\n" + "\n".join(problems))
    write_csv(cohort_dir / "course.csv", COURSE_COLUMNS, course_rows(subjects))
    write_csv(cohort_dir / "cycles.csv", CYCLES_COLUMNS, cycle_rows(subjects))
    write_csv(cohort_dir / "dosing.csv", DOSING_COLUMNS, dosing)
    write_csv(cohort_dir / "assessments.csv", ASSESSMENT_COLUMNS, assessment_rows(subjects))
    problems = published_mismatches(cohort_dir, targets)
    if problems:
        raise RuntimeError("published figures not reproduced:\n" + "\n".join(problems))
    SOLVER_LOG.append(
        f"all {len(targets)} published POP/T2/T3/EFF rows reproduced; "
        f"total {time.perf_counter() - started:.1f} s"
    )
    if verbose:
        for subj in sorted(subjects, key=lambda s: s.subjno):
            print(
                f"{subj.subjid} {subj.role or '-':9} {subj.cyto:13} {subj.slot.name:10} "
                f"cycles {subj.n_cycles:2} PFS {subj.pfs_day}"
            )
    return list(SOLVER_LOG)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort-dir", type=Path, default=COHORT_DIR)
    parser.add_argument("--verbose", action="store_true", help="print the roster")
    args = parser.parse_args(argv)
    for line in solve(args.cohort_dir, args.verbose):
        print(line)


if __name__ == "__main__":
    main()
