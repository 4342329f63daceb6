"""Fold the event stream into per-run summaries: the numbers `normtui train` prints.

A sink like any other; the headless table, `--json` and the dashboard's comparison strip read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    error: str | None = None
    seconds: float = 0.0
    activation: str | None = None
    dead_fraction: list[float | None] = field(default_factory=list)
    saturated_fraction: list[float | None] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Summarizer:
    """Keeps a RunSummary per run up to date from events."""

    def __init__(self, goal_accuracy: float = 0.95) -> None:
        self.goal_accuracy = goal_accuracy
        self.runs: dict[str, RunSummary] = {name: RunSummary() for name in RUN_NAMES}
        self.started: SessionStarted | None = None
        self.ended: SessionEnded | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochEnd):
            self._epoch(event)
        elif isinstance(event, RunDiverged):
            run = self.runs[event.run]
            run.diverged, run.diverged_epoch = True, event.epoch
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
        run.val_accuracy, run.val_loss = event.val_accuracy, event.val_loss
        run.train_loss, run.train_accuracy = event.train_loss, event.train_accuracy
        run.epochs, run.seconds, run.activation = event.epoch, event.elapsed_s, event.activation
        if run.best_val_accuracy is None or event.val_accuracy > run.best_val_accuracy:
            run.best_val_accuracy, run.best_epoch = event.val_accuracy, event.epoch
        if run.epochs_to_goal is None and event.val_accuracy >= self.goal_accuracy:
            run.epochs_to_goal = event.epoch
        if event.layers:  # per-layer stats are sampled; keep the latest sample
            run.dead_fraction = [layer.dead_fraction for layer in event.layers]
            run.saturated_fraction = [layer.saturated_fraction for layer in event.layers]

    def leader(self) -> tuple[str | None, float]:
        """The run ahead on validation accuracy and by how much (None when tied or unknown)."""
        raw, norm = self.runs["raw"].val_accuracy, self.runs["normalized"].val_accuracy
        if raw is None or norm is None or raw == norm:
            return None, 0.0
        return ("normalized", norm - raw) if norm > raw else ("raw", raw - norm)
