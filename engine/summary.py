"""Fold the event stream into per-run summaries: the numbers `normtui train` prints.

A sink like any other; the headless table and `--json` read it. With several seeds each run's
fields are the member mean (`epochs_to_goal`: the median over the members that reached it),
`members` holds each member's own, and `comparisons` judges raw vs normalized seed by seed with
engine/statistics.py, the rule the dashboard's strip uses too.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from normtui.engine.divergence import describe
from normtui.engine.events import (
    RUN_NAMES,
    EpochEnd,
    Event,
    Members,
    Restarted,
    RunDiverged,
    RunFailed,
    SessionEnded,
    SessionStarted,
    finite_or_none,
)
from normtui.engine.statistics import Comparison, compare_metrics


@dataclass
class MemberSummary:
    """What one member (seed) of a run achieved since the last restart."""

    seed: int
    val_score: float | None = None  # accuracy, or R² for regression
    val_loss: float | None = None
    train_loss: float | None = None
    train_score: float | None = None
    best_val_score: float | None = None
    best_epoch: int | None = None
    epochs_to_goal: int | None = None
    diverged: bool = False
    diverged_epoch: int | None = None

    def to_dict(self, regression: bool) -> dict[str, Any]:
        score = "r2" if regression else "accuracy"
        return {
            "seed": self.seed,
            f"val_{score}": self.val_score,
            "val_loss": self.val_loss,
            "train_loss": self.train_loss,
            f"train_{score}": self.train_score,
            f"best_val_{score}": self.best_val_score,
            "best_epoch": self.best_epoch,
            "epochs_to_goal": self.epochs_to_goal,
            "diverged": self.diverged,
            "diverged_epoch": self.diverged_epoch,
        }


@dataclass
class RunSummary:
    """What one run achieved since the last restart: its members' mean (or its one seed)."""

    val_accuracy: float | None = None
    val_loss: float | None = None
    train_loss: float | None = None
    train_accuracy: float | None = None
    epochs: int = 0
    best_epoch: float | None = None  # the median of the members' best epochs
    best_val_accuracy: float | None = None
    epochs_to_goal: float | None = None  # the median over the members that reached it
    diverged: bool = False  # every member diverged
    diverged_epoch: int | None = None
    diverged_loss: float | None = None  # the loss that broke the rule (NaN, inf, or a runaway)
    diverged_reason: str | None = None  # the rule in words: "loss 7.41e5 > 10,000 × epoch 1's …"
    error: str | None = None
    seconds: float = 0.0
    activation: str | None = None
    dead_fraction: list[float | None] = field(default_factory=list)
    saturated_fraction: list[float | None] = field(default_factory=list)
    # regression (issue 14): R² and the best R²; the accuracies stay None
    val_r2: float | None = None
    train_r2: float | None = None
    best_val_r2: float | None = None
    members_reached_goal: int = 0  # how many members reached the goal (epochs_to_goal's count)
    members: list[MemberSummary] = field(default_factory=list)

    @property
    def regression(self) -> bool:
        return self.val_r2 is not None

    def to_dict(self) -> dict[str, Any]:
        values = {key: value for key, value in self.__dict__.items() if key != "members"}
        hidden = ("val_accuracy", "train_accuracy", "best_val_accuracy")
        if not self.regression:
            hidden = ("val_r2", "train_r2", "best_val_r2")
        result = {key: value for key, value in values.items() if key not in hidden}
        result["members"] = [member.to_dict(self.regression) for member in self.members]
        return result

    @property
    def score(self) -> float | None:
        """The headline metric: validation R² for regression, else validation accuracy."""
        return self.val_r2 if self.val_r2 is not None else self.val_accuracy

    def live(self) -> list[MemberSummary]:
        return [member for member in self.members if not member.diverged]


def _median(values: list[int]) -> float | None:
    """The median, an int when it is one (a one-seed run's epochs stay integers)."""
    if not values:
        return None
    middle = statistics.median(values)
    return int(middle) if float(middle).is_integer() else float(middle)


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


