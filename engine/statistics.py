"""The paired comparison of raw vs normalized over seeds: one rule for every verdict normtui shows.

Member k of the raw run and member k of the normalized run share weights, split and batch order,
so the evidence is the per-seed difference (normalized − raw), on a scale where it is bounded
enough to average: accuracy in points, R² clipped at 0, the log ratio of the validation losses,
and epochs to the goal restricted to the epochs trained (a member that never got there counts
the whole budget: right-censored, so the sign of a pair is known whenever one run got there).

Three answers, never two (`answer`):
- ahead: the 95% interval of the mean difference lies wholly beyond ±δ, the smallest difference
  that means anything (`delta`: one validation row and at least 1 point for accuracy);
- equivalent: the 90% interval lies inside ±δ (two one-sided tests at 5%, TOST);
- inconclusive: neither.

The interval is the corrected resampled t of Nadeau & Bengio (2003, "Inference for the
generalization error"; Bouckaert & Frank 2004): the seeds' training rows overlap, so the plain
paired variance σ²/J is too small and is taken as σ²·(1/J + n_val/n_train). Beside it, the exact
two-sided sign test on the seeds' signs (`sign_p`).

A diverged member is its own paired binary outcome, tested exactly: in a pair where one run
diverged and the other did not, the other is better (a known sign, whatever the numbers); both
diverged is a tie. When any pair is decided by a divergence the metric's verdict is the exact
sign test over every pair with a known sign, so at least 6 seeds are needed to name a winner
(5/5 gives p = 0.0625). No member is ever dropped silently: `both_diverged` and `excluded` say
who was left out and why.

Where several verdicts are shown together (the sweep's matrix) `control` re-decides them with
the Benjamini–Hochberg procedure at 5% (false discovery rate; under the complete null it is the
family-wise rate too). Pure stdlib, so `replay` and `watch` import nothing heavy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

from normtui.engine.events import RUN_NAMES
from normtui.engine.inference import (
    ALPHA,
    benjamini_hochberg,
    margin_tests,
    sign_test,
    t_interval,
)
from normtui.engine.numbers import difference as _signed
from normtui.engine.numbers import ratio_text, step_of

RAW, NORMALIZED = RUN_NAMES
AHEAD, EQUIVALENT, INCONCLUSIVE = "ahead", "equivalent", "inconclusive"
INTERVAL_METHOD = (
    "corrected resampled t (Nadeau & Bengio 2003): per-seed paired differences, variance"
    " × (1/J + n_val/n_train) for the seeds' overlapping splits; exact sign test beside it"
)
CONTROL_METHOD = "Benjamini–Hochberg"
SIGN_TEST_MIN_SEEDS = 6  # the fewest pairs whose exact two-sided sign test can reach p < 0.05
LOSS_DELTA = math.log(1.1)  # val loss: within ×1.1 either way is equivalent
R2_DELTA = 0.01  # val R² (clipped at 0): one point
GOAL_DELTA_SHARE = 0.05  # epochs to goal: 5% of the epochs trained, at least one epoch


@dataclass(frozen=True)
class Comparison:
    """What the seeds say about one metric; `to_dict` is the `--json` form."""

    metric: str
    seeds: int  # pairs the test used
    wins: int  # pairs where normalized is better (a divergence of raw counts)
    losses: int  # pairs where raw is better (the rest are ties)
    mean_difference: float | None  # normalized − raw on the compared scale (see module doc)
    ci95: tuple[float, float] | None = None  # corrected t interval; None below 2 pairs or by sign
    winner: str | None = None  # "normalized", "raw", or None unless `answer` is ahead
    verdict: str = ""  # render(comparison), once decided
    excluded: int = 0  # pairs with no value on one side (and no divergence to decide them)
    answer: str = INCONCLUSIVE
    delta: float = 0.0  # ±δ on the compared scale
    p_ahead: float | None = None  # p of "the difference is beyond ±δ" (sign test p by failures)
    p_equivalent: float | None = None  # TOST p of "inside ±δ"
    sign_p: float | None = None  # exact two-sided sign test over the pairs with a known sign
    test: str = "t"  # "t": corrected t on the differences; "sign": decided by divergences
    diverged: tuple[int, int] = (0, 0)  # members that diverged, raw and normalized
    both_diverged: int = 0  # pairs left out as ties: both runs diverged
    members: int = 0  # members per run
    ci90: tuple[float, float] | None = None  # the TOST interval
    label: str = ""  # the metric in words ("val accuracy", "epochs to 95%")
    reached: tuple[int, int] | None = None  # epochs to goal: members that got there
    budget: float | None = None  # epochs to goal: the epochs trained (the censoring time)
    controlled: str | None = None  # the many-comparisons rule that changed the answer, if any
    higher_is_better: bool = True

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
            "answer": self.answer,
            "delta": self.delta,
            "p_ahead": self.p_ahead,
            "p_equivalent": self.p_equivalent,
            "sign_p": self.sign_p,
            "test": self.test,
            "diverged": list(self.diverged),
            "both_diverged": self.both_diverged,
            "members": self.members,
            "ci90": list(self.ci90) if self.ci90 is not None else None,
            "label": self.label,
            "reached": list(self.reached) if self.reached is not None else None,
            "budget": self.budget,
            "controlled": self.controlled,
            "higher_is_better": self.higher_is_better,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Comparison:
        """The `--json` / results-file form back (older files lack the newer fields)."""
        known = {f for f in cls.__dataclass_fields__}
        kept = {key: value for key, value in values.items() if key in known}
        for key in ("ci95", "ci90", "diverged", "reached"):
            if kept.get(key) is not None:
                kept[key] = tuple(kept[key])
        kept.setdefault("diverged", (0, 0))
        return cls(**kept)


# -- the verdict -------------------------------------------------------------------------------

# How each known metric reads: label, unit, scale applied to differences for text.
_METRIC_TEXT: dict[str, tuple[str, str, float]] = {
    "val_accuracy": ("val accuracy", " pts", 100.0),
    "val_r2": ("val R² (clipped at 0)", "", 1.0),
    "test_accuracy": ("test accuracy", " pts", 100.0),
    "test_r2": ("test R² (clipped at 0)", "", 1.0),
    "test_loss": ("test loss", "", 1.0),
    "train_accuracy": ("train accuracy", " pts", 100.0),
    "val_loss": ("val loss", "", 1.0),
    "train_loss": ("train loss", "", 1.0),
    "epochs_to_goal": ("epochs to goal", " ep", 1.0),
}
RATIO_METRICS = frozenset(
    {"val_loss", "train_loss", "test_loss"}
)  # compared as ln(normalized / raw)


def _usable(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _amount(c: Comparison, value: float) -> str:
    """A difference as the verdict prints it, with its unit."""
    if c.metric in RATIO_METRICS:
        return ratio_text(value)
    _, unit, scale = _METRIC_TEXT.get(c.metric, ("", "", 1.0))
    return f"{_signed(value, scale)}{unit}"


def short(c: Comparison) -> str:
    """The verdict in a table cell: `normalized +21 pts`, `equivalent`, `inconclusive`."""
    if c.answer != AHEAD or c.winner is None:
        return c.answer
    if c.mean_difference is None:
        return f"{c.winner} (sign test)"
    return f"{c.winner} {_amount(c, c.mean_difference)}"


def _span(c: Comparison, interval: tuple[float, float]) -> str:
    low, high = interval
    if c.metric in RATIO_METRICS:
        return f"{ratio_text(low)} to {ratio_text(high)}"
    _, unit, scale = _METRIC_TEXT.get(c.metric, ("", "", 1.0))
    step = step_of((high - low) * scale)  # both ends to one decimal place, by the width
    return f"{_signed(low, scale, step)} to {_signed(high, scale, step)}{unit}"


def _delta_text(c: Comparison) -> str:
    if c.metric in RATIO_METRICS:
        return f"×{math.exp(c.delta):.2g}"
    _, unit, scale = _METRIC_TEXT.get(c.metric, ("", "", 1.0))
    return f"±{_signed(c.delta, scale).lstrip('+')}{unit}"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2g}" if value >= 0.001 else "<0.001"


def _scaled(metric: str, value: float | None) -> float | None:
    """A member's value on the compared scale: R² clipped at 0, a loss as its logarithm."""
    if not _usable(value):
        return None
    assert value is not None
    if metric in ("val_r2", "test_r2"):
        return max(value, 0.0)
    if metric in RATIO_METRICS:
        return math.log(max(value, 1e-12))
    return value


