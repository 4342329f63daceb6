"""The paired comparison of raw vs normalized over seeds: one rule for every verdict normtui shows.

Member k of the raw run and member k of the normalized run share weights, split and batch order,
so the evidence is the per-seed difference (normalized − raw). Its mean gets a 95% Student t
interval (n − 1 degrees of freedom); a run is named ahead only when that interval excludes zero
AND the mean difference is at least `resolution` (for accuracy: one validation row, the smallest
difference the data can show). One seed has no interval: the verdict says it cannot tell an
effect from noise.

Pure stdlib (the t quantile is computed here, checked against scipy.stats in the tests), so
`replay` and `watch` import nothing heavy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from normtui.engine.events import RUN_NAMES
from normtui.engine.numbers import fixed, step_of

RAW, NORMALIZED = RUN_NAMES
CONFIDENCE = 0.95
INTERVAL_METHOD = "95% Student t interval on the per-seed paired differences (normalized − raw)"


@dataclass(frozen=True)
class Comparison:
    """What the seeds say about one metric; `to_dict` is the `--json` form."""

    metric: str
    seeds: int  # pairs compared (members where neither side diverged or lacks the value)
    wins: int  # seeds where normalized is better
    losses: int  # seeds where raw is better (the rest are ties)
    mean_difference: float | None  # normalized − raw, in the metric's own units
    ci95: tuple[float, float] | None  # t interval of the mean difference; None below 2 seeds
    winner: str | None  # "normalized", "raw", or None when the seeds cannot tell
    verdict: str
    excluded: int = 0  # members left out (diverged, failed, or no value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "seeds": self.seeds,
            "wins": self.wins,
            "losses": self.losses,
            "mean_difference": self.mean_difference,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "winner": self.winner,
            "verdict": self.verdict,
            "excluded": self.excluded,
        }


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


def t_interval(differences: Sequence[float]) -> tuple[float, float] | None:
    """95% t interval of the mean of `differences`; None below two values."""
    n = len(differences)
    if n < 2:
        return None
    mean = math.fsum(differences) / n
    sd = math.sqrt(math.fsum((d - mean) ** 2 for d in differences) / (n - 1))
    half = t_quantile(0.5 + CONFIDENCE / 2.0, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


# -- the verdict -------------------------------------------------------------------------------

# How each known metric reads in a verdict: label, unit, scale applied to differences for text.
_METRIC_TEXT: dict[str, tuple[str, str, float]] = {
    "val_accuracy": ("val accuracy", " pts", 100.0),
    "val_r2": ("val R²", "", 1.0),
    "train_accuracy": ("train accuracy", " pts", 100.0),
    "val_loss": ("val loss", "", 1.0),
    "train_loss": ("train loss", "", 1.0),
    "epochs_to_goal": ("epochs to goal", "", 1.0),
}


def _usable(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _signed(value: float, scale: float, step: float = 0.0) -> str:
    """+31, −1.2, +0.0083: a difference with its sign and 2–3 significant digits; with `step`
    (engine/numbers.py `step_of` an interval's width) to that decimal place, like its interval."""
    if step:
        return fixed(value * scale, step, plus=True)
    shown = value * scale
    if shown == 0:
        return "0"
    magnitude = abs(shown)
    if magnitude >= 10:
        digits = 0
    elif magnitude >= 1:
        digits = 1
    else:
        digits = 1 - math.floor(math.log10(magnitude))
    if magnitude < 1e4:
        text = f"{magnitude:.{digits}f}"
    else:  # a runaway loss: 5.34e34, not 5.34e+34 (compact, as fmt_num prints it)
        mantissa, exponent = f"{magnitude:.2e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    return ("+" if shown > 0 else "−") + text


def compare_paired(
    raw: Sequence[float | None],
    normalized: Sequence[float | None],
    *,
    metric: str,
    higher_is_better: bool,
    resolution: float = 0.0,
) -> Comparison:
    """Compare member k of `raw` with member k of `normalized`, for every k.

    A member whose value is None or not finite on either side (diverged, failed, never reached
    the goal) is left out and counted in `excluded`. `resolution` is the smallest difference that
    means anything (one validation row for accuracy): a smaller mean difference names no winner,
    however tight its interval.
    """
    if len(raw) != len(normalized):
        raise ValueError(f"paired comparison needs equal lengths: {len(raw)}, {len(normalized)}")
    pairs = [(r, n) for r, n in zip(raw, normalized, strict=True) if _usable(r) and _usable(n)]
    excluded = len(raw) - len(pairs)
    differences = [n - r for r, n in pairs]
    better = [d if higher_is_better else -d for d in differences]
    wins = sum(1 for b in better if b > 0)
    losses = sum(1 for b in better if b < 0)
    seeds = len(differences)
    mean = math.fsum(differences) / seeds if seeds else None
    ci95 = t_interval(differences)
    winner = None
    if mean is not None and ci95 is not None and _at_least(abs(mean), resolution) and mean != 0:
        low, high = ci95
        if low > 0 or high < 0:
            winner = NORMALIZED if (mean > 0) == higher_is_better else RAW
    verdict = _verdict(metric, seeds, wins, losses, mean, ci95, winner, resolution, excluded)
    return Comparison(metric, seeds, wins, losses, mean, ci95, winner, verdict, excluded)


def _verdict(
    metric: str,
    seeds: int,
    wins: int,
    losses: int,
    mean: float | None,
    ci95: tuple[float, float] | None,
    winner: str | None,
    resolution: float,
    excluded: int,
) -> str:
    label, unit, scale = _METRIC_TEXT.get(metric, (metric.replace("_", " "), "", 1.0))
    left_out = f"; {excluded} seed(s) left out" if excluded else ""
    if mean is None:
        return f"{label}: no seed to compare{left_out}"
    if ci95 is None:
        return (
            f"one seed: cannot tell an effect from noise"
            f" (normalized {_signed(mean, scale)}{unit} {label}){left_out}"
        )
    low, high = ci95
    step = step_of((high - low) * scale)  # the mean and both ends: one decimal place, by the width
    if winner is not None:
        sign = 1.0 if winner == NORMALIZED else -1.0  # differences from the winner's side
        ahead = wins if winner == NORMALIZED else losses
        low_w, high_w = sorted((sign * low, sign * high))
        return (
            f"{winner} ahead in {ahead}/{seeds} seeds: {_signed(sign * mean, scale, step)}{unit}"
            f" {label} (95% CI {_signed(low_w, scale, step)} to {_signed(high_w, scale, step)})"
            f"{left_out}"
        )
    if wins == 0 and losses == 0:
        return f"no difference in {label} in any of {seeds} seeds{left_out}"
    interval = f"normalized − raw {_signed(low, scale, step)} to {_signed(high, scale, step)}{unit}"
    head = f"no clear difference in {label} over {seeds} seeds"
    if (low > 0 or high < 0) and not _at_least(abs(mean), resolution):
        size = f"{_signed(resolution, scale).lstrip('+')}{unit}"
        return f"{head}: {_signed(mean, scale)}{unit} is under the resolution {size}{left_out}"
    return f"{head} ({interval}){left_out}"


# -- the three comparisons every view shows ------------------------------------------------------

GOAL_RESOLUTION = 1.0  # epochs: a mean difference under one epoch names no winner


def _at_least(size: float, resolution: float) -> bool:
    """`size >= resolution`, where a mean of whole validation rows counts as that many rows:
    10 seeds each one row of 30 ahead average to 0.03333…, a hair under 1/30 in floating point."""
    return size >= resolution * (1 - 1e-9)


def score_resolution(regression: bool, n_val: int) -> float:
    """One validation row is the smallest step accuracy can take; R² has no such step."""
    return 0.0 if regression or n_val <= 0 else 1.0 / n_val


def compare_metrics(
    scores: tuple[Sequence[float | None], Sequence[float | None]],
    losses: tuple[Sequence[float | None], Sequence[float | None]],
    goals: tuple[Sequence[float | None], Sequence[float | None]],
    *,
    regression: bool,
    n_val: int,
) -> tuple[Comparison, Comparison, Comparison]:
    """Val score, val loss and epochs to the goal, each as (raw, normalized) per-member values
    (None: diverged, or never reached the goal), compared seed by seed with `compare_paired`.

    The one set of rules (metrics, directions, resolutions) behind `train`'s table, `--json`
    and the dashboard's strip.
    """
    score = compare_paired(
        *scores,
        metric="val_r2" if regression else "val_accuracy",
        higher_is_better=True,
        resolution=score_resolution(regression, n_val),
    )
    loss = compare_paired(*losses, metric="val_loss", higher_is_better=False)
    goal = compare_paired(
        *goals, metric="epochs_to_goal", higher_is_better=False, resolution=GOAL_RESOLUTION
    )
    return score, loss, goal
