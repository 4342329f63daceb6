"""The learning-rate range test's analysis: pure functions on loss curves (numpy, no torch).

Leslie Smith's range test (2015), as fastai's `lr_find` and torch-lr-finder run it, trains one
model while the rate grows exponentially and reads a suggestion off its loss curve. One model's
suggestion is noisy and seed-dependent (torch-lr-finder #106, fastai #3295); here every seed of
a run has its own curve, so a run's suggestion comes with its spread over the seeds, and none
is made when the seeds disagree.

The rules, each stated once:
- Smoothing: fastai's bias-corrected exponential average, with its factor chosen so the average
  lags the rate by `LAG_DECADES` (0.74 at 200 steps over 1e-6..10). fastai's fixed 0.98 lags
  ~49 steps, 1.7 decades of rate here: measured on wine and digits (5 seeds, Adam), it moved
  the seeds' steepest points up to 2x to the right (median 1.7x).
- Blow-up: a member stops once its smoothed loss passes `BLOWUP_FACTOR` times its best (fastai's
  4×) or its loss is not a finite number: past that the rate only measures divergence.
- Suggestion: the rate of steepest descent of the smoothed loss against log10(rate), before the
  blow-up (Smith's and torch-lr-finder's rule): where one step of rate buys the most loss. None
  where the loss never fell USABLE_DROP below its start (a flat curve's steepest point is noise).
- Usable range: rates, before the blow-up, where the smoothed loss is at least `USABLE_DROP`
  below its start (without a margin the tiniest rates "lower" the loss by 1e-7 and count).
- A run: the median suggestion over its seeds (in log space), their spread in decades
  (highest / lowest), and the usable range every seed shares (the intersection: a rate outside
  it is unusable for some seed). Seeds spanning more than `DISAGREE_DECADES`, or a median
  outside the shared range, get no suggestion: the reason is printed instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DEFAULT_STEPS = 200
DEFAULT_LR_MIN = 1e-6
DEFAULT_LR_MAX = 10.0
MIN_STEPS = 10  # fewer points than this cannot show a slope, let alone its steepest point
BLOWUP_FACTOR = 4.0  # × the best smoothed loss so far: fastai's stop rule
LAG_DECADES = 0.1  # how far (in decades of rate) the smoothed loss may lag the raw one
USABLE_DROP = 0.05  # the smoothed loss at least this share below its start counts as usable
DISAGREE_DECADES = 1.0  # seeds' suggestions spanning more than this: no suggestion


def rate_schedule(lr_min: float, lr_max: float, steps: int) -> np.ndarray:
    """lr_min·(lr_max/lr_min)^(i/(steps−1)) for i = 0…steps−1: exponential, both ends exact."""
    i = np.arange(steps, dtype=np.float64)
    rates = lr_min * (lr_max / lr_min) ** (i / max(steps - 1, 1))
    rates[-1] = lr_max
    return rates


def smoothing_beta(lr_min: float, lr_max: float, steps: int) -> float:
    """The average's factor whose lag, beta/(1−beta) steps, is LAG_DECADES of rate."""
    steps_per_decade = (steps - 1) / max(math.log10(lr_max / lr_min), 1e-12)
    lag_steps = max(LAG_DECADES * steps_per_decade, 0.0)
    return lag_steps / (1.0 + lag_steps)


class LossSmoother:
    """fastai's smoothed loss and stop rule, one loss at a time: the range test's loop stops a
    member with it, and `analyse_member` replays it over a recorded curve, so both agree."""

    def __init__(self, beta: float) -> None:
        self.beta = beta
        self._average = 0.0
        self._count = 0
        self.best = math.inf
        self.stopped = False

    def add(self, loss: float) -> float:
        """The smoothed loss after `loss`; sets `stopped` once the blow-up rule is broken."""
        if not math.isfinite(loss):
            self.stopped = True
            return math.nan
        self._count += 1
        self._average = self.beta * self._average + (1.0 - self.beta) * loss
        smoothed = self._average / (1.0 - self.beta**self._count)
        if smoothed > BLOWUP_FACTOR * self.best:
            self.stopped = True
        self.best = min(self.best, smoothed)
        return smoothed


@dataclass(frozen=True)
class MemberRange:
    """One seed's curve and what it says. `smoothed` runs to the stop (the blow-up step
    included when finite); `stop` is the step that broke the rule, None if none did."""

    seed: int
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    stop: int | None
    suggestion: float | None
    usable: tuple[float, float] | None


@dataclass(frozen=True)
class RunRange:
    """One run over its seeds: the verdict and the curves it came from."""

    name: str
    members: tuple[MemberRange, ...]
    median: tuple[float, ...]  # the seeds' median smoothed loss per step (NaN: under half left)
    suggestion: float | None  # None: no suggestion, `why` says why
    seeds_low: float | None  # the lowest and highest of the seeds' suggestions
    seeds_high: float | None
    spread_decades: float | None
    usable: tuple[float, float] | None  # the rates every seed could use
    why: str | None = None
    last_rate: float = math.nan  # the schedule's top: a range reaching it is cut by the test

    @property
    def blew_up(self) -> int:
        """How many seeds blew up before the last rate."""
        return sum(m.stop is not None for m in self.members)

    @property
    def usable_decades(self) -> float | None:
        return None if self.usable is None else decades(*self.usable)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["usable_decades"] = self.usable_decades
        out["blew_up"] = self.blew_up
        return out


def decades(low: float, high: float) -> float:
    return math.log10(high / low)


