"""Kaplan-Meier estimates, Greenwood standard errors, log-log bands and quantiles.

The product-limit estimator comes from lifelines' ``KaplanMeierFitter``; the
Greenwood variance, the pointwise log-log confidence band and the
Brookmeyer-Crowley quantile limits are computed here explicitly so that they
match R ``survival::survfit(..., conf.type = "log-log")`` and
``quantile.survfit`` (checked in ``tests/test_analysis_km.py`` against values
frozen by ``tests/reference/km_reference.R``).

Conventions (docs/derivations.md#statistics)
--------------------------------------------
* Times are whatever unit the caller passes (ADaM ``AVAL`` is in days);
  convert with :func:`days_to_months` *after* the estimate.
* ``event`` is 1 for an event and 0 for a censored observation
  (i.e. ``1 - CNSR`` for ADaM ``adtte``).
* Undefined values (the band where S(t) is 1 or 0, the standard error where
  S(t) is 0, a quantile or limit that is not estimable) are ``None`` / null.

References
----------
.. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete
   observations. J Am Stat Assoc. 1958;53(282):457-481.
.. [2] Greenwood M. The natural duration of cancer. Reports on Public Health
   and Medical Subjects 33. London: HMSO; 1926.
.. [3] Brookmeyer R, Crowley J. A confidence interval for the median survival
   time. Biometrics. 1982;38(1):29-41.
.. [4] Klein JP, Moeschberger ML. Survival Analysis: Techniques for Censored
   and Truncated Data. 2nd ed. New York: Springer; 2003. Sections 4.2-4.5.
.. [5] Therneau TM. A Package for Survival Analysis in R (``survival``),
   ``survfit.formula`` and ``quantile.survfit``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from lifelines import KaplanMeierFitter
from scipy.stats import norm

#: Days per month (docs/derivations.md#months-and-durations: months = days / 30.4375).
DAYS_PER_MONTH = 30.4375

#: Tolerance used to decide that S(t) equals the quantile level exactly.
#: It is R ``quantile.survfit``'s default, ``sqrt(.Machine$double.eps)``
#: (about 1.49e-8): a product of fractions such as 5/10 * ... is rarely exactly
#: 0.5 in floating point, while distinct KM steps are never this close for any
#: realistic sample size (steps are at least ~1/n^2 apart).
QUANTILE_TOL = math.sqrt(np.finfo(float).eps)

_KM_COLUMNS = ["time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"]


# --------------------------------------------------------------------------- inputs
def _as_arrays(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert ``time``/``event`` to float and int numpy arrays.

    Parameters
    ----------
    time : array-like
        Non-negative, finite follow-up times.
    event : array-like
        1 = event, 0 = censored (booleans accepted).

    Returns
    -------
    tuple of numpy.ndarray
        ``(time, event)`` as float64 and int64 arrays.

    Raises
    ------
    ValueError
        On empty input, unequal lengths, missing/negative times or event codes
        other than 0/1.
    """
    t = np.asarray(time.to_numpy() if isinstance(time, pl.Series) else time, dtype=float)
    e = np.asarray(event.to_numpy() if isinstance(event, pl.Series) else event, dtype=float)
    if t.ndim != 1 or e.ndim != 1 or t.size == 0:
        raise ValueError("time and event must be non-empty 1-D sequences")
    if t.size != e.size:
        raise ValueError(f"time ({t.size}) and event ({e.size}) differ in length")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("time must be finite and >= 0")
    if not np.all(np.isin(e, (0.0, 1.0))):
        raise ValueError("event must be coded 1 (event) / 0 (censored)")
    return t, e.astype(np.int64)


def _none_if_nan(x: float) -> float | None:
    """Return ``None`` for NaN/inf, otherwise ``float(x)``."""
    return None if x is None or not math.isfinite(x) else float(x)


# --------------------------------------------------------------------------- bands
def greenwood_var_sum(n_risk: np.ndarray, n_event: np.ndarray) -> np.ndarray:
    """Cumulative Greenwood sum ``sum d_i / (n_i (n_i - d_i))``.

    Parameters
    ----------
    n_risk, n_event : numpy.ndarray
        Numbers at risk and events at each distinct time, in time order.

    Returns
    -------
    numpy.ndarray
        The running sum; ``inf`` from the time where all at risk have the event
        (S(t) = 0), as in R ``survfit`` (``std.err`` = Inf there).

    Notes
    -----
    Var(S(t)) = S(t)^2 * sum (Greenwood's formula); the sum itself is the
    variance of log S(t) (R's ``std.err`` is its square root).

    References
    ----------
    .. [1] Greenwood M. The natural duration of cancer. HMSO; 1926.
    .. [2] Klein JP, Moeschberger ML. Survival Analysis. 2nd ed. 2003, eq. 4.2.2.
    """
    n = n_risk.astype(float)
    d = n_event.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    return np.cumsum(term)