def _flags(diverged: tuple[Sequence[bool], Sequence[bool]] | None, n: int) -> tuple[list, list]:
    if diverged is None:
        return [False] * n, [False] * n
    raw, norm = (list(flags) if len(flags) == n else [False] * n for flags in diverged)
    return raw, norm


def _decide(c: Comparison, differences: Sequence[float], overlap: float) -> Comparison:
    """The answer from the differences (corrected t) or, with divergences, the sign test."""
    direction = 1.0 if c.higher_is_better else -1.0
    if c.test == "sign":
        p = sign_test(c.wins, c.losses)
        answer = AHEAD if p is not None and p < ALPHA else INCONCLUSIVE
        winner = (NORMALIZED if c.wins > c.losses else RAW) if answer == AHEAD else None
        return replace(c, p_ahead=p, answer=answer, winner=winner)
    if len(differences) < 2:
        return c
    ci95 = t_interval(differences, overlap)
    ci90 = t_interval(differences, overlap, confidence=1 - 2 * ALPHA)
    p_ahead, p_equivalent = margin_tests(differences, overlap, c.delta)
    answer = AHEAD if p_ahead < ALPHA else EQUIVALENT if p_equivalent < ALPHA else INCONCLUSIVE
    winner = None
    if answer == AHEAD:
        winner = NORMALIZED if (c.mean_difference or 0.0) * direction > 0 else RAW
    return replace(
        c,
        ci95=ci95,
        ci90=ci90,
        p_ahead=p_ahead,
        p_equivalent=p_equivalent,
        answer=answer,
        winner=winner,
    )


