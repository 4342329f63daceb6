"""The events of both runs through the one fold (engine/fold.py): what `normtui train` prints.

A sink like any other; the headless table, `--json` and the sweep's cells read it. Each run is
a `RunFold` (its members' mean, `best_mean` the best of the mean curve, epochs to the goal the
median over the members that reached it), the same fold the dashboard's state keeps, and
`comparisons` judges raw vs normalized seed by seed with engine/statistics.py, the rule the
dashboard's strip uses too.
"""

from __future__ import annotations

from normtui.engine.events import (
    RUN_NAMES,
    EpochEnd,
    Event,
    Restarted,
    RunDiverged,
    RunFailed,
    SessionEnded,
    SessionStarted,
)
from normtui.engine.fold import RunFold, new_runs
from normtui.engine.statistics import Comparison, compare_metrics


class Summarizer:
    """Keeps a RunFold per run up to date from events."""

    def __init__(self, goal_accuracy: float = 0.95, goal_r2: float = 0.9) -> None:
        self.goal_accuracy = goal_accuracy
        self.goal_r2 = goal_r2
        self.runs: dict[str, RunFold] = new_runs()
        self.started: SessionStarted | None = None
        self.ended: SessionEnded | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochEnd):
            goal = self.goal_r2 if event.val_r2 is not None else self.goal_accuracy
            self.runs[event.run].epoch_end(event, self.seed, goal)
        elif isinstance(event, RunDiverged):
            self.runs[event.run].run_diverged(event, self.seed)
        elif isinstance(event, RunFailed):
            self.runs[event.run].error = event.error
        elif isinstance(event, Restarted):
            self.runs = new_runs()
        elif isinstance(event, SessionStarted):
            self.started = event
        elif isinstance(event, SessionEnded):
            self.ended = event

    @property
    def seed(self) -> int:
        config = self.started.config if self.started is not None else {}
        return int(config.get("seed", 0))

    @property
    def seeds(self) -> int:
        return max((run.count for run in self.runs.values()), default=0)

    def comparisons(self) -> tuple[Comparison, Comparison, Comparison] | None:
        """Val score, val loss and epochs to the goal, raw vs normalized member by member
        (engine/statistics.py); None until both runs have reported the same members."""
        started = self.started
        return compare_folds(
            *(self.runs[name] for name in RUN_NAMES),
            n_val=started.n_val if started is not None else 0,
            n_train=started.n_train if started is not None else 0,
            goals=(self.goal_accuracy, self.goal_r2),
        )


def compare_folds(
    raw: RunFold, norm: RunFold, *, n_val: int, n_train: int, goals: tuple[float, float]
) -> tuple[Comparison, Comparison, Comparison] | None:
    """Two runs' folds compared member by member on the validation rows (`goals`: accuracy's
    and R²'s); None until both have reported the same members. A grid's same-rate verdicts
    (engine/grid_fold.py) are this, at each rate."""
    if not raw.members or raw.count != norm.count:
        return None

    def values(run: RunFold, name: str) -> list[float | None]:
        return [None if m.diverged else getattr(m, name) for m in run.members]

    regression = raw.regression or norm.regression
    return compare_metrics(
        (values(raw, "val_score"), values(norm, "val_score")),
        (values(raw, "val_loss"), values(norm, "val_loss")),
        (raw.goal(), norm.goal()),
        regression=regression,
        n_val=n_val,
        n_train=n_train,
        diverged=([m.diverged for m in raw.members], [m.diverged for m in norm.members]),
        budget=max(raw.epochs, norm.epochs),
        goal=goals[1] if regression else goals[0],
    )
