"""The comparison strip's numbers: the paired per-seed verdicts of engine/statistics.py.

No rule of its own: which run is ahead, and whether the seeds can tell at all, is
`statistics.compare_metrics` (member k of raw vs member k of normalized, with the metrics,
directions, δ, divergences and censoring `train`'s table, `--json` and the sweep use). This
module only picks each metric's per-member values from the screen's fold.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from normtui.engine.statistics import Comparison, compare_metrics
from normtui.tui.viewstate.members import MemberTrack


@dataclass(frozen=True)
class GoalEpochs:
    """When one run's live members reached the goal."""

    reached: tuple[int, ...]  # epochs of the members that reached it (sorted)
    live: int  # members that have not diverged

    @property
    def median(self) -> float | None:
        return statistics.median(self.reached) if self.reached else None


@dataclass(frozen=True)
class Verdicts:
    """Val score, val loss and epochs to the goal, each compared over the paired seeds."""

    seeds: int
    score: Comparison
    loss: Comparison
    goal: Comparison
    goals: tuple[GoalEpochs, GoalEpochs]  # raw, normalized


def goal_epochs(track: MemberTrack) -> GoalEpochs:
    reached = sorted(int(epoch) for epoch in track.goal() if epoch is not None)
    return GoalEpochs(tuple(reached), track.count - track.diverged)


def diverged_flags(track: MemberTrack) -> list[bool]:
    """Per member: whether it diverged (its pair is then decided by the divergence)."""
    return [member.diverged for member in track.members]


def compare_runs(
    raw: MemberTrack,
    normalized: MemberTrack,
    *,
    regression: bool,
    n_val: int,
    n_train: int = 0,
    budget: float | None = None,
    goal: float | None = None,
) -> Verdicts | None:
    """The three paired comparisons (statistics.compare_metrics: the rules `train` uses too);
    None until both runs have the same members. `budget`: the epochs trained so far (when a
    member that has not reached the goal is censored)."""
    if raw.latest is None or normalized.latest is None or raw.count != normalized.count:
        return None
    score, loss, goal_comparison = compare_metrics(
        (raw.final(raw.latest.val_score), normalized.final(normalized.latest.val_score)),
        (raw.final(raw.latest.val_loss), normalized.final(normalized.latest.val_loss)),
        (raw.goal(), normalized.goal()),
        regression=regression,
        n_val=n_val,
        n_train=n_train,
        diverged=(diverged_flags(raw), diverged_flags(normalized)),
        budget=budget,
        goal=goal,
    )
    goals = (goal_epochs(raw), goal_epochs(normalized))
    return Verdicts(raw.count, score, loss, goal_comparison, goals)