def compare_paired(
    raw: Sequence[float | None],
    normalized: Sequence[float | None],
    *,
    metric: str,
    higher_is_better: bool,
    delta: float = 0.0,
    overlap: float = 0.0,
    diverged: tuple[Sequence[bool], Sequence[bool]] | None = None,
    label: str = "",
) -> Comparison:
    """Compare member k of `raw` with member k of `normalized`, for every k.

    `diverged` flags the members that diverged (each run's): such a pair is decided by the
    divergence (module doc). A pair with no usable value and no divergence is left out and
    counted in `excluded`. `delta` is ±δ on the compared scale, `overlap` n_val/n_train.
    """
    if len(raw) != len(normalized):
        raise ValueError(f"paired comparison needs equal lengths: {len(raw)}, {len(normalized)}")
    flags_raw, flags_norm = _flags(diverged, len(raw))
    direction = 1.0 if higher_is_better else -1.0
    differences: list[float] = []
    wins = losses = both = missing = by_divergence = 0
    for r, n, r_gone, n_gone in zip(raw, normalized, flags_raw, flags_norm, strict=True):
        if r_gone and n_gone:
            both += 1
            continue
        if r_gone or n_gone:
            by_divergence += 1
            wins, losses = (wins + 1, losses) if r_gone else (wins, losses + 1)
            continue
        r_value, n_value = _scaled(metric, r), _scaled(metric, n)
        if r_value is None or n_value is None:
            missing += 1
            continue
        difference = n_value - r_value
        differences.append(difference)
        wins += difference * direction > 0
        losses += difference * direction < 0
    comparison = Comparison(
        metric=metric,
        seeds=len(differences) + by_divergence,
        wins=wins,
        losses=losses,
        mean_difference=math.fsum(differences) / len(differences) if differences else None,
        excluded=missing,
        delta=delta,
        sign_p=sign_test(wins, losses),
        test="sign" if by_divergence else "t",
        diverged=(sum(flags_raw), sum(flags_norm)),
        both_diverged=both,
        members=len(raw),
        label=label or _METRIC_TEXT.get(metric, (metric.replace("_", " "), "", 1.0))[0],
        higher_is_better=higher_is_better,
    )
    comparison = _decide(comparison, differences, overlap)
    return replace(comparison, verdict=render(comparison))


