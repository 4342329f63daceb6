"""What a cell gives: `CellResult`, small and JSON-able, the same wherever the cell ran.

Each scaler's pair of events is folded by the engine's own `Summarizer` (the fold `normtui train`
uses) plus the last sampled layers (dead/saturated shares), then compared member by member over
seeds by `compare_metrics`, the rule `train` and the dashboard's strip use.
"""

from __future__ import annotations

import math
import os
import statistics as stdlib_statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from normtui.engine.config import RELU_FAMILY, SATURATING
from normtui.engine.events import EpochEnd, Event, strict_json
from normtui.engine.statistics import Comparison, compare_metrics
from normtui.engine.summary import Summarizer
from normtui.engine.sweep.plan import BASELINE, Cell, SweepPlan


@dataclass
class RunResult:
    """One run of a cell (raw or normalized), member by member."""

    val_score: list[float | None] = field(default_factory=list)  # accuracy, or R²
    val_loss: list[float | None] = field(default_factory=list)
    epochs_to_goal: list[int | None] = field(default_factory=list)
    share: float | None = None  # dead (ReLU family) or saturated (tanh, sigmoid): member mean
    share_range: tuple[float, float] | None = None  # member min..max

    def mean(self, values: Sequence[float | None]) -> float | None:
        usable = [v for v in values if v is not None and math.isfinite(v)]
        return math.fsum(usable) / len(usable) if usable else None

    @property
    def reached(self) -> int:
        return sum(1 for e in self.epochs_to_goal if e is not None)

    @property
    def median_epochs_to_goal(self) -> float | None:
        reached = [e for e in self.epochs_to_goal if e is not None]
        return float(stdlib_statistics.median(reached)) if reached else None

    @property
    def median_epochs_all(self) -> float:
        """Median epochs to the goal over every member, one that never reached it counting as
        infinitely many: a speed-up from the members that happened to reach it would flatter."""
        if not self.epochs_to_goal:
            return math.inf
        return float(
            stdlib_statistics.median(math.inf if e is None else e for e in self.epochs_to_goal)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "val_score": self.mean(self.val_score),
            "val_loss": self.mean(self.val_loss),
            "epochs_to_goal": self.median_epochs_to_goal,
            "reached": self.reached,
            "share": self.share,
            "share_range": list(self.share_range) if self.share_range else None,
            "members": {
                "val_score": self.val_score,
                "val_loss": self.val_loss,
                "epochs_to_goal": self.epochs_to_goal,
            },
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunResult:
        members = values.get("members", {})
        share_range = values.get("share_range")
        return cls(
            val_score=list(members.get("val_score", [])),
            val_loss=list(members.get("val_loss", [])),
            epochs_to_goal=list(members.get("epochs_to_goal", [])),
            share=values.get("share"),
            share_range=tuple(share_range) if share_range else None,
        )


def share_kind(activation: str) -> str | None:
    """Which share says a layer is stuck: dead units (ReLU family), saturation, or none."""
    if activation in RELU_FAMILY:
        return "dead"
    if activation in SATURATING:
        return "saturated"
    return None


@dataclass
class CellResult:
    """A finished cell: small, JSON-able, the same wherever it ran."""

    cell: Cell
    seeds: tuple[int, ...]
    epochs: int
    task: str = "classification"
    n_val: int = 0
    raw: RunResult = field(default_factory=RunResult)
    normalized: RunResult | None = None  # None: a baseline cell
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    seconds: float = 0.0  # its share of its row's wall time (a row trains its cells at once)
    error: str | None = None
    host: str = ""

    @property
    def score_metric(self) -> str:
        return "val_r2" if self.task == "regression" else "val_accuracy"

    @property
    def speedup(self) -> float | None:
        """Raw's median epochs to the goal over normalized's, over every member (one that never
        reached it counts as infinitely many); None unless both medians are finite."""
        if self.normalized is None:
            return None
        raw, norm = self.raw.median_epochs_all, self.normalized.median_epochs_all
        return raw / norm if math.isfinite(raw) and math.isfinite(norm) and norm else None

    @property
    def share_winner(self) -> str | None:
        """The run with fewer dead/saturated units, named only when every member of one run is
        below every member of the other (disjoint member ranges; never with one seed)."""
        if self.normalized is None or len(self.seeds) < 2:
            return None
        raw, norm = self.raw.share_range, self.normalized.share_range
        if raw is None or norm is None:
            return None
        if norm[1] < raw[0]:
            return "normalized"
        if raw[1] < norm[0]:
            return "raw"
        return None

    def to_dict(self) -> dict[str, Any]:
        return strict_json(
            {
                **self.cell.to_dict(),
                "seeds": list(self.seeds),
                "epochs": self.epochs,
                "task": self.task,
                "n_val": self.n_val,
                "share_kind": share_kind(self.cell.activation),
                "raw": self.raw.to_dict(),
                "normalized": self.normalized.to_dict() if self.normalized else None,
                "comparison": {name: c.to_dict() for name, c in self.comparisons.items()},
                "speedup": self.speedup,
                "share_winner": self.share_winner,
                "seconds": round(self.seconds, 3),
                "error": self.error,
                "host": self.host,
            }
        )

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CellResult:
        comparisons = {}
        for name, c in (values.get("comparison") or {}).items():
            ci95 = c.get("ci95")
            comparisons[name] = Comparison(
                metric=c["metric"],
                seeds=c["seeds"],
                wins=c["wins"],
                losses=c["losses"],
                mean_difference=c["mean_difference"],
                ci95=tuple(ci95) if ci95 else None,
                winner=c["winner"],
                verdict=c["verdict"],
                excluded=c.get("excluded", 0),
            )
        normalized = values.get("normalized")
        return cls(
            cell=Cell(values["dataset"], values["activation"], values["scaler"]),
            seeds=tuple(values.get("seeds", ())),
            epochs=values.get("epochs", 0),
            task=values.get("task", "classification"),
            n_val=values.get("n_val", 0),
            raw=RunResult.from_dict(values.get("raw") or {}),
            normalized=RunResult.from_dict(normalized) if normalized else None,
            comparisons=comparisons,
            seconds=values.get("seconds", 0.0),
            error=values.get("error"),
            host=values.get("host", ""),
        )

    def baseline(self, scaler: str = BASELINE) -> CellResult:
        """This cell's raw run as the row's baseline cell."""
        return CellResult(
            cell=Cell(self.cell.dataset, self.cell.activation, scaler),
            seeds=self.seeds,
            epochs=self.epochs,
            task=self.task,
            n_val=self.n_val,
            raw=self.raw,
            seconds=0.0,
            error=self.error,
            host=self.host,
        )


class CellFold:
    """The engine's Summarizer (each run an engine/fold.py `RunFold`, the fold `train` and the
    dashboard use) plus the last sampled layers of each run, whose dead/saturated shares carry
    the members' range."""

    def __init__(self, goal_accuracy: float, goal_r2: float) -> None:
        self.summary = Summarizer(goal_accuracy, goal_r2)
        self.layers: dict[str, EpochEnd] = {}

    def __call__(self, event: Event) -> None:
        self.summary(event)
        if isinstance(event, EpochEnd) and event.layers:
            self.layers[event.run] = event

    def run_result(self, run: str, activation: str) -> RunResult:
        members = self.summary.runs[run].members
        result = RunResult(
            # the fold keeps finite values only (None for NaN or inf)
            val_score=[None if m.diverged else m.val_score for m in members],
            val_loss=[None if m.diverged else m.val_loss for m in members],
            epochs_to_goal=[None if m.diverged else m.epochs_to_goal for m in members],
        )
        kind = share_kind(activation)
        sampled = self.layers.get(run)
        if kind is not None and sampled is not None:
            means, lows, highs = [], [], []
            for layer in sampled.layers:
                value = layer.dead_fraction if kind == "dead" else layer.saturated_fraction
                span = layer.dead_range if kind == "dead" else layer.saturated_range
                if value is None:
                    continue
                means.append(value)
                lows.append(span[0] if span else value)
                highs.append(span[1] if span else value)
            if means:  # the mean over hidden layers (exact per member for one hidden layer)
                result.share = math.fsum(means) / len(means)
                result.share_range = (math.fsum(lows) / len(lows), math.fsum(highs) / len(highs))
        return result


def compare_runs(result: CellResult) -> dict[str, Comparison]:
    """The paired comparisons of a cell: `compare_metrics`, the rule `train` and the strip use."""
    norm = result.normalized
    if norm is None:
        return {}

    def goals(run: RunResult) -> list[float | None]:
        return [None if e is None else float(e) for e in run.epochs_to_goal]

    score, loss, goal = compare_metrics(
        (result.raw.val_score, norm.val_score),
        (result.raw.val_loss, norm.val_loss),
        (goals(result.raw), goals(norm)),
        regression=result.task == "regression",
        n_val=result.n_val,
    )
    return {result.score_metric: score, "val_loss": loss, "epochs_to_goal": goal}


def failed_result(plan: SweepPlan, cell: Cell, error: str) -> CellResult:
    seeds = tuple(range(plan.seed, plan.seed + plan.seeds))
    return CellResult(cell=cell, seeds=seeds, epochs=plan.epochs, error=error, host=_host())


def cell_result(plan: SweepPlan, cell: Cell, fold: CellFold, seconds: float) -> CellResult:
    summary = fold.summary
    started = summary.started
    result = CellResult(
        cell=cell,
        seeds=tuple(range(plan.seed, plan.seed + plan.seeds)),
        epochs=plan.epochs,
        task=started.task if started else "classification",
        n_val=started.n_val if started else 0,
        seconds=seconds,
        host=_host(),
    )
    ended = summary.ended
    errors = [ended.error] if ended is not None and ended.error else []
    errors += [
        f"the {name} run failed: {run.error}" for name, run in summary.runs.items() if run.error
    ]
    if ended is None or ended.reason != "completed":
        errors.append(f"the session ended: {ended.reason if ended else 'no end'}")
    if errors:
        result.error = errors[0]
        return result
    result.raw = fold.run_result("raw", cell.activation)
    if plan.trained_scaler(cell) == cell.scaler:
        result.normalized = fold.run_result("normalized", cell.activation)
    result.comparisons = compare_runs(result)
    return result


def _host() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"
