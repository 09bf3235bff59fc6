"""Treatment course of one scale-mode subject, and its intended endpoints.

A subject's course is simulated cycle by cycle: the response deepens step by step to
its best level (every level seen at least twice, so it is confirmed), progression is
found at a cycle-day-1 visit and confirmed two weeks later (or is an investigator PD
for a non-laboratory reason, which needs no confirmation), other discontinuations
are followed by progression follow-up visits every four weeks. Categories only ever
deepen before progression, so the lab values of :mod:`trialgen.labs` can always meet
them against the running nadir.

The endpoints (BOR, PFS, OS, TTR, DOR) are then derived from the simulated
assessments with the confirmation and censoring rules (``docs/derivations.md#confirmation``,
``docs/derivations.md#how-an-event-or-censoring-date-is-chosen``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LEVELS = ("SCR", "CR", "VGPR", "PR", "MR", "SD")  # best first
RANK = {c: k for k, c in enumerate(("SCR", "CR", "VGPR", "PR", "MR", "SD", "PD"))}
RESPONSES = ("SCR", "CR", "VGPR", "PR")
NON_LAB_REASONS = ("NEW BONE LESION", "PLASMACYTOMA", "HYPERCALCEMIA", "OTHER")
CYCLE_DAYS = 28
CONFIRM_AFTER = 14  # unscheduled confirmation visit, days after the PD visit
EOT_VISIT_AFTER = 30  # end-of-treatment visit, days after the last dose
FOLLOW_UP_EVERY = 28  # progression follow-up visits
# Median time to progression (months) by best response level.
PFS_MEDIAN_MONTHS = {"SCR": 40, "CR": 32, "VGPR": 22, "PR": 15, "MR": 9, "SD": 6}


class Uniforms:
    """Uniform draws from a seeded generator, handed out one by one (fast in loops)."""

    def __init__(self, rng: np.random.Generator, chunk: int = 1 << 16):
        self.rng, self.chunk = rng, chunk
        self._values = iter(())

    def __call__(self) -> float:
        """Next uniform draw in [0, 1)."""
        for value in self._values:
            return value
        self._values = iter(self.rng.random(self.chunk).tolist())
        return next(self._values)

    def integer(self, low: int, high: int) -> int:
        """Integer in [low, high)."""
        return low + int(self() * (high - low))

    def pick(self, options, p=None):
        """One of ``options`` (weights ``p``, default equal)."""
        if p is None:
            return options[int(self() * len(options))]
        draw, total = self(), 0.0
        for option, weight in zip(options, p):
            total += weight
            if draw < total:
                return option
        return options[-1]

    def geometric(self, p: float) -> int:
        """Number of trials up to the first success (>= 1)."""
        return 1 + int(np.log1p(-self()) / np.log1p(-p))


@dataclass
class Visit:
    """One post-baseline response assessment."""

    visit: str
    day: int
    category: str
    marrow: bool = False
    reason: str | None = None


@dataclass
class Course:
    """What happens to one subject on and after treatment (study days)."""

    cycle_starts: list[int] = field(default_factory=list)
    stop: tuple[int, int] | None = None  # (cycle, first cycle day not given)
    visits: list[Visit] = field(default_factory=list)
    eot_day: int | None = None
    eot_reason: str | None = None
    subseq_day: int | None = None
    death_day: int | None = None
    death_cause: str | None = None
    fatal_ae: bool = False


@dataclass
class Draws:
    """Random inputs of one subject's course (drawn in bulk by the caller)."""

    best: str
    path: list[str]
    pfs_day: int
    non_lab_pd: bool
    stop_cycle: int | None  # cycle after which treatment stops without PD
    stop_reason: str | None
    delays: list[int]  # extra days before each cycle
    subseq_gap: int | None  # days from EOT (or PD) to subsequent therapy
    death_gap: int | None  # days from confirmed PD to death


def level_path(best: str, u: Uniforms, length: int = 400, allow_mr: bool = True) -> list[str]:
    """Categories of successive assessments: deepening in runs of >= 2 to ``best``.

    ``allow_mr`` is False where no lab value can show MR (FLC-only disease, or urine-only
    disease too small for an MR window); the path then skips that level.
    """
    ladder = [
        lvl
        for lvl in reversed(LEVELS[LEVELS.index(best) :])  # SD ... best
        if allow_mr or lvl != "MR"
    ]
    kept = [lvl for lvl in ladder[:-1] if u() < 0.55] + [best]
    path = []
    for lvl in kept:
        path += [lvl] * (1 + u.geometric(0.6))
    return path + [best] * max(0, length - len(path))


