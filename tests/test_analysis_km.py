"""Kaplan-Meier table, quantiles and reverse-KM follow-up against R ``survival``.

Expected values are frozen in ``tests/reference/km_reference.json`` by
``tests/reference/km_reference.R`` (R 4.2.2, survival 3.5-3)::

    fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
    quantile(fit, probs = c(.25, .5, .75), conf.int = TRUE)
    quantile(survfit(Surv(time, 1 - status) ~ 1, conf.type = "log-log"), .5)

Quantiles are compared with the script's ``study`` values: R's own output with
the study's one extra rule (NE when S(t) stays at 1 - p up to the last observation,
where R takes the midpoint with the last time;
``docs/derivations.md#median-and-quartiles-the-midpoint-rule``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from analysis.km import (
    DAYS_PER_MONTH,
    days_to_months,
    km_curve,
    km_quantile,
    km_table,
    median_followup,
    numbers_at_risk,
    step_quantile,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "km_reference.json").read_text())
SETS = REFERENCE["km"]

#: S(t), SE of S(t) and the pointwise band: absolute tolerance against R.
ESTIMATE_TOL = 1e-6
#: Quantiles and their limits are step times or midpoints of two step times,
#: i.e. exact in R; the same tolerance covers float noise in the midpoints.
QUANTILE_TOL = 1e-6


def _close(actual: float | None, expected: float | None, tol: float) -> bool:
    """Equal within ``tol``; ``None`` (NE / undefined) only matches ``None``."""
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isclose(actual, expected, rel_tol=0.0, abs_tol=tol)


# --------------------------------------------------------------------------- table
@pytest.mark.parametrize("name", sorted(SETS))
def test_km_table_matches_r(name):
    ref = SETS[name]
    table = km_table(ref["time"], ref["status"])
    expected = ref["table"]
    assert table.columns == ["time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"]
    assert table.height == len(expected["time"])
    for col in ("time", "n_risk", "n_event", "n_censor"):
        assert table[col].to_list() == pytest.approx(expected[col], abs=0), col
    for col in ("surv", "std_err", "lower", "upper"):
        got = table[col].to_list()
        mismatches = [
            (t, g, e)
            for t, g, e in zip(expected["time"], got, expected[col])
            if not _close(g, e, ESTIMATE_TOL)
        ]
        assert not mismatches, f"{name}.{col} (time, python, R): {mismatches[:5]}"


def test_km_table_null_where_r_is_na():
    """S = 0: SE and band undefined (R: std.err Inf, band NA); S = 1: band NA."""
    table = km_table([1, 2, 2, 3], [0, 1, 1, 1])
    first, last = table.row(0, named=True), table.row(-1, named=True)
    assert first["surv"] == 1.0 and first["lower"] is None and first["upper"] is None
    assert last["surv"] == 0.0 and last["std_err"] is None and last["lower"] is None


# --------------------------------------------------------------------------- quantiles
@pytest.mark.parametrize("name", sorted(SETS))
@pytest.mark.parametrize("index", [0, 1, 2], ids=["q25", "median", "q75"])
def test_km_quantile_matches_r(name, index):
    q = SETS[name]["quantiles"]
    p = q["probs"][index]
    got = km_quantile(SETS[name]["time"], SETS[name]["status"], p=p)
    for key in ("estimate", "lower", "upper"):
        expected = q["study"][key][index]
        assert _close(got[key], expected, QUANTILE_TOL), (name, p, key, got[key], expected)


@pytest.mark.parametrize("name", sorted(SETS))
def test_median_followup_matches_r_reverse_km(name):
    ref = SETS[name]
    got = median_followup(ref["time"], ref["status"])
    for key in ("estimate", "lower", "upper"):
        expected = ref["followup"]["study"][key]
        assert _close(got[key], expected, QUANTILE_TOL), (name, key, got[key], expected)


def test_study_rule_is_the_only_difference_from_r():
    """Where the frozen ``study`` value differs from R's, R used its last-flat rule."""
    differences = []
    for name, ref in SETS.items():
        q = ref["quantiles"]
        for key in ("estimate", "lower", "upper"):
            for p, r, s in zip(q["probs"], q["r"][key], q["study"][key]):
                if r != s:
                    assert s is None and r is not None, (name, key, p)
                    differences.append((name, key, p, r))
    # S = 0.5 from t = 5 to the censored last time 10: R (5 + 10) / 2, the study NE.
    assert ("flat_half_to_end", "estimate", 0.5, 7.5) in differences