class Summarizer:
    """Keeps a RunSummary per run up to date from events."""

    def __init__(self, goal_accuracy: float = 0.95, goal_r2: float = 0.9) -> None:
        self.goal_accuracy = goal_accuracy
        self.goal_r2 = goal_r2
        self.runs: dict[str, RunSummary] = {name: RunSummary() for name in RUN_NAMES}
        self.started: SessionStarted | None = None
        self.ended: SessionEnded | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochEnd):
            self._epoch(event)
        elif isinstance(event, RunDiverged):
            self._diverged(event)
        elif isinstance(event, RunFailed):
            self.runs[event.run].error = event.error
        elif isinstance(event, Restarted):
            self.runs = {name: RunSummary() for name in RUN_NAMES}
        elif isinstance(event, SessionStarted):
            self.started = event
        elif isinstance(event, SessionEnded):
            self.ended = event

    @property
    def seed(self) -> int:
        config = self.started.config if self.started is not None else {}
        return int(config.get("seed", 0))

    def _diverged(self, event: RunDiverged) -> None:
        run = self.runs[event.run]
        if event.member is None:  # the whole run: its only member, or its last
            run.diverged, run.diverged_epoch = True, event.epoch
            run.diverged_loss = float(event.loss)
            run.diverged_reason = describe(run.diverged_loss, event.reference)
            targets = [m for m in run.members if not m.diverged] if run.members else []
            if not run.members:
                run.members = [MemberSummary(seed=self.seed)]
                targets = run.members
        else:
            while len(run.members) <= event.member:
                run.members.append(MemberSummary(seed=self.seed + len(run.members)))
            targets = [run.members[event.member]]
        for member in targets:
            if not member.diverged:
                member.diverged, member.diverged_epoch = True, event.epoch

    def _members(self, event: EpochEnd) -> Members:
        """The event's members, or its scalars as the one member of a one-seed run."""
        if event.members is not None:
            return event.members
        return Members(
            seeds=(self.seed,),
            train_loss=(event.train_loss,),
            val_loss=(event.val_loss,),
            train_score=(event.train_score,),
            val_score=(event.val_score,),
            diverged=(False,),
        )

    def _epoch(self, event: EpochEnd) -> None:
        run = self.runs[event.run]
        # the run's own fields: the event's scalars are the mean over the live members
        run.val_loss, run.train_loss = event.val_loss, event.train_loss
        run.epochs, run.seconds, run.activation = event.epoch, event.elapsed_s, event.activation
        regression = event.val_r2 is not None
        if regression:
            run.val_r2, run.train_r2 = event.val_r2, event.train_r2
            goal = self.goal_r2
        else:
            run.val_accuracy, run.train_accuracy = event.val_accuracy, event.train_accuracy
            goal = self.goal_accuracy
        members = self._members(event)
        while len(run.members) < len(members.seeds):
            run.members.append(MemberSummary(seed=members.seeds[len(run.members)]))
        for index, member in enumerate(run.members):
            if member.diverged or members.diverged[index]:
                if not member.diverged:
                    member.diverged, member.diverged_epoch = True, event.epoch
                continue
            member.val_score, member.val_loss = members.val_score[index], members.val_loss[index]
            member.train_score = members.train_score[index]
            member.train_loss = members.train_loss[index]
            score = member.val_score
            if member.best_val_score is None or score > member.best_val_score:
                member.best_val_score, member.best_epoch = score, event.epoch
            if member.epochs_to_goal is None and score >= goal:
                member.epochs_to_goal = event.epoch
        self._fold_members(run, regression)
        if event.layers:  # per-layer stats are sampled; keep the latest sample (member mean)
            run.dead_fraction = [layer.dead_fraction for layer in event.layers]
            run.saturated_fraction = [layer.saturated_fraction for layer in event.layers]

    def _fold_members(self, run: RunSummary, regression: bool) -> None:
        """The run's best and goal fields from its live members (one member: its own)."""
        live = run.live()
        best = _mean([m.best_val_score for m in live if m.best_val_score is not None])
        if len(run.members) == 1 and live:
            best = live[0].best_val_score  # exactly, not a mean of one
        if regression:
            run.best_val_r2 = best
        else:
            run.best_val_accuracy = best
        run.best_epoch = _median([m.best_epoch for m in live if m.best_epoch is not None])
        reached = [m.epochs_to_goal for m in live if m.epochs_to_goal is not None]
        run.epochs_to_goal = _median(reached)
        run.members_reached_goal = len(reached)

    @property
    def seeds(self) -> int:
        return max((len(run.members) for run in self.runs.values()), default=0)

    def comparisons(self) -> tuple[Comparison, Comparison, Comparison] | None:
        """Val score, val loss and epochs to the goal, raw vs normalized member by member
        (engine/statistics.py); None until both runs have reported the same members."""
        raw, norm = (self.runs[name] for name in RUN_NAMES)
        if not raw.members or len(raw.members) != len(norm.members):
            return None

        def values(run: RunSummary, name: str) -> list[float | None]:
            return [None if m.diverged else finite_or_none(getattr(m, name)) for m in run.members]

        def goals(run: RunSummary) -> list[float | None]:
            return [
                None if m.diverged or m.epochs_to_goal is None else float(m.epochs_to_goal)
                for m in run.members
            ]

        n_val = self.started.n_val if self.started is not None else 0
        regression = raw.regression or norm.regression
        return compare_metrics(
            (values(raw, "val_score"), values(norm, "val_score")),
            (values(raw, "val_loss"), values(norm, "val_loss")),
            (goals(raw), goals(norm)),
            regression=regression,
            n_val=n_val,
        )