def compare_goal(
    raw: Sequence[float | None],
    normalized: Sequence[float | None],
    *,
    budget: float | None,
    overlap: float = 0.0,
    diverged: tuple[Sequence[bool], Sequence[bool]] | None = None,
    goal: str = "the goal",
) -> Comparison:
    """Epochs to the goal, member k against member k, right-censored at `budget` (the epochs
    trained): a member that never got there (diverged, or too slow) counts the whole budget.

    When every member got there, the differences are compared with the corrected t. When any
    did not, a pair's order is still known whenever one of the two got there, and the verdict is
    the exact sign test on those known orders (censored differences are far from normal: a
    pile at 0 and a pile near the budget); the restricted mean difference and its corrected
    interval are still reported."""
    if len(raw) != len(normalized):
        raise ValueError(f"paired comparison needs equal lengths: {len(raw)}, {len(normalized)}")
    reached_at = [e for e in (*raw, *normalized) if _usable(e)]
    horizon = float(budget) if budget else max(reached_at, default=1.0)  # type: ignore[type-var]

    def time(epoch: float | None) -> float:
        return min(float(epoch), horizon) if _usable(epoch) else horizon  # type: ignore[arg-type]

    differences = [time(n) - time(r) for r, n in zip(raw, normalized, strict=True)]
    wins = losses = 0
    for r, n in zip(raw, normalized, strict=True):
        if _usable(r) and _usable(n):
            wins += time(n) < time(r)
            losses += time(r) < time(n)
        elif _usable(n) or _usable(r):
            wins, losses = (wins + 1, losses) if _usable(n) else (wins, losses + 1)
    flags_raw, flags_norm = _flags(diverged, len(raw))
    reached = (sum(_usable(e) for e in raw), sum(_usable(e) for e in normalized))
    comparison = Comparison(
        metric="epochs_to_goal",
        seeds=len(differences),
        wins=wins,
        losses=losses,
        mean_difference=math.fsum(differences) / len(differences) if differences else None,
        delta=max(1.0, GOAL_DELTA_SHARE * horizon),
        sign_p=sign_test(wins, losses),
        diverged=(sum(flags_raw), sum(flags_norm)),
        members=len(raw),
        label=f"epochs to {goal}",
        reached=reached,
        budget=horizon,
        higher_is_better=False,
    )
    if reached != (0, 0):  # nobody got there: the censored times say nothing
        comparison = _decide(comparison, differences, overlap)  # the interval (and t's answer)
        if reached != (len(raw), len(normalized)):  # censored: the known orders decide
            comparison = _decide(replace(comparison, test="sign"), differences, overlap)
    return replace(comparison, verdict=render(comparison))


# -- the words ---------------------------------------------------------------------------------


def _left_out(c: Comparison) -> str:
    reasons = []
    if c.both_diverged:
        reasons.append(f"both runs diverged in {c.both_diverged}")
    if c.excluded:
        reasons.append(f"no value in {c.excluded}")
    if not reasons:
        return ""
    return f"{c.both_diverged + c.excluded} seed(s) left out: {', '.join(reasons)}"


def _goal_lead(c: Comparison) -> str:
    """'normalized reached 35/36 = 97.2% in 4/5 seeds, raw in 0/5 by e100'."""
    raw, norm = c.reached or (0, 0)
    goal = c.label.removeprefix("epochs to ")
    budget = f"{c.budget:g}" if c.budget is not None else "?"
    return (
        f"{NORMALIZED} reached {goal} in {norm}/{c.members} seeds, {RAW} in {raw}/{c.members}"
        f" by e{budget}"
    )


def _censored_goal(c: Comparison, tail: str) -> str:
    """Epochs to goal where some member never got there: the known orders, tested exactly."""
    lead, p = _goal_lead(c), f"exact sign test p {_p(c.p_ahead)}"
    known = c.wins + c.losses
    mean = "" if c.mean_difference is None else f"; restricted mean {_amount(c, c.mean_difference)}"
    if c.answer == AHEAD and c.winner is not None:
        ahead = c.wins if c.winner == NORMALIZED else c.losses
        return (
            f"{lead}: {c.winner} sooner in {ahead}/{known} seeds with a known order"
            f" ({p}{mean}){tail}"
        )
    few = f"; {SIGN_TEST_MIN_SEEDS}+ seeds can reach p < 0.05" if known < 6 else ""
    return (
        f"{lead}: inconclusive ({NORMALIZED} sooner in {c.wins}, {RAW} in {c.losses} of {known}"
        f" seeds with a known order; {p}{few}){tail}"
    )