def simulate(d: Draws, cutoff_day: int, noassess: bool, measurable: bool, u: Uniforms) -> Course:
    """Simulate one subject's cycles, assessments, end of treatment and death."""
    course = Course()
    n, start = 1, 1
    path = d.path if measurable else ["SD"] * len(d.path)
    k = 0  # assessments so far
    while start <= cutoff_day:
        course.cycle_starts.append(start)
        if noassess or (d.stop_cycle is not None and n >= d.stop_cycle):
            return _stop_without_pd(course, d, start, cutoff_day, path, k, noassess, u)
        nxt = start + CYCLE_DAYS + int(d.delays[n])
        if nxt > cutoff_day:
            return course
        n, start = n + 1, nxt
        if start >= d.pfs_day:
            return _progress_on_treatment(course, d, n, start, cutoff_day, k, u)
        course.visits.append(Visit(f"C{n}D1", start, path[k], _marrow(path, k)))
        k += 1
    return course


def _marrow(path: list[str], k: int) -> bool:
    """Marrow sampled at the first CR and at the first sCR assessment."""
    return path[k] in ("CR", "SCR") and (k == 0 or path[k - 1] != path[k])


def _pd_visits(visit: str, day: int, d: Draws, u: Uniforms) -> list[Visit]:
    """The progression visit(s): a non-laboratory PD, or a lab PD and its confirmation."""
    if d.non_lab_pd:
        return [Visit(visit, day, "NLPD", reason=u.pick(NON_LAB_REASONS))]
    return [
        Visit(visit, day, "PD", reason="LABORATORY"),
        Visit("UNSCHEDULED", day + CONFIRM_AFTER, "PD", reason="LABORATORY"),
    ]


def _progress_on_treatment(
    course: Course, d: Draws, n: int, start: int, cutoff_day: int, k: int, u: Uniforms
) -> Course:
    """PD found at the day-1 visit of cycle ``n``: confirm, end treatment, follow up.

    A lab PD is confirmed two weeks later, cycle ``n`` having been given up to then; a
    non-laboratory PD ends treatment at once (cycle ``n`` is not given).
    """
    visits = _pd_visits(f"C{n}D1", start, d, u)
    if visits[-1].day > cutoff_day:
        return course  # still ongoing at the cutoff
    course.visits += visits
    course.eot_day, course.eot_reason = visits[-1].day, "PROGRESSIVE DISEASE"
    if not d.non_lab_pd:
        course.cycle_starts.append(start)
        course.stop = (n, CONFIRM_AFTER + 1)
        eot_visit = visits[-1].day - 1 + EOT_VISIT_AFTER
        if eot_visit <= cutoff_day:
            course.visits.append(Visit("EOT", eot_visit, "PD", reason="LABORATORY"))
    _after_progression(course, d, start, cutoff_day)
    return course


def _stop_without_pd(
    course: Course,
    d: Draws,
    start: int,
    cutoff_day: int,
    path: list[str],
    k: int,
    noassess: bool,
    u: Uniforms,
) -> Course:
    """Treatment stops after this cycle (AE, withdrawal, death on study)."""
    last_dose = start + 21
    if d.stop_reason == "DEATH":
        death = last_dose + u.integer(3, 25)
        if death <= cutoff_day:
            course.death_day, course.death_cause, course.fatal_ae = death, "ADVERSE EVENT", True
            course.eot_day, course.eot_reason = death, "DEATH"
        return course
    eot = start + CYCLE_DAYS
    if eot > cutoff_day:
        return course
    course.eot_day, course.eot_reason = eot, d.stop_reason
    if noassess or d.stop_reason == "WITHDRAWAL BY SUBJECT":
        return course
    day, visit, j = last_dose + EOT_VISIT_AFTER, "EOT", 0
    subseq = eot + d.subseq_gap if d.subseq_gap is not None else None
    while day <= cutoff_day and (subseq is None or day < subseq):
        if day >= d.pfs_day:
            return _progress_in_follow_up(course, d, day, j, cutoff_day, subseq, u)
        course.visits.append(Visit(visit, day, path[k], _marrow(path, k)))
        k, j = k + 1, j + 1
        day, visit = day + FOLLOW_UP_EVERY, f"PFSFU{j}"
    if subseq is not None and subseq <= cutoff_day:
        course.subseq_day = subseq
    return course


