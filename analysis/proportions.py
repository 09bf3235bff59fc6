"""Exact (Clopper-Pearson) confidence intervals for binomial proportions.

References
----------
.. [1] Clopper CJ, Pearson ES. The use of confidence or fiducial limits
   illustrated in the case of the binomial. Biometrika. 1934;26(4):404-413.
"""

from __future__ import annotations

from scipy.stats import beta


def clopper_pearson(n: int, N: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided Clopper-Pearson confidence interval for ``n / N``.

    Parameters
    ----------
    n : int
        Number of responders (0 <= n <= N).
    N : int
        Number of subjects (> 0).
    alpha : float, default 0.05
        1 - confidence level; each tail has alpha / 2.

    Returns
    -------
    tuple of float
        ``(lo, hi)`` as fractions in [0, 1]: ``lo = Beta^-1(alpha/2; n, N-n+1)``
        (0 when n = 0) and ``hi = Beta^-1(1-alpha/2; n+1, N-n)`` (1 when n = N).
        Equals R ``binom.test(n, N)$conf.int`` and SAS ``EXACT BINOMIAL``.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES. Biometrika. 1934;26(4):404-413.

    Examples
    --------
    >>> lo, hi = clopper_pearson(16, 32)
    >>> round(100 * lo, 1), round(100 * hi, 1)
    (31.9, 68.1)
    """
    n, N = int(n), int(N)
    if N <= 0 or not 0 <= n <= N:
        raise ValueError(f"need 0 <= n <= N and N > 0, got n={n}, N={N}")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be in (0, 1)")
    lo = 0.0 if n == 0 else float(beta.ppf(alpha / 2.0, n, N - n + 1))
    hi = 1.0 if n == N else float(beta.ppf(1.0 - alpha / 2.0, n + 1, N - n))
    return lo, hi
