"""Study constants of the demo delivery (calendar, doses). Generator-side only."""

from __future__ import annotations

import datetime as dt

STUDYID = "NCT02917941"
FIRST_ENROLMENT = dt.date(2017, 1, 10)
LAST_ENROLMENT = dt.date(2017, 10, 20)
# Final analysis ~24 months after the last enrolment; the warehouse's default `data_cutoff`.
DATA_CUTOFF = dt.date(2019, 10, 18)
# Primary analysis ~12 months after the last enrolment (an earlier cutoff the build supports).
PRIMARY_CUTOFF = dt.date(2018, 10, 19)

CYCLE_DAYS = 28
# Protocol schedule: drug -> (starting dose mg, days of the 28-day cycle).
SCHEDULE = {
    "IXAZOMIB": (4.0, (1, 8, 15)),
    "LENALIDOMIDE": (25.0, tuple(range(1, 22))),
    "DEXAMETHASONE": (40.0, (1, 8, 15, 22)),
}
LENALIDOMIDE_RENAL_START = 10.0  # creatinine clearance < 60 mL/min at baseline
# Dose levels after reductions (index 0 = starting dose).
DOSE_LEVELS = {
    "IXAZOMIB": (4.0, 3.0, 2.3),
    "LENALIDOMIDE": (25.0, 15.0, 10.0, 5.0),
    "LENALIDOMIDE_RENAL": (10.0, 5.0, 2.5),
    "DEXAMETHASONE": (40.0, 20.0, 10.0),
}