def _winner_side(c: Comparison, value: float) -> float:
    """A difference (normalized − raw) read from the winner's side, so it reads as a gain."""
    sign = 1.0 if c.higher_is_better else -1.0
    return value * (sign if c.winner == NORMALIZED else -sign)


def render(c: Comparison) -> str:
    """The verdict in one line: the same words in `train`, the strip, `--json` and the sweep."""
    label, left = c.label, _left_out(c)
    goal = c.metric == "epochs_to_goal"
    tail = f"; {c.controlled}" if c.controlled else ""
    if goal and c.reached == (0, 0):
        return f"{label}: neither run got there in {c.members} seed(s) by e{c.budget:g}"
    if c.seeds == 0:
        return f"{label}: no seed to compare ({left})" if left else f"{label}: no seed to compare"
    if goal and c.test == "sign":
        return _censored_goal(c, tail)
    if c.test == "sign":
        p = f"exact sign test p {_p(c.p_ahead)}"
        if c.answer == AHEAD and c.winner is not None:
            loser = RAW if c.winner == NORMALIZED else NORMALIZED
            ahead = c.wins if c.winner == NORMALIZED else c.losses
            gone = c.diverged[0] if loser == RAW else c.diverged[1]
            return (
                f"{c.winner} ahead in {ahead}/{c.seeds} seeds on {label}: {loser} diverged in"
                f" {gone}/{c.members} ({p}){tail}"
            )
        few = f"; {SIGN_TEST_MIN_SEEDS}+ seeds can reach p < 0.05" if c.seeds < 6 else ""
        gone = ", ".join(
            f"{name} diverged in {count}/{c.members}"
            for name, count in zip(RUN_NAMES, c.diverged, strict=True)
            if count
        )
        both = f", both in {c.both_diverged} (left out)" if c.both_diverged else ""
        return (
            f"inconclusive on {label}: {gone}{both}; {NORMALIZED} better in {c.wins}, {RAW} in"
            f" {c.losses} of {c.seeds} seeds ({p}{few}){tail}"
        )
    lead = f"{_goal_lead(c)}: " if goal else ""
    mean = c.mean_difference
    assert mean is not None
    if c.ci95 is None:  # one pair
        what = f"normalized {_amount(c, mean)}" + ("" if goal else f" {label}")
        if c.members <= 1:
            return f"{lead}one seed: cannot tell an effect from noise ({what})"
        why = f" ({left})" if left else ""
        compared = f"1 of {c.members} seeds compared{why}"
        return f"{lead}{compared}: cannot tell an effect from noise ({what})"
    suffix = f"; {left}" if left else ""
    if c.answer == AHEAD and c.winner is not None:
        low, high = sorted(_winner_side(c, bound) for bound in c.ci95)
        gain = _winner_side(c, mean)
        if goal:
            return (
                f"{lead}: {c.winner} sooner by {_amount(c, gain).lstrip('+')} (restricted mean,"
                f" 95% CI {_span(c, (low, high)).replace('+', '')}){suffix}{tail}"
            ).replace(": : ", ": ")
        ahead = c.wins if c.winner == NORMALIZED else c.losses
        what = f"{_amount(c, gain)} {label}"
        if c.metric in RATIO_METRICS:  # the winner's loss as a share of the other's
            loser = RAW if c.winner == NORMALIZED else NORMALIZED
            gain, low, high = -gain, -high, -low
            what = f"{label} {_amount(c, gain)} {loser}'s"
        return (
            f"{c.winner} ahead in {ahead}/{c.seeds} seeds: {what} (95% CI"
            f" {_span(c, (low, high))}; sign test p {_p(c.sign_p)}){suffix}{tail}"
        )
    if c.answer == EQUIVALENT and c.ci90 is not None:
        what = "equivalent" if goal else f"equivalent on {label}"
        return (
            f"{lead}{what} within {_delta_text(c)} over {c.seeds} seeds (90% CI"
            f" {_span(c, c.ci90)}){suffix}{tail}"
        )
    what = "inconclusive" if goal else f"inconclusive on {label}"
    versus = "normalized ÷ raw" if c.metric in RATIO_METRICS else "normalized − raw"
    return (
        f"{lead}{what} over {c.seeds} seeds ({versus} {_span(c, c.ci95)}, δ {_delta_text(c)})"
        f"{suffix}{tail}"
    )


