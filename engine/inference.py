"""The tests behind the verdicts (engine/statistics.py): Student's t, the corrected resampled t
interval, the exact sign test, margin and equivalence (TOST) p-values, Benjamini–Hochberg.

Pure stdlib (the t quantile is computed here, checked against scipy.stats in the tests), so
`replay` and `watch` import nothing heavy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

ALPHA = 0.05
CONFIDENCE = 1 - ALPHA


# -- the t quantile (no scipy at run time) -----------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Lentz's continued fraction for the regularized incomplete beta function."""
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return result


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


@functools.cache
def t_quantile(p: float, df: int) -> float:
    """The `p` quantile of Student's t (scipy.stats.t.ppf), by bisection on the CDF."""
    if not 0.0 < p < 1.0 or df < 1:
        raise ValueError(f"t quantile needs 0 < p < 1 and df >= 1, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def t_interval(
    differences: Sequence[float], overlap: float = 0.0, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """The t interval of the mean of `differences`; None below two values.

    `overlap` is n_val/n_train: the Nadeau–Bengio correction takes the variance of the mean as
    s²·(1/J + overlap) instead of s²/J (0: the plain paired t interval).
    """
    n = len(differences)
    if n < 2:
        return None
    mean, se = _mean_se(differences, overlap)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * se
    return mean - half, mean + half


def _mean_se(differences: Sequence[float], overlap: float) -> tuple[float, float]:
    n = len(differences)
    mean = math.fsum(differences) / n
    variance = math.fsum((d - mean) ** 2 for d in differences) / (n - 1)
    return mean, math.sqrt(variance * (1.0 / n + overlap))


def sign_test(wins: int, losses: int) -> float | None:
    """Exact two-sided sign test (binomial, p = ½) on the pairs with a known sign; ties out."""
    m = wins + losses
    if m == 0:
        return None
    tail = math.fsum(math.comb(m, i) for i in range(min(wins, losses) + 1)) / 2.0**m
    return min(1.0, 2.0 * tail)


def margin_tests(differences: Sequence[float], overlap: float, delta: float) -> tuple[float, float]:
    """(p of "beyond ±δ", TOST p of "inside ±δ") from the corrected t; two or more values.

    p_ahead < α exactly when the (1 − α) interval lies wholly beyond ±δ, p_equivalent < α when
    the (1 − 2α) interval lies inside ±δ.
    """
    n = len(differences)
    mean, se = _mean_se(differences, overlap)
    if abs(abs(mean) - delta) <= 1e-9 * delta:  # whole rows of a split average a hair off
        mean = math.copysign(delta, mean)
    if se == 0.0:  # every seed the same difference: the interval is that point
        return (0.0 if abs(mean) > delta else 1.0), (0.0 if abs(mean) < delta else 1.0)
    df = n - 1
    ahead = min(1.0, 2.0 * (1.0 - t_cdf((abs(mean) - delta) / se, df)))
    equivalent = max(1.0 - t_cdf((mean + delta) / se, df), t_cdf((mean - delta) / se, df))
    return ahead, equivalent


def benjamini_hochberg(pvalues: Sequence[float | None], alpha: float = ALPHA) -> list[bool]:
    """Which hypotheses the Benjamini–Hochberg step-up rejects at false discovery rate `alpha`
    (None: not tested, never rejected; the family is the tested ones)."""
    tested = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(tested)
    last = 0
    for rank, (p, _) in enumerate(tested, start=1):
        if p <= rank * alpha / m:
            last = rank
    rejected = [False] * len(pvalues)
    for _, i in tested[:last]:
        rejected[i] = True
    return rejected
