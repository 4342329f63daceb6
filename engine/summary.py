"""Fold the event stream into per-run summaries: the numbers `normtui train` prints.

A sink like any other; the headless table, `--json` and the dashboard's comparison strip read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normtui.engine.divergence import describe
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


@dataclass
class RunSummary:
    """What one run achieved since the last restart."""

    val_accuracy: float | None = None
    val_loss: float | None = None
    train_loss: float | None = None
    train_accuracy: float | None = None
    epochs: int = 0
    best_epoch: int | None = None
    best_val_accuracy: float | None = None
    epochs_to_goal: int | None = None
    diverged: bool = False
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

    def to_dict(self) -> dict[str, Any]:
        values = dict(self.__dict__)
        regression = self.val_r2 is not None
        hidden = ("val_accuracy", "train_accuracy", "best_val_accuracy")
        if not regression:
            hidden = ("val_r2", "train_r2", "best_val_r2")
        return {key: value for key, value in values.items() if key not in hidden}

    @property
    def score(self) -> float | None:
        """The headline metric: validation R² for regression, else validation accuracy."""
        return self.val_r2 if self.val_r2 is not None else self.val_accuracy


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
        elif isinstance(event, RunDiverged) and event.member is None:  # the whole run
            run = self.runs[event.run]
            run.diverged, run.diverged_epoch = True, event.epoch
            run.diverged_loss = float(event.loss)
            run.diverged_reason = describe(run.diverged_loss, event.reference)
        elif isinstance(event, RunFailed):
            self.runs[event.run].error = event.error
        elif isinstance(event, Restarted):
            self.runs = {name: RunSummary() for name in RUN_NAMES}
        elif isinstance(event, SessionStarted):
            self.started = event
        elif isinstance(event, SessionEnded):
            self.ended = event

    def _epoch(self, event: EpochEnd) -> None:
        run = self.runs[event.run]
        run.val_loss, run.train_loss = event.val_loss, event.train_loss
        run.epochs, run.seconds, run.activation = event.epoch, event.elapsed_s, event.activation
        if event.val_r2 is None:
            run.val_accuracy, run.train_accuracy = event.val_accuracy, event.train_accuracy
            if run.best_val_accuracy is None or event.val_accuracy > run.best_val_accuracy:
                run.best_val_accuracy, run.best_epoch = event.val_accuracy, event.epoch
            goal = self.goal_accuracy
        else:  # regression (issue 14 hook)
            run.val_r2, run.train_r2 = event.val_r2, event.train_r2
            if run.best_val_r2 is None or event.val_r2 > run.best_val_r2:
                run.best_val_r2, run.best_epoch = event.val_r2, event.epoch
            goal = self.goal_r2
        if run.epochs_to_goal is None and event.val_score >= goal:
            run.epochs_to_goal = event.epoch
        if event.layers:  # per-layer stats are sampled; keep the latest sample
            run.dead_fraction = [layer.dead_fraction for layer in event.layers]
            run.saturated_fraction = [layer.saturated_fraction for layer in event.layers]

    def leader(self) -> tuple[str | None, float]:
        """The run ahead on validation accuracy (R² for regression) and by how much (None when
        tied or unknown)."""
        raw, norm = self.runs["raw"].score, self.runs["normalized"].score
        if raw is None or norm is None or raw == norm:
            return None, 0.0
        return ("normalized", norm - raw) if norm > raw else ("raw", raw - norm)