# -- several verdicts shown together -------------------------------------------------------------


def control(comparisons: Sequence[Comparison], alpha: float = ALPHA) -> list[Comparison]:
    """Re-decide a family of verdicts shown together (the sweep's matrix of one metric) with
    Benjamini–Hochberg at `alpha`: "ahead" over the family's p_ahead, "equivalent" over its
    p_equivalent. A verdict whose answer changes says so."""
    ahead = benjamini_hochberg([c.p_ahead for c in comparisons], alpha)
    equivalent = benjamini_hochberg([c.p_equivalent for c in comparisons], alpha)
    family = sum(c.p_ahead is not None for c in comparisons)
    out = []
    for c, is_ahead, is_equivalent in zip(comparisons, ahead, equivalent, strict=True):
        answer = AHEAD if is_ahead else EQUIVALENT if is_equivalent else INCONCLUSIVE
        if answer == c.answer:
            out.append(c)
            continue
        note = f"{c.answer} before {CONTROL_METHOD} over {family} comparisons"
        changed = replace(c, answer=answer, winner=c.winner if is_ahead else None, controlled=note)
        out.append(replace(changed, verdict=render(changed)))
    return out


# -- the three comparisons every view shows ------------------------------------------------------


def score_delta(regression: bool, n_val: int) -> float:
    """±δ of the score: one validation row, and at least 1 point (accuracy); 0.01 of R²."""
    if regression:
        return R2_DELTA
    return max(1.0 / n_val, 0.01) if n_val > 0 else 0.01


def goal_text(goal: float, regression: bool, n_val: int) -> str:
    """The goal as this split can reach it: 95% of 36 rows needs 35/36 = 97.2%."""
    if regression:
        return f"R² {goal:g}"
    if n_val <= 0:
        return f"{goal * 100:g}%"
    need = min(n_val, math.ceil(goal * n_val - 1e-9))
    return f"{need}/{n_val} = {need / n_val:.1%}"


def compare_metrics(
    scores: tuple[Sequence[float | None], Sequence[float | None]],
    losses: tuple[Sequence[float | None], Sequence[float | None]],
    goals: tuple[Sequence[float | None], Sequence[float | None]],
    *,
    regression: bool,
    n_val: int,
    n_train: int = 0,
    diverged: tuple[Sequence[bool], Sequence[bool]] | None = None,
    budget: float | None = None,
    goal: float | None = None,
    rows: str = "val",
) -> tuple[Comparison, Comparison, Comparison]:
    """Val score, val loss and epochs to the goal, each as (raw, normalized) per-member values,
    compared seed by seed; `diverged` flags each run's diverged members, `budget` is the epochs
    trained (the goal's censoring time), `goal` the goal (0.95 accuracy, 0.9 R²). `rows` "test":
    the values are the held-out test rows' (a grid's tuned verdict), `n_val` their count.

    The one set of rules (metrics, directions, δ, the overlap correction) behind `train`'s
    table, `--json`, the dashboard's strip and the sweep.
    """
    overlap = n_val / n_train if n_train > 0 else 0.0
    score = compare_paired(
        *scores,
        metric=f"{rows}_r2" if regression else f"{rows}_accuracy",
        higher_is_better=True,
        delta=score_delta(regression, n_val),
        overlap=overlap,
        diverged=diverged,
    )
    loss = compare_paired(
        *losses,
        metric=f"{rows}_loss",
        higher_is_better=False,
        delta=LOSS_DELTA,
        overlap=overlap,
        diverged=diverged,
    )
    default_goal = 0.9 if regression else 0.95
    target = goal_text(default_goal if goal is None else goal, regression, n_val)
    if rows != "val":
        target += f" on {rows} rows"
    epochs = compare_goal(*goals, budget=budget, overlap=overlap, diverged=diverged, goal=target)
    return score, loss, epochs
