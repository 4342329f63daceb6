"""The one fold of events into per-member values: every number a surface prints about a run.

The dashboard's state (tui/viewstate/state.py), `normtui train`'s table and `--json`
(engine/summary.py) and the sweep's cells (engine/sweep.py) all fold a run's events through
`RunFold`, so the same session prints the same numbers everywhere. The definitions, named the
same way on every surface:

- **val / train score, losses**: the mean over the members that have not diverged, at the
  run's latest epoch. A run whose every member diverged reports its members' values **at
  divergence** (each member's last epoch before it diverged), `at_divergence` True; it is never
  one member's value presented as the run's.
- **best mean**: the best of the mean curve: the highest mean val score over the epochs at which
  every member was live, at the earliest epoch that reached it (`best_mean_epoch`, one epoch,
  not a median), with each member's value at that epoch (their spread). Not the mean of each
  seed's own best (five selections on the validation rows, not one). With one seed it is that
  seed's own best.
- **epochs to the goal**: each member's first epoch at the goal; the run's is the median over the
  members that reached it (`reached` of them), the only median among a run's epochs.
- **diverged**: a member at the epoch its loss broke the rule (engine/divergence.py); the run
  when its last member did (`diverged_epoch`), and `epochs` is then that epoch.

Pure Python: no torch, no textual, so replay and watch stay light.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from normtui.engine.divergence import describe
from normtui.engine.events import RUN_NAMES, EpochEnd, Members, RunDiverged
from normtui.engine.seeds import member_seeds


def finite(value: float | None) -> float | None:
    """The value, or None for a missing, NaN or infinite one."""
    return value if value is not None and math.isfinite(value) else None


def mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def median(values: list[int]) -> float | None:
    """The median, an int when it is one (a one-seed run's epochs stay integers)."""
    if not values:
        return None
    middle = statistics.median(values)
    return int(middle) if float(middle).is_integer() else float(middle)


def members_of(event: EpochEnd, seed: int) -> Members:
    """The event's members, or its scalar fields as the one member of a one-seed run (every
    schema-1 log): one path whatever the seed count."""
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


@dataclass
class MemberFold:
    """One member (seed) since the last restart: its latest values while live, its values at
    divergence once it diverged."""

    seed: int
    val_score: float | None = None  # accuracy, or R² for regression
    val_loss: float | None = None
    train_score: float | None = None
    train_loss: float | None = None
    at_best_mean: float | None = None  # its val score at the run's best-mean epoch
    epochs_to_goal: int | None = None
    diverged_epoch: int | None = None

    @property
    def diverged(self) -> bool:
        return self.diverged_epoch is not None

    def to_dict(self, regression: bool) -> dict[str, Any]:
        score = "r2" if regression else "accuracy"
        return {
            "seed": self.seed,
            f"val_{score}": self.val_score,
            "val_loss": self.val_loss,
            "train_loss": self.train_loss,
            f"train_{score}": self.train_score,
            f"val_{score}_at_best_mean_epoch": self.at_best_mean,
            "epochs_to_goal": self.epochs_to_goal,
            "diverged": self.diverged,
            "diverged_epoch": self.diverged_epoch,
        }


@dataclass
class RunFold:
    """One run's members since the last restart, and what the run reports from them."""

    members: list[MemberFold] = field(default_factory=list)
    latest: Members | None = None  # the members as the latest epoch reported them
    epoch: int = 0  # the latest epoch reported
    regression: bool = False
    best_mean: float | None = None  # the best of the mean val-score curve
    best_mean_epoch: int | None = None
    best_mean_train: float | None = None  # the best of the mean train-score curve
    diverged_epoch: int | None = None  # the epoch the run's last member diverged
    diverged_loss: float | None = None  # the loss that broke the rule (NaN, inf, or a runaway)
    diverged_reference: float | None = None  # a runaway's trivial loss (its bar); None: NaN or inf
    error: str | None = None
    seconds: float = 0.0
    activation: str | None = None
    dead_fraction: list[float | None] = field(default_factory=list)  # latest sample, member mean
    saturated_fraction: list[float | None] = field(default_factory=list)

    # -- folding -----------------------------------------------------------------------------
    def epoch_end(self, event: EpochEnd, seed: int, goal: float) -> None:
        """Fold one epoch in; `seed` names a one-seed event's member, `goal` is the headline
        score's goal (accuracy, or R² for regression)."""
        members = members_of(event, seed)
        self.latest, self.epoch = members, event.epoch
        self.regression = event.val_r2 is not None
        self.seconds, self.activation = event.elapsed_s, event.activation
        while len(self.members) < len(members.seeds):
            self.members.append(MemberFold(seed=members.seeds[len(self.members)]))
        for index, member in enumerate(self.members):
            if member.diverged:
                continue
            if members.diverged[index]:  # keeps its values from before: those at divergence
                member.diverged_epoch = event.epoch
                continue
            member.val_score = finite(members.val_score[index])
            member.val_loss = finite(members.val_loss[index])
            member.train_score = finite(members.train_score[index])
            member.train_loss = finite(members.train_loss[index])
            score = member.val_score
            if member.epochs_to_goal is None and score is not None and score >= goal:
                member.epochs_to_goal = event.epoch
        # the mean curve counts while it is over every member: a mean over the survivors of a
        # divergence is another set's (one member's, in the end), higher for that alone
        whole = not self.diverged
        val, train = self._mean("val_score"), self._mean("train_score")
        if whole and val is not None and (self.best_mean is None or val > self.best_mean):
            self.best_mean, self.best_mean_epoch = val, event.epoch
            for member in self.members:
                member.at_best_mean = None if member.diverged else member.val_score
        if (
            whole
            and train is not None
            and (self.best_mean_train is None or train > self.best_mean_train)
        ):
            self.best_mean_train = train
        if event.layers:  # per-layer stats are sampled: keep the latest sample
            self.dead_fraction = [layer.dead_fraction for layer in event.layers]
            self.saturated_fraction = [layer.saturated_fraction for layer in event.layers]

    def run_diverged(self, event: RunDiverged, seed: int) -> bool:
        """Fold a divergence in (one member, or None: the run's only or last member); True when
        the whole run has now diverged."""
        if event.member is not None:
            while len(self.members) <= event.member:
                k = len(self.members)  # first heard of by its divergence: its seed as drawn
                self.members.append(MemberFold(seed=member_seeds(seed, k + 1)[k]))
            targets = [self.members[event.member]]
        else:
            if not self.members:
                self.members.append(MemberFold(seed=seed))
            targets = self.members
        for member in targets:
            if not member.diverged:
                member.diverged_epoch = event.epoch
        # a member's event ends the run only once every member it reported has diverged (the
        # run's own event, member None, follows anyway)
        if event.member is not None and (self.latest is None or self.live()):
            return False
        if self.diverged_epoch is None:
            self.diverged_epoch = event.epoch
        self.diverged_loss = float(event.loss)
        self.diverged_reference = event.reference
        return True

    # -- what the run reports ------------------------------------------------------------------
    def live(self) -> list[MemberFold]:
        return [member for member in self.members if not member.diverged]

    @property
    def count(self) -> int:
        """Members in the run (0 before its first epoch)."""
        return len(self.members)

    @property
    def diverged(self) -> int:
        """How many members have diverged."""
        return sum(member.diverged for member in self.members)

    @property
    def diverged_whole(self) -> bool:
        return self.diverged_epoch is not None

    @property
    def at_divergence(self) -> bool:
        """Every member diverged: the run's values are its members' at divergence."""
        return bool(self.members) and not self.live()

    def reporting(self) -> list[MemberFold]:
        """The members the run's values are the mean of: the live ones, or (every member
        diverged) all of them, each at divergence."""
        return self.live() or self.members

    def _mean(self, name: str) -> float | None:
        return mean(self.values(name))

    def values(self, name: str) -> list[float]:
        """`name` of each reporting member that has one (the spread behind a mean)."""
        return [v for m in self.reporting() if (v := getattr(m, name)) is not None]

    @property
    def val_score(self) -> float | None:
        return self._mean("val_score")

    @property
    def val_loss(self) -> float | None:
        return self._mean("val_loss")

    @property
    def train_score(self) -> float | None:
        return self._mean("train_score")

    @property
    def train_loss(self) -> float | None:
        return self._mean("train_loss")

    @property
    def epochs(self) -> int:
        """Epochs trained: the latest reported, or the one the run diverged at."""
        return max(self.epoch, self.diverged_epoch or 0)

    def goal_epochs(self) -> list[int]:
        """The epochs the live members reached the goal, sorted."""
        return sorted(m.epochs_to_goal for m in self.live() if m.epochs_to_goal is not None)

    @property
    def epochs_to_goal(self) -> float | None:
        """The median over the live members that reached the goal."""
        return median(self.goal_epochs())

    @property
    def reached(self) -> int:
        return len(self.goal_epochs())

    @property
    def diverged_reason(self) -> str | None:
        if self.diverged_loss is None:
            return None
        return describe(self.diverged_loss, self.diverged_reference)

    # -- per-member views for the paired statistics ---------------------------------------------
    def final(self, values: tuple[float, ...]) -> list[float | None]:
        """Per member: the value, or None for a member that diverged (left out of statistics)."""
        return [
            None if m.diverged or index >= len(values) else finite(values[index])
            for index, m in enumerate(self.members)
        ]

    def goal(self) -> list[float | None]:
        """Per member: the epoch it reached the goal, or None (not yet, never, or diverged)."""
        return [
            None if m.diverged or m.epochs_to_goal is None else float(m.epochs_to_goal)
            for m in self.members
        ]

    def score_spread(self, train: bool = False) -> tuple[float, float] | None:
        """Lowest and highest score over the reporting members (None for fewer than two)."""
        values = self.values("train_score" if train else "val_score")
        return (min(values), max(values)) if len(values) >= 2 else None

    def to_dict(self) -> dict[str, Any]:
        """The run in `train --json`: one-seed names, the members' mean (see the module)."""
        score = "r2" if self.regression else "accuracy"
        return {
            f"val_{score}": self.val_score,
            "val_loss": self.val_loss,
            "train_loss": self.train_loss,
            f"train_{score}": self.train_score,
            "at_divergence": self.at_divergence,
            "epochs": self.epochs,
            f"best_mean_val_{score}": self.best_mean,
            "best_mean_epoch": self.best_mean_epoch,
            "epochs_to_goal": self.epochs_to_goal,
            "members_reached_goal": self.reached,
            "diverged": self.diverged_whole,
            "diverged_epoch": self.diverged_epoch,
            "members_diverged": self.diverged,
            "diverged_loss": self.diverged_loss,
            "diverged_reason": self.diverged_reason,
            "error": self.error,
            "seconds": self.seconds,
            "activation": self.activation,
            "dead_fraction": self.dead_fraction,
            "saturated_fraction": self.saturated_fraction,
            "members": [member.to_dict(self.regression) for member in self.members],
        }


def new_runs() -> dict[str, RunFold]:
    return {name: RunFold() for name in RUN_NAMES}