def _progress_in_follow_up(
    course: Course, d: Draws, day: int, j: int, cutoff_day: int, subseq: int | None, u: Uniforms
) -> Course:
    visits = _pd_visits("EOT" if j == 0 else f"PFSFU{j}", day, d, u)
    last = visits[-1].day
    if last > cutoff_day or (subseq is not None and last >= subseq):
        return course
    course.visits += visits
    _after_progression(course, d, last, cutoff_day)
    return course


def _after_progression(course: Course, d: Draws, day: int, cutoff_day: int) -> None:
    """Subsequent therapy and death after confirmed progression."""
    if d.subseq_gap is not None and course.subseq_day is None:
        subseq = max(day, course.eot_day or day) + d.subseq_gap
        if subseq <= cutoff_day:
            course.subseq_day = subseq
    if d.death_gap is not None and day + d.death_gap <= cutoff_day:
        course.death_day = day + d.death_gap
        course.death_cause = "PROGRESSIVE DISEASE"


# ------------------------------------------------------------------------------ endpoints
@dataclass
class Endpoints:
    """Intended endpoint values (AVAL in days from TRTSDT, CNSR 0 = event)."""

    bor: str | None
    pfs_day: int
    pfs_cnsr: int
    ttr_pr_day: int | None
    ttr_vgpr_day: int | None
    dor_day: int | None
    dor_cnsr: int | None


def confirmed_pd_day(visits: list[Visit]) -> int | None:
    """Date of the first confirmed PD (lab PD followed by PD, or a non-lab PD)."""
    for k, v in enumerate(visits):
        if v.category == "NLPD":
            return v.day
        if v.category == "PD" and k + 1 < len(visits) and visits[k + 1].category in ("PD", "NLPD"):
            return v.day
    return None


def confirmed_responses(visits: list[Visit]) -> list[tuple[int, str]]:
    """(day, category) of each response confirmed by the next assessment (the lower one)."""
    out = []
    for a, b in zip(visits, visits[1:]):
        if a.category in RESPONSES and b.category in RANK:
            worse = max(a.category, b.category, key=RANK.__getitem__)
            if worse in RESPONSES:
                out.append((a.day, worse))
    return out


def derive_endpoints(
    visits: list[Visit], subseq_day: int | None, death_day: int | None, evaluable: bool
) -> Endpoints:
    """Endpoints (``docs/derivations.md#time-to-event``) of one subject from the simulated assessments."""
    before = [v for v in visits if subseq_day is None or v.day < subseq_day]
    pd_day = confirmed_pd_day(before)
    usable = [v for v in before if pd_day is None or v.day < pd_day]
    responses = [(day, cat) for day, cat in confirmed_responses(before) if pd_day is None or day < pd_day]
    bor = None
    if evaluable:
        best = min((cat for _, cat in responses), key=RANK.__getitem__, default=None)
        others = [v.category for v in usable if v.category in ("MR", "SD")]
        fallback = "MR" if "MR" in others else "SD" if (others or usable) else None
        bor = best or fallback or ("PD" if pd_day is not None else "NE")
    death_counts = death_day is not None and (subseq_day is None or death_day < subseq_day)
    last = before[-1].day if before else 1
    events = [d for d in (pd_day, death_day if death_counts else None) if d is not None]
    pfs, pfs_cnsr = (min(events), 0) if events else (last, 1)
    first_pr = next((d for d, c in responses), None)
    first_vgpr = next((d for d, c in responses if RANK[c] <= RANK["VGPR"]), None)
    dor = dor_cnsr = None
    if evaluable and first_pr is not None:
        end, dor_cnsr = (pd_day, 0) if pd_day is not None else (last, 1)
        dor = end - first_pr + 1
    return Endpoints(
        bor, pfs, pfs_cnsr, first_pr if evaluable else None, first_vgpr if evaluable else None, dor, dor_cnsr
    )