def analyse_member(
    seed: int, rates: np.ndarray, losses: Sequence[float], beta: float
) -> MemberRange:
    """One seed's recorded losses (one per rate; it may end early, at its stop) analysed."""
    smoother = LossSmoother(beta)
    smoothed: list[float] = []
    stop: int | None = None
    for i, loss in enumerate(losses):
        value = smoother.add(float(loss))
        if math.isfinite(value):
            smoothed.append(value)
        if smoother.stopped:
            stop = i
            break
    end = len(smoothed) if stop is None else stop  # steps before the blow-up
    curve = np.asarray(smoothed[:end])
    usable = usable_range(rates[:end], curve)
    return MemberRange(
        seed=seed,
        losses=tuple(float(x) for x in losses[: len(smoothed) if stop is None else stop + 1]),
        smoothed=tuple(smoothed),
        stop=stop,
        # a loss that never clearly fell has no steepest descent, only rounding
        suggestion=steepest_rate(rates[:end], curve) if usable else None,
        usable=usable,
    )


def steepest_rate(rates: np.ndarray, smoothed: np.ndarray) -> float | None:
    """The rate where the smoothed loss falls fastest per decade; None if it never falls."""
    if len(smoothed) < 3:
        return None
    slope = np.gradient(smoothed, np.log10(rates[: len(smoothed)]))
    best = int(np.argmin(slope))
    return float(rates[best]) if slope[best] < 0 else None


def usable_range(rates: np.ndarray, smoothed: np.ndarray) -> tuple[float, float] | None:
    """The lowest and highest rate (before the blow-up) whose smoothed loss is USABLE_DROP
    below the start; None if none is."""
    if len(smoothed) < 2:
        return None
    below = np.flatnonzero(smoothed <= (1.0 - USABLE_DROP) * smoothed[0])
    if len(below) == 0:
        return None
    return float(rates[below[0]]), float(rates[below[-1]])


def median_curve(members: Sequence[MemberRange], steps: int) -> tuple[float, ...]:
    """The seeds' median smoothed loss per step, while at least half of them are still going."""
    table = np.full((len(members), steps), np.nan)
    for k, member in enumerate(members):
        table[k, : len(member.smoothed)] = member.smoothed
    enough = np.sum(np.isfinite(table), axis=0) * 2 >= len(members)
    out = np.full(steps, np.nan)
    if enough.any():
        out[enough] = np.nanmedian(table[:, enough], axis=0)
    return tuple(float(x) for x in out)


def summarise_run(name: str, members: Sequence[MemberRange], rates: np.ndarray) -> RunRange:
    """A run's suggestion (median over seeds), its spread, and the range every seed can use."""
    suggestions = [m.suggestion for m in members]
    found = [s for s in suggestions if s is not None]
    usable: tuple[float, float] | None = None
    ranges = [m.usable for m in members]
    if ranges and all(r is not None for r in ranges):
        low = max(r[0] for r in ranges if r is not None)
        high = min(r[1] for r in ranges if r is not None)
        usable = (low, high) if low <= high else None
    low_s = min(found) if found else None
    high_s = max(found) if found else None
    spread = decades(low_s, high_s) if low_s is not None and high_s is not None else None
    suggestion: float | None = None
    why: str | None = None
    if len(found) < len(members):
        missing = len(members) - len(found)
        why = f"{missing} of {len(members)} seeds' loss never fell: no suggestion"
    elif spread is not None and spread > DISAGREE_DECADES:
        why = (
            f"seeds disagree (suggestions span {spread:.1f} decades > {DISAGREE_DECADES:g}):"
            " no suggestion"
        )
    else:
        median = float(10 ** np.median(np.log10(found)))
        if usable is not None and usable[0] <= median <= usable[1]:
            suggestion = median
        else:  # some seed's loss had not yet fallen there, or was already climbing
            why = (
                f"the seeds' median steepest rate {rate(median)} is outside the rates every"
                " seed can use: no suggestion"
            )
    return RunRange(
        name=name,
        members=tuple(members),
        median=median_curve(members, len(rates)),
        suggestion=suggestion,
        seeds_low=low_s,
        seeds_high=high_s,
        spread_decades=spread,
        usable=usable,
        why=why,
        last_rate=float(rates[-1]),
    )


def rate(value: float) -> str:
    """A rate in two significant digits, as the summary prints it (3.2e-3)."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def summary_line(run: RunRange) -> str:
    """`raw: suggests 3.2e-3 (seeds 1.1e-3–6.0e-3, 0.7 decades), usable 1e-4–2e-2 (2.3
    decades)`, or why there is no suggestion."""
    if run.suggestion is None:
        head = run.why or "no suggestion"
    else:
        seeds = len(run.members)
        if seeds > 1 and run.seeds_low is not None and run.seeds_high is not None:
            spread = (
                f" (seeds {rate(run.seeds_low)}–{rate(run.seeds_high)},"
                f" {run.spread_decades:.1f} decades)"
            )
        else:
            spread = " (1 seed: no spread)"
        head = f"suggests {rate(run.suggestion)}{spread}"
    if run.usable is None:
        tail = "no rate usable for every seed" if len(run.members) > 1 else "no usable rate"
    else:
        low, high = run.usable
        tail = f"usable {rate(low)}–{rate(high)} ({decades(low, high):.1f} decades)"
        if run.blew_up == 0 and high >= run.last_rate:  # the schedule ended it, not the run
            tail += f", no blow-up by {rate(run.last_rate)}"
    return f"{run.name}: {head}, {tail}"
