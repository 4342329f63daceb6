"""A learning-rate grid's rules: how a run's rate is chosen and which rates "work".

Pure Python (no torch): the trainer chooses with these every epoch, and `train`, `--json`,
the dashboard and the sweep report with the same functions.

- **Layout.** A run trains seeds × rates members as one model, seed-major: member `s·R + r` is
  seed s at rate r, so the R members of one seed share their split, initial weights and batch
  order, and differ only in their rate.
- **The choice** is made on the validation rows only: the rate with the best mean validation
  score over all of the run's seeds at the epoch reported (the last one, for `train`), a seed that
  diverged counting as a score of 0, so a rate that loses seeds pays for them; ties go to the
  lower mean validation loss, then to the smaller rate. The held-out test rows never enter it.
- **The band that works**: the rates whose mean validation score (scored the same way) is within
  a margin of the run's best (none when the best is 0: R² ≤ 0 at every rate), the margin being
  the data's resolution: one validation row (at least 1 point; 0.01 of R²) or the 95% half-width
  of the best rate's mean over its seeds (1.96 × standard error), whichever is larger.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the normal 97.5% quantile: a mean's 95% half-width is Z95 × SE
CHOICE_RULE = (
    "best mean val score over all seeds at the last epoch, a diverged seed scoring 0; ties:"
    " lower val loss, then the smaller rate"
)
BAND_RULE = (
    "within the larger of one val row and the best rate's 95% half-width over its seeds of the"
    " run's best mean val score"
)


def member_index(seed: int, rate: int, rates: int) -> int:
    """Member `seed·R + rate` (seed-major)."""
    return seed * rates + rate


def scored(values: Sequence[float | None]) -> list[float]:
    """Each seed's score for choosing: its value clipped at 0 (R² as the verdicts clip it), or 0
    for a seed that diverged (None/NaN)."""
    return [max(v, 0.0) if v is not None and math.isfinite(v) else 0.0 for v in values]


def mean_score(values: Sequence[float | None]) -> float:
    """The mean over every seed, a diverged seed counting 0 (see `scored`)."""
    counted = scored(values)
    return math.fsum(counted) / len(counted) if counted else 0.0


def _mean_loss(values: Sequence[float | None]) -> float:
    live = [v for v in values if v is not None and math.isfinite(v)]
    return math.fsum(live) / len(live) if live else math.inf


def choose(
    scores: Sequence[Sequence[float | None]], losses: Sequence[Sequence[float | None]]
) -> int:
    """The chosen rate's index: `scores[r][s]` / `losses[r][s]` are seed s's validation score
    and loss at rate r (None or NaN: diverged). See the module for the rule."""
    return min(
        range(len(scores)),
        key=lambda r: (-mean_score(scores[r]), _mean_loss(losses[r]), r),
    )


def margin(best: Sequence[float | None], resolution: float) -> float:
    """How far below the best mean a rate may be and still "work": the larger of `resolution`
    (one validation row, engine/statistics.score_delta) and the 95% half-width of the best
    rate's mean over its seeds."""
    counted = scored(best)
    if len(counted) < 2:
        return resolution
    half_width = Z95 * statistics.stdev(counted) / math.sqrt(len(counted))
    return max(resolution, half_width)


@dataclass(frozen=True)
class Band:
    """The rates a run works at (indices into the grid's rates), and how they were decided."""

    works: tuple[int, ...]
    best: int
    best_score: float
    margin: float

    def decades(self, rates: Sequence[float]) -> float:
        """The width of the working rates in decades (0 for one rate)."""
        chosen = [rates[i] for i in self.works]
        return math.log10(max(chosen) / min(chosen)) if chosen else 0.0


def band(
    scores: Sequence[Sequence[float | None]],
    losses: Sequence[Sequence[float | None]],
    resolution: float,
) -> Band:
    """The band that works (see the module), around the chosen rate."""
    best = choose(scores, losses)
    best_score = mean_score(scores[best])
    width = margin(scores[best], resolution)
    works = tuple(
        r for r in range(len(scores)) if mean_score(scores[r]) >= best_score - width - 1e-12
    )
    if best_score <= 0:  # no rate beats the trivial predictor (R² ≤ 0 everywhere): none works
        works = ()
    return Band(works=works, best=best, best_score=best_score, margin=width)


def rate_text(rate: float) -> str:
    """A rate as the grid names it: 1e-3, 3e-4, 2.5e-3, 0.3, 1."""
    if rate >= 0.1 or rate <= 0 or not math.isfinite(rate):
        return f"{rate:.3g}"
    mantissa, exponent = f"{rate:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def band_text(name: str, band_: Band, rates: Sequence[float]) -> str:
    """`raw works at 1e-2 only` / `normalized works at 1e-3–1e-1 (5 of 7 rates, 2 decades)`."""
    works = [rates[i] for i in band_.works]
    if not works:
        return f"{name} works at no rate (its best mean score is 0: no better than trivial)"
    if len(works) == 1:
        return f"{name} works at {rate_text(works[0])} only"
    span = f"{rate_text(min(works))}–{rate_text(max(works))}"
    gaps = len(works) < (band_.works[-1] - band_.works[0] + 1)
    where = f"{span}, not all between" if gaps else span
    return (
        f"{name} works at {where} ({len(works)} of {len(rates)} rates,"
        f" {band_.decades(rates):.1f} decades)"
    )