def loglog_band(surv: np.ndarray, var_sum: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence band for S(t) on the log-log scale.

    ``exp(-exp(log(-log S) -/+ z * se))`` with ``se = sqrt(var_sum) / |log S|``
    (R ``conf.type = "log-log"``, SAS ``CONFTYPE=LOGLOG``).

    Parameters
    ----------
    surv : numpy.ndarray
        Kaplan-Meier estimates.
    var_sum : numpy.ndarray
        Greenwood sums (see :func:`greenwood_var_sum`).
    alpha : float, default 0.05
        Two-sided level; z = Phi^-1(1 - alpha/2).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)``; NaN where S(t) is 1 or 0 (undefined, as in R).

    References
    ----------
    .. [1] Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure
       Time Data. Wiley; 1980.
    .. [2] Klein JP, Moeschberger ML. Survival Analysis. 2nd ed. 2003, eq. 4.3.2.
    """
    z = norm.ppf(1.0 - alpha / 2.0)
    s = np.where((surv <= 0.0) | (surv >= 1.0), np.nan, surv)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(s)
        se_loglog = np.sqrt(var_sum) / np.abs(log_s)
        centre = np.log(-log_s)
        lower = np.exp(-np.exp(centre + z * se_loglog))
        upper = np.exp(-np.exp(centre - z * se_loglog))
    return lower, upper


# --------------------------------------------------------------------------- table
def km_table(time: Any, event: Any, alpha: float = 0.05) -> pl.DataFrame:
    """Kaplan-Meier life table, one row per distinct observed time.

    Parameters
    ----------
    time : array-like
        Follow-up times (e.g. ADaM ``AVAL`` in days).
    event : array-like
        1 = event, 0 = censored.
    alpha : float, default 0.05
        Level of the pointwise band (95% by default).

    Returns
    -------
    polars.DataFrame
        Columns ``time, n_risk, n_event, n_censor, surv, std_err, lower, upper``.
        ``std_err`` is Greenwood's standard error of S(t) (not of log S);
        ``lower``/``upper`` are the log-log band. ``std_err`` is null where
        S(t) = 0; the band is null where S(t) is 1 or 0 (as R gives NA).

    Notes
    -----
    The rows equal R's ``summary(survfit(Surv(time, event) ~ 1,
    conf.type = "log-log"), censored = TRUE)``.

    References
    ----------
    .. [1] Kaplan EL, Meier P. J Am Stat Assoc. 1958;53:457-481.
    .. [2] Greenwood M. The natural duration of cancer. HMSO; 1926.
    .. [3] Klein JP, Moeschberger ML. Survival Analysis. 2nd ed. Springer; 2003.

    Examples
    --------
    >>> [round(s, 6) for s in km_table([1, 2, 2, 3], [1, 1, 0, 1])["surv"]]
    [0.75, 0.5, 0.0]
    """
    t, e = _as_arrays(time, event)
    kmf = KaplanMeierFitter().fit(t, event_observed=e)
    et = kmf.event_table
    et = et[et["removed"] > 0]  # lifelines adds a t=0 row with nobody removed
    times = et.index.to_numpy(dtype=float)
    n_risk = et["at_risk"].to_numpy(dtype=np.int64)
    n_event = et["observed"].to_numpy(dtype=np.int64)
    n_censor = et["censored"].to_numpy(dtype=np.int64)
    surv = kmf.survival_function_.iloc[:, 0].reindex(times).to_numpy(dtype=float)
    var_sum = greenwood_var_sum(n_risk, n_event)
    with np.errstate(invalid="ignore"):
        std_err = np.where(surv > 0.0, surv * np.sqrt(var_sum), np.nan)
    lower, upper = loglog_band(surv, var_sum, alpha)
    frame = pl.DataFrame(
        {
            "time": times,
            "n_risk": n_risk,
            "n_event": n_event,
            "n_censor": n_censor,
            "surv": surv,
            "std_err": std_err,
            "lower": lower,
            "upper": upper,
        }
    )
    return frame.with_columns(pl.col("std_err", "lower", "upper").fill_nan(None)).select(_KM_COLUMNS)


# --------------------------------------------------------------------------- quantiles
def step_quantile(
    times: np.ndarray, failure: np.ndarray, p: float, tol: float = QUANTILE_TOL
) -> float | None:
    """Time at which a step function of cumulative failure first reaches ``p``.

    This is R ``survival:::findq`` (used by ``quantile.survfit``) except for the
    last-flat rule, see Notes.

    Parameters
    ----------
    times : numpy.ndarray
        Step times in increasing order, starting with the origin (0).
    failure : numpy.ndarray
        ``1 - S`` (or ``1 -`` a band) at those times, starting with 0; NaN
        entries (undefined band values) are ignored.
    p : float
        Failure probability of the quantile (0.5 = median).
    tol : float
        Tolerance for "equals p exactly".

    Returns
    -------
    float or None
        * the first time where ``failure > p`` (S(t) < 1 - p);
        * the midpoint between the time where ``failure`` reaches ``p``
          (within ``tol``) and the time it next rises, on a flat exactly at p;
        * ``None`` if ``failure`` never exceeds ``p`` -- not reached, or stays
          at p up to the last observation.

    Notes
    -----
    Deviation from R: when the curve stays exactly at p up to a censored last
    observation, R returns the midpoint of the flat's start and the last
    observed time; the rule book wants NE (``None``,
    docs/derivations.md#median-and-quartiles-the-midpoint-rule) and this function follows it.

    As in R, the values are first de-duplicated (keeping the first time each
    value is reached) and then searched in increasing order of value; for a
    monotone curve (always the estimate, nearly always the band) this is simply
    the first crossing. For a band that rises again after crossing (possible
    when the Greenwood sum jumps at a late step) R's ``approx`` sorts the
    values, i.e. it takes the step whose value is the smallest one >= p; this
    is reproduced so that the limits match R exactly.

    References
    ----------
    .. [1] Brookmeyer R, Crowley J. Biometrics. 1982;38:29-41.
    .. [2] Klein JP, Moeschberger ML. Survival Analysis. 2nd ed. 2003, sec. 4.5.
    """
    x = np.asarray(times, dtype=float)
    y = np.asarray(failure, dtype=float)
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    _, first = np.unique(y, return_index=True)  # first occurrence of each value
    first = np.sort(first)
    x, y = x[first], y[first]
    order = np.argsort(y, kind="stable")
    ys, xs = y[order], x[order]
    reach = np.nonzero(ys + tol >= p)[0]
    exceed = np.nonzero(ys - tol >= p)[0]
    if reach.size == 0 or exceed.size == 0:
        return None
    return float((xs[reach[0]] + xs[exceed[0]]) / 2.0)


def _quantile_from_table(table: pl.DataFrame, p: float) -> dict[str, float | None]:
    """Quantile and Brookmeyer-Crowley limits from a :func:`km_table` frame."""
    times = np.concatenate([[0.0], table["time"].to_numpy()])
    surv = np.concatenate([[1.0], table["surv"].to_numpy()])
    lower = np.concatenate([[1.0], table["lower"].fill_null(np.nan).to_numpy()])
    upper = np.concatenate([[1.0], table["upper"].fill_null(np.nan).to_numpy()])
    return {
        "estimate": step_quantile(times, 1.0 - surv, p),
        "lower": step_quantile(times, 1.0 - lower, p),
        "upper": step_quantile(times, 1.0 - upper, p),
    }


def km_quantile(time: Any, event: Any, p: float = 0.5, alpha: float = 0.05) -> dict[str, float | None]:
    """Kaplan-Meier quantile with its Brookmeyer-Crowley log-log confidence interval.

    ``p`` is the failure probability: ``p=0.5`` is the median, ``p=0.25`` the
    25th percentile (the time where S(t) first falls below 0.75), ``p=0.75``
    the 75th percentile (S(t) below 0.25) -- R's ``quantile(fit, probs=p)``.

    Parameters
    ----------
    time : array-like
        Follow-up times.
    event : array-like
        1 = event, 0 = censored.
    p : float, default 0.5
        Quantile, in (0, 1).
    alpha : float, default 0.05
        1 - confidence level of the interval.

    Returns
    -------
    dict
        ``{"estimate": ..., "lower": ..., "upper": ...}`` in the units of
        ``time``; each ``None`` when not estimable (NE).

    Notes
    -----
    Rules (docs/derivations.md#median-and-quartiles-the-midpoint-rule): the estimate is the smallest time with S(t) < 1 - p; on a
    flat where S(t) equals 1 - p (within :data:`QUANTILE_TOL`) it is the
    midpoint of that flat; NE when S(t) never falls below 1 - p (including a
    flat at 1 - p up to a censored last observation).

    The 100(1-alpha)% CI is Brookmeyer-Crowley on the log-log scale, computed
    as where the pointwise log-log band crosses the level, with the same
    midpoint rule (R ``quantile.survfit``): the lower limit is the time where
    the *lower* band crosses 1 - p (it falls first), the upper limit the time
    where the *upper* band crosses it. (The study's analysis plan words this the other way
    round -- "the lower limit is the quantile of the upper band"; R, SAS and
    the definition {t : lower(t) <= 1 - p <= upper(t)} all give the
    assignment used here, so the lower limit is never above the estimate.) A
    limit is NE where its band never crosses the level. The band is undefined
    where S(t) = 0, so when the last event takes S(t) to 0 before the band
    has crossed, the limit is NE -- as in R, which drops these NA band values.

    References
    ----------
    .. [1] Kaplan EL, Meier P. J Am Stat Assoc. 1958;53:457-481.
    .. [2] Brookmeyer R, Crowley J. Biometrics. 1982;38:29-41.
    .. [3] Klein JP, Moeschberger ML. Survival Analysis. 2nd ed. 2003, sec. 4.5.

    Examples
    --------
    >>> km_quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1] * 10)["estimate"]
    5.5
    """
    if not 0.0 < p < 1.0:
        raise ValueError("p must be in (0, 1)")
    return _quantile_from_table(km_table(time, event, alpha=alpha), p)


def median_followup(time: Any, event: Any, alpha: float = 0.05) -> dict[str, float | None]:
    """Median follow-up by the reverse Kaplan-Meier method.

    The event indicator is flipped (censoring becomes the "event") and the
    median of that curve is taken, with its CI, as in :func:`km_quantile`.
    Equals R ``quantile(survfit(Surv(time, 1 - status) ~ 1,
    conf.type = "log-log"), 0.5)``.

    Parameters
    ----------
    time : array-like
        Follow-up times (typically OS ``AVAL``).
    event : array-like
        1 = event (death), 0 = censored.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    dict
        ``{"estimate", "lower", "upper"}`` as in :func:`km_quantile`.

    References
    ----------
    .. [1] Schemper M, Smith TL. A note on quantifying follow-up in studies of
       failure time. Control Clin Trials. 1996;17(4):343-346.
    .. [2] Kaplan EL, Meier P. J Am Stat Assoc. 1958;53:457-481.
    """
    t, e = _as_arrays(time, event)
    return km_quantile(t, 1 - e, p=0.5, alpha=alpha)


# --------------------------------------------------------------------------- helpers
def numbers_at_risk(time: Any, at: Any) -> list[int]:
    """Numbers at risk, ``#{time >= t}``, at each requested time (SAS/R style).

    Parameters
    ----------
    time : array-like
        Follow-up times of all subjects.
    at : array-like or float
        Times at which to count.

    Returns
    -------
    list of int
        One count per element of ``at``.

    References
    ----------
    .. [1] Klein JP, Moeschberger ML. Survival Analysis. 2nd ed. 2003, sec. 4.2.
    """
    t = np.asarray(time.to_numpy() if isinstance(time, pl.Series) else time, dtype=float)
    points = np.atleast_1d(np.asarray(at.to_numpy() if isinstance(at, pl.Series) else at, dtype=float))
    return [int(np.count_nonzero(t >= a)) for a in points]


def days_to_months(days: Any) -> Any:
    """Convert days to months, ``days / 30.4375`` (docs/derivations.md#months-and-durations).

    Parameters
    ----------
    days : float, int, None, numpy.ndarray, polars.Series or polars.Expr
        Durations in days; ``None`` passes through.

    Returns
    -------
    same kind as ``days``
        Durations in months (unrounded).
    """
    if days is None:
        return None
    return days / DAYS_PER_MONTH


def km_curve(time: Any, event: Any, alpha: float = 0.05) -> pl.DataFrame:
    """Step-function data of a Kaplan-Meier curve, for plotting.

    Parameters
    ----------
    time : array-like
        Follow-up times.
    event : array-like
        1 = event, 0 = censored.
    alpha : float, default 0.05
        Level of the pointwise log-log band.

    Returns
    -------
    polars.DataFrame
        Columns ``time, surv, lower, upper, n_censor``: a first row
        ``(0, 1, 1, 1, 0)`` then one row per distinct time of
        :func:`km_table`; draw with a right-continuous step
        (plotly ``line_shape="hv"``). The band is 1 while S(t) = 1 (no
        uncertainty before the first event) and null where S(t) = 0.
        Censor marks go at ``time, surv`` of the rows with ``n_censor > 0``
        (``n_censor`` subjects censored there).

    References
    ----------
    .. [1] Kaplan EL, Meier P. J Am Stat Assoc. 1958;53:457-481.
    """
    table = km_table(time, event, alpha=alpha)
    at_one = pl.col("surv") >= 1.0
    start = pl.DataFrame(
        {"time": [0.0], "surv": [1.0], "lower": [1.0], "upper": [1.0], "n_censor": [0]},
        schema={
            "time": pl.Float64,
            "surv": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "n_censor": pl.Int64,
        },
    )
    steps = table.select(
        "time",
        "surv",
        pl.when(at_one).then(1.0).otherwise(pl.col("lower")).alias("lower"),
        pl.when(at_one).then(1.0).otherwise(pl.col("upper")).alias("upper"),
        "n_censor",
    )
    return pl.concat([start, steps])
