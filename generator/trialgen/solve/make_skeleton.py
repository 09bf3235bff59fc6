"""Write ``trialgen/cohort/skeleton.csv``: who is enrolled where and when.

The skeleton fixes the identity and calendar of the 34 demo subjects and the
few roles that several solved tables must agree on (for example, the subject
who died of an adverse event on study). Everything else is solved per topic
(baseline, course, adverse events) against these rows.

Run ``python -m trialgen.solve.make_skeleton``; the output is deterministic.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from trialgen.study import DATA_CUTOFF, FIRST_ENROLMENT, LAST_ENROLMENT

COHORT_DIR = Path(__file__).resolve().parents[1] / "cohort"

# Subjects per site 101..116 (16 sites, 34 subjects; a few large sites, as in the study).
SITE_SIZES = [4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1]

# Roles shared by more than one solved table (1-based enrolment order -> role).
ROLES = {
    5: "NOASSESS",  # one cycle, no post-baseline response assessment (not response-evaluable)
    11: "AEDEATH",  # on-study death: fall -> subarachnoid/subdural haemorrhage, not drug related
    14: "NPM_LEUK",  # leukaemia on treatment: serious, related, led to end of treatment
    19: "PDDEATH",  # confirmed PD, end of treatment, later died of the disease
    23: "NONMEAS",  # no measurable disease at baseline (not response-evaluable)
    26: "NPM_LUNG",  # lung neoplasm on treatment: serious, related, led to end of treatment
    8: "NPM_FU",  # malignant neoplasm of unknown primary site reported in follow-up
}

# Cytogenetic risk per enrolment order: the two non-evaluable subjects have no FISH
# result; of the 32 response-evaluable subjects 11 are high risk and 21 standard.
HIGH_RISK = {2, 6, 9, 13, 16, 20, 24, 27, 29, 31, 34}


def enrolment_dates(n: int) -> list[dt.date]:
    """Spread ``n`` enrolments over the accrual period, weekdays only."""
    span = (LAST_ENROLMENT - FIRST_ENROLMENT).days
    out = []
    for i in range(n):
        d = FIRST_ENROLMENT + dt.timedelta(days=round(i * span / (n - 1)))
        while d.weekday() >= 5:  # registration happens on working days
            d += dt.timedelta(days=1)
        out.append(d)
    return out


def build_rows() -> list[dict[str, str]]:
    sites = [f"{101 + i}" for i, k in enumerate(SITE_SIZES) for _ in range(k)]
    # Interleave sites so enrolment order does not follow site order.
    order = sorted(range(len(sites)), key=lambda i: ((i * 13) % len(sites), i))
    sites = [sites[i] for i in order]
    seen: dict[str, int] = {}
    rows = []
    for k, (site, enrl) in enumerate(zip(sites, enrolment_dates(len(sites))), start=1):
        seen[site] = seen.get(site, 0) + 1
        consent = enrl - dt.timedelta(days=14 + (k * 5) % 15)
        first_dose = enrl + dt.timedelta(days=(k * 3) % 4)
        role = ROLES.get(k, "")
        cyto = (
            "NOT AVAILABLE" if role in ("NOASSESS", "NONMEAS") else "HIGH" if k in HIGH_RISK else "STANDARD"
        )
        rows.append(
            {
                "SUBJNO": str(k),
                "SITEID": site,
                "SUBJID": f"{site}-{seen[site]:03d}",
                "ICDAT": consent.isoformat(),
                "ENRLDAT": enrl.isoformat(),
                "TRTSDT": first_dose.isoformat(),
                "ROLE": role,
                "CYTO_RISK": cyto,
            }
        )
    return rows


def main() -> None:
    rows = build_rows()
    assert sum(r["CYTO_RISK"] == "HIGH" for r in rows) == 11
    assert sum(r["CYTO_RISK"] == "STANDARD" for r in rows) == 21
    assert max(dt.date.fromisoformat(r["TRTSDT"]) for r in rows) < DATA_CUTOFF
    path = COHORT_DIR / "skeleton.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path} ({len(rows)} subjects)")


if __name__ == "__main__":
    main()
