"""SAS-style rounding (half away from zero) and fixed-decimal formatting."""

from __future__ import annotations

import math

import pytest

from analysis.rounding import format_value, round_half_away


@pytest.mark.parametrize(
    "x, decimals, expected",
    [
        (0.125, 2, 0.13),  # exactly representable half: half-even would give 0.12
        (2.675, 2, 2.68),  # stored as 2.67499999...: naive round() gives 2.67
        (1.005, 2, 1.01),  # stored as 1.00499999...
        (0.285, 2, 0.29),
        (100 * 0.285, 0, 29.0),  # 28.499999999999996 is arithmetic noise on 28.5
        (0.5, 0, 1.0),
        (1.5, 0, 2.0),
        (2.5, 0, 3.0),  # half-even would give 2
        (-0.5, 0, -1.0),
        (-2.5, 0, -3.0),
        (-0.125, 2, -0.13),
        (-2.675, 2, -2.68),
        (28.125, 1, 28.1),
        (28.125, 2, 28.13),
        (56.25, 1, 56.3),  # 18/32: Table 3 prints 56.3
        (22.05, 1, 22.1),
        (0.04999, 1, 0.0),
        (1234.5, -1, 1230.0),
        (1235.0, -1, 1240.0),
        (7, 0, 7.0),
        (2.4999999, 0, 2.0),
    ],
)
def test_round_half_away(x, decimals, expected):
    assert round_half_away(x, decimals) == expected


@pytest.mark.parametrize(
    "n, N, pct",
    # Table 3 percentages (N = 32) and Table 1 whole-number percentages (N = 34)
    [
        (9, 32, 28.1),
        (8, 32, 25.0),
        (18, 32, 56.3),
        (7, 32, 21.9),
        (27, 32, 84.4),
        (16, 32, 50.0),
        (5, 32, 15.6),
        (0, 32, 0.0),
    ],
)
def test_published_table3_percentages(n, N, pct):
    assert round_half_away(100 * n / N, 1) == pct


@pytest.mark.parametrize("n, pct", [(19, 56), (15, 44), (24, 71), (4, 12), (5, 15), (1, 3), (28, 82)])
def test_published_table1_whole_percentages(n, pct):
    assert round_half_away(100 * n / 34, 0) == pct


def test_missing_values_pass_through():
    assert round_half_away(None, 1) is None
    assert math.isnan(round_half_away(float("nan"), 1))


def test_negative_zero_is_normalised():
    assert math.copysign(1.0, round_half_away(-0.04, 1)) == 1.0
    assert format_value(-0.04, 1) == "0.0"


@pytest.mark.parametrize(
    "x, decimals, expected",
    [
        (2.675, 2, "2.68"),
        (3, 1, "3.0"),
        (22.0123, 1, "22.0"),
        (0.125, 2, "0.13"),
        (56.25, 1, "56.3"),
        (44.1176, 0, "44"),
        (None, 1, "NE"),
        (float("nan"), 1, "NE"),
        (-1.25, 1, "-1.3"),
    ],
)
def test_format_value(x, decimals, expected):
    assert format_value(x, decimals) == expected
