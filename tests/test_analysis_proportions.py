"""Clopper-Pearson intervals against the published Table 3 and R ``binom.test``.

R values are frozen in ``tests/reference/km_reference.json`` by
``tests/reference/km_reference.R`` (``binom.test(n, N)$conf.int``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.proportions import clopper_pearson
from analysis.rounding import round_half_away

BINOMIAL = json.loads((Path(__file__).parent / "reference" / "km_reference.json").read_text())["binomial"]

#: scipy's beta quantile against R's qbeta (both exact inversions): absolute tolerance.
R_TOL = 1e-9

#: Published Table 3 (response-evaluable set, N = 32): n, 95% CI in % to 1 decimal
#: (rows T3,*,ci_lo / ci_hi of published_results.csv).
TABLE3 = [
    ("VGPR_OR_BETTER", 16, 31.9, 68.1),
    ("ORR", 27, 67.2, 94.7),
    ("CR", 9, 13.7, 46.7),
    ("SCR", 8, 11.5, 43.4),
    ("PR", 18, 37.7, 73.6),
    ("VGPR", 7, 9.3, 40.0),
    ("SD", 5, 5.3, 32.8),
    ("PD", 0, 0.0, 10.9),
]


@pytest.mark.parametrize("item, n, lo, hi", TABLE3, ids=[row[0] for row in TABLE3])
def test_table3_published_cis(item, n, lo, hi):
    got_lo, got_hi = clopper_pearson(n, 32)
    assert (round_half_away(100 * got_lo, 1), round_half_away(100 * got_hi, 1)) == (lo, hi)


@pytest.mark.parametrize("key", sorted(BINOMIAL))
def test_matches_r_binom_test(key):
    ref = BINOMIAL[key]
    lo, hi = clopper_pearson(ref["n"], ref["N"])
    assert lo == pytest.approx(ref["lower"], abs=R_TOL)
    assert hi == pytest.approx(ref["upper"], abs=R_TOL)


def test_boundaries_are_exact():
    assert clopper_pearson(0, 32)[0] == 0.0
    assert clopper_pearson(32, 32)[1] == 1.0
    assert clopper_pearson(0, 1) == (0.0, pytest.approx(0.975, abs=1e-12))


def test_narrower_interval_at_lower_confidence():
    lo95, hi95 = clopper_pearson(16, 32)
    lo90, hi90 = clopper_pearson(16, 32, alpha=0.10)
    assert lo95 < lo90 < 0.5 < hi90 < hi95


@pytest.mark.parametrize("n, N", [(-1, 10), (11, 10), (0, 0)])
def test_invalid_counts_raise(n, N):
    with pytest.raises(ValueError):
        clopper_pearson(n, N)
