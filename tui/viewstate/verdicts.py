"""The comparison strip's numbers: the paired per-seed verdicts of engine/statistics.py.

No rule of its own: which run is ahead, and whether the seeds can tell at all, is
`statistics.compare_paired` on member k of raw vs member k of normalized — the rule `train`'s
table and `--json` use too. This module only picks each metric's per-member values.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from normtui.engine.statistics import Comparison, compare_paired
from normtui.tui.viewstate.members import MemberTrack

GOAL_RESOLUTION = 1.0  # epochs: a mean difference under one epoch names no winner


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


def compare_runs(
    raw: MemberTrack, normalized: MemberTrack, *, regression: bool, n_val: int
) -> Verdicts | None:
    """The three paired comparisons; None until both runs have the same members."""
    if raw.latest is None or normalized.latest is None or raw.count != normalized.count:
        return None
    score_metric = "val_r2" if regression else "val_accuracy"
    # one validation row is the smallest step accuracy can take; R² and loss have no such step
    resolution = 0.0 if regression or n_val <= 0 else 1.0 / n_val
    score = compare_paired(
        raw.final(raw.latest.val_score),
        normalized.final(normalized.latest.val_score),
        metric=score_metric,
        higher_is_better=True,
        resolution=resolution,
    )
    loss = compare_paired(
        raw.final(raw.latest.val_loss),
        normalized.final(normalized.latest.val_loss),
        metric="val_loss",
        higher_is_better=False,
    )
    goal = compare_paired(
        raw.goal(),
        normalized.goal(),
        metric="epochs_to_goal",
        higher_is_better=False,
        resolution=GOAL_RESOLUTION,
    )
    return Verdicts(raw.count, score, loss, goal, (goal_epochs(raw), goal_epochs(normalized)))
