"""Each run is an ensemble of seeds: what the screen keeps of its members (no Textual).

A one-seed run (and every schema-1 log) has `EpochEnd.members` None: it is folded as a run of one
member, so the plots, gauges and the comparison strip take one path whatever the seed count.
A diverged member is left out of the median, the band and the statistics.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from normtui.engine.events import EpochEnd, Members

# What the loss plot's band spans, said in the legend and the help screen.
BAND = "min–max"
BAND_HELP = "the band spans the lowest to the highest member (min–max over seeds)"


def members_of(event: EpochEnd, seed: int) -> Members:
    """The event's members, or its scalar fields as the one member of a one-seed run."""
    if event.members is not None:
        return event.members
    return Members(
        seeds=(seed,),
        train_loss=(event.train_loss,),
        val_loss=(event.val_loss,),
        train_score=(event.train_score,),
        val_score=(event.val_score,),
        diverged=(not math.isfinite(event.val_loss),),
    )


def _finite(value: float) -> bool:
    return math.isfinite(value)


def live_values(members: Members, values: tuple[float, ...]) -> list[float]:
    """`values` of the members that have not diverged, finite ones only."""
    return [
        value
        for value, diverged in zip(values, members.diverged, strict=True)
        if not diverged and _finite(value)
    ]


def loss_row(epoch: int, members: Members) -> tuple[float, ...] | None:
    """(epoch, median train loss, median val loss, lowest val loss, highest val loss, then each
    member's val loss, NaN once diverged); None when no member has a finite loss left."""
    train = live_values(members, members.train_loss)
    val = live_values(members, members.val_loss)
    if not train or not val:
        return None
    each = tuple(
        math.nan if diverged else loss
        for loss, diverged in zip(members.val_loss, members.diverged, strict=True)
    )
    return (
        float(epoch),
        statistics.median(train),
        statistics.median(val),
        min(val),
        max(val),
        *each,
    )


def spread(values: list[float]) -> tuple[float, float] | None:
    """(min, max) of `values`, None when there are fewer than two."""
    if len(values) < 2:
        return None
    return min(values), max(values)


@dataclass
class MemberTrack:
    """One run's members since the last restart: their latest values, when each reached the
    goal, and which diverged (and when)."""

    latest: Members | None = None
    goal_epochs: list[int | None] = field(default_factory=list)
    diverged_at: dict[int, int] = field(default_factory=dict)

    def clear(self) -> None:
        self.latest = None
        self.goal_epochs = []
        self.diverged_at = {}

    @property
    def count(self) -> int:
        """Members in the run (0 before the first epoch)."""
        return 0 if self.latest is None else len(self.latest.seeds)

    @property
    def diverged(self) -> int:
        return len(self.diverged_at)

    def update(self, epoch: int, members: Members, goal: float) -> None:
        self.latest = members
        if len(self.goal_epochs) != len(members.seeds):
            self.goal_epochs = [None] * len(members.seeds)
        for index, (score, diverged) in enumerate(
            zip(members.val_score, members.diverged, strict=True)
        ):
            if diverged:
                self.diverged_at.setdefault(index, epoch)
            elif self.goal_epochs[index] is None and _finite(score) and score >= goal:
                self.goal_epochs[index] = epoch

    def mark_diverged(self, member: int | None, epoch: int) -> None:
        """One member, or (None: the whole run, its only or its last member) every one left."""
        members = range(self.count) if member is None else (member,)
        for index in members:
            self.diverged_at.setdefault(index, epoch)

    def alive(self, index: int) -> bool:
        return index not in self.diverged_at and not (
            self.latest is not None and self.latest.diverged[index]
        )

    def final(self, values: tuple[float, ...]) -> list[float | None]:
        """Per member: its value, or None for a member that diverged (left out of statistics)."""
        return [
            value if self.alive(index) and _finite(value) else None
            for index, value in enumerate(values)
        ]

    def goal(self) -> list[float | None]:
        """Per member: the epoch it reached the goal, or None (not yet, never, or diverged)."""
        return [
            float(epoch) if epoch is not None and self.alive(index) else None
            for index, epoch in enumerate(self.goal_epochs)
        ]

    def score_spread(self, train: bool = False) -> tuple[float, float] | None:
        """Lowest and highest score over the live members (None for one member)."""
        if self.latest is None:
            return None
        values = self.latest.train_score if train else self.latest.val_score
        return spread([v for v in self.final(values) if v is not None])