def test_median_on_exact_half_flat_is_midpoint():
    """n = 10, 5 events before any censoring: S = 0.5 (up to rounding) on [5, 8)."""
    ref = SETS["flat_half"]
    surv_at_5 = km_table(ref["time"], ref["status"])["surv"][4]
    assert abs(surv_at_5 - 0.5) < 1e-12  # a product of fractions, not exactly 0.5
    assert km_quantile(ref["time"], ref["status"])["estimate"] == pytest.approx(6.5, abs=QUANTILE_TOL)


def test_tied_step_across_half_gives_step_time():
    got = km_quantile(SETS["step_across"]["time"], SETS["step_across"]["status"])
    assert got["estimate"] == 2.0


def test_last_event_to_zero_makes_limit_ne():
    """The band is undefined at S = 0, so an upper band that has not crossed is NE."""
    ref = SETS["to_zero_small"]
    got = km_quantile(ref["time"], ref["status"])
    assert got == {"estimate": 3.0, "lower": 1.0, "upper": None}


def test_limits_bracket_estimate():
    for name, ref in SETS.items():
        for p in (0.25, 0.5, 0.75):
            q = km_quantile(ref["time"], ref["status"], p=p)
            if q["estimate"] is not None and q["lower"] is not None:
                assert q["lower"] <= q["estimate"], (name, p)
            if q["estimate"] is not None and q["upper"] is not None:
                assert q["estimate"] <= q["upper"], (name, p)


@pytest.mark.parametrize("case", sorted(REFERENCE["findq"]))
def test_step_quantile_matches_r_findq(case):
    """Synthetic curves through R's ``survival:::findq`` (non-monotone, NA values)."""
    ref = REFERENCE["findq"][case]
    y = np.array([np.nan if v is None else v for v in ref["y"]])
    for p, expected in zip(ref["p"], ref["r"]):
        got = step_quantile(np.array(ref["x"], dtype=float), y, p)
        assert _close(got, expected, QUANTILE_TOL), (case, p, got, expected)


def test_step_quantile_ignores_undefined_band_values():
    times = np.array([0.0, 1.0, 2.0, 3.0])
    assert step_quantile(times, np.array([0.0, np.nan, 0.4, 0.6]), 0.5) == 3.0
    assert step_quantile(times, np.array([0.0, 0.3, 0.4, np.nan]), 0.5) is None


def test_km_quantile_rejects_bad_p():
    with pytest.raises(ValueError):
        km_quantile([1, 2], [1, 1], p=1.0)


# --------------------------------------------------------------------------- helpers
@pytest.mark.parametrize("name", sorted(SETS))
def test_numbers_at_risk_match_r_n_risk(name):
    ref = SETS[name]
    assert numbers_at_risk(ref["time"], ref["table"]["time"]) == ref["table"]["n_risk"]


def test_numbers_at_risk_between_and_beyond_times():
    time = [3, 5, 5, 8]
    assert numbers_at_risk(time, [0, 3, 4, 5, 6, 8, 9]) == [4, 4, 3, 3, 1, 1, 0]
    assert numbers_at_risk(pl.Series(time), 5) == [3]


def test_days_to_months_scalars_series_and_expressions():
    assert days_to_months(30.4375) == 1.0
    assert days_to_months(670) == pytest.approx(22.0123203, abs=1e-7)
    assert days_to_months(None) is None
    assert days_to_months(pl.Series([0.0, 60.875])).to_list() == [0.0, 2.0]
    frame = pl.DataFrame({"AVAL": [91.3125]}).select(days_to_months(pl.col("AVAL")).alias("M"))
    assert frame["M"].to_list() == [3.0]
    assert DAYS_PER_MONTH == 30.4375


def test_km_curve_steps_and_censor_marks():
    ref = SETS["pfs34"]
    curve = km_curve(ref["time"], ref["status"])
    table = km_table(ref["time"], ref["status"])
    assert curve.columns == ["time", "surv", "lower", "upper", "n_censor"]
    assert curve.row(0) == (0.0, 1.0, 1.0, 1.0, 0)
    assert curve["time"][1:].to_list() == table["time"].to_list()
    assert curve["surv"][1:].to_list() == table["surv"].to_list()
    assert curve["n_censor"].sum() == len(ref["status"]) - sum(ref["status"])
    # censored at t = 1, before any event: S = 1, band drawn at 1
    assert curve.row(1) == (1.0, 1.0, 1.0, 1.0, 1)


@pytest.mark.parametrize(
    "time, event",
    [([], []), ([1, 2], [1]), ([1, -2], [1, 1]), ([1, float("nan")], [1, 1]), ([1, 2], [1, 2])],
)
def test_invalid_input_raises(time, event):
    with pytest.raises(ValueError):
        km_table(time, event)
