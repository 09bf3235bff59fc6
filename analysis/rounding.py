"""Rounding and formatting as SAS does it (half away from zero).

Binary floating point cannot hold most decimal fractions: ``2.675`` is stored as
2.67499999999999982236431605997495353221893310546875, so naive rounding gives
2.67 where SAS ``ROUND(2.675, 0.01)`` gives 2.68. :func:`round_half_away`
therefore rounds the value's **15-significant-digit decimal representation**
(``format(x, ".15g")``) half away from zero with :mod:`decimal`. Fifteen digits
is the most any double is guaranteed to carry faithfully, so every decimal
literal (2.675, 0.125, 1.005) is recovered exactly, and arithmetic noise below
about 1e-15 relative (``100 * 0.285`` = 28.499999999999996) is treated as the
decimal it approximates -- the same idea as SAS's relative "fuzz" in ROUND.

References
----------
.. [1] SAS Institute. SAS Functions and CALL Routines: Reference, ROUND function.
.. [2] IEEE 754-2008, Standard for Floating-Point Arithmetic.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NOT_ESTIMABLE = "NE"


def round_half_away(x: float | None, decimals: int = 0) -> float | None:
    """Round half away from zero to ``decimals`` places (SAS ``ROUND``).

    Parameters
    ----------
    x : float or None
        Value to round; ``None`` and NaN are returned unchanged.
    decimals : int, default 0
        Number of decimal places (may be negative: -1 rounds to tens).

    Returns
    -------
    float or None
        The rounded value (``-0.0`` normalised to ``0.0``).

    References
    ----------
    .. [1] SAS Institute. SAS Functions and CALL Routines: Reference, ROUND.

    Examples
    --------
    >>> round_half_away(2.675, 2), round_half_away(0.125, 2), round_half_away(-2.5, 0)
    (2.68, 0.13, -3.0)
    """
    if x is None:
        return None
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return x
    exact = Decimal(format(float(x), ".15g"))
    quantum = Decimal(1).scaleb(-int(decimals))
    rounded = float(exact.quantize(quantum, rounding=ROUND_HALF_UP))
    return rounded + 0.0  # -0.0 -> 0.0


def format_value(x: float | None, decimals: int = 0) -> str:
    """Format a number with a fixed number of decimals after SAS rounding.

    Parameters
    ----------
    x : float or None
        Value; ``None`` or NaN (not estimable) gives ``"NE"``.
    decimals : int, default 0
        Decimal places shown (>= 0).

    Returns
    -------
    str
        e.g. ``format_value(28.125, 1) == "28.1"``, ``format_value(22.05, 1) ==
        "22.1"``, ``format_value(None, 1) == "NE"``.

    Examples
    --------
    >>> format_value(2.675, 2), format_value(3, 1), format_value(float("nan"), 1)
    ('2.68', '3.0', 'NE')
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return NOT_ESTIMABLE
    if decimals < 0:
        raise ValueError("decimals must be >= 0 for formatting")
    return f"{round_half_away(x, decimals):.{decimals}f}"
