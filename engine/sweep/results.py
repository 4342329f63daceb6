"""What a cell gives: `CellResult`, small and JSON-able, the same wherever the cell ran.

Each scaler's pair of events is folded by the engine's own `Summarizer` (the fold `normtui train`
uses) plus the last sampled layers (dead/saturated shares), then compared member by member over
seeds by `compare_metrics`, the rule `train` and the dashboard's strip use.

With a learning-rate grid (`sweep --lrs`) the events are also folded by engine/grid_fold.py's
`GridFold`, and a cell is the TUNED comparison `train --lrs` makes: each run at its own rate
chosen on the validation rows, seed k of raw against seed k of normalized on the held-out test
rows (`rows` "test"; they chose nothing). Each run's chosen rate, the rates it works at and its
per-rate validation score travel with the cell (`RateGrid`).
"""

from __future__ import annotations

import math
import os
import statistics as stdlib_statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from normtui.engine.checked import FieldTypeError
from normtui.engine.config import DEAD_CAPABLE, SATURATING
from normtui.engine.events import RUN_NAMES, EpochEnd, Event, strict_json
from normtui.engine.grid import mean_score
from normtui.engine.grid_fold import GridFold, RunGrid
from normtui.engine.seeds import member_seeds
from normtui.engine.statistics import Comparison, compare_metrics
from normtui.engine.summary import Summarizer
from normtui.engine.sweep.plan import BASELINE, Cell, SweepPlan


@dataclass
class RunResult:
    """One run of a cell (raw or normalized), member by member: on the validation rows, or for
    a grid cell (`CellResult.rows` "test") the chosen rate's seeds on the held-out test rows (the
    field names stay those of the file's first format)."""

    val_score: list[float | None] = field(default_factory=list)  # accuracy, or R²
    val_loss: list[float | None] = field(default_factory=list)
    epochs_to_goal: list[int | None] = field(default_factory=list)
    diverged: list[bool] = field(default_factory=list)  # per member
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
                "diverged": self.diverged,
            },
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunResult:
        members = values.get("members", {})
        share_range = values.get("share_range")
        val_score = list(members.get("val_score", []))
        # files written before the flags: a member without a score had diverged
        diverged = members.get("diverged", [score is None for score in val_score])
        return cls(
            val_score=val_score,
            diverged=[bool(flag) for flag in diverged],
            val_loss=list(members.get("val_loss", [])),
            epochs_to_goal=list(members.get("epochs_to_goal", [])),
            share=values.get("share"),
            share_range=tuple(share_range) if share_range else None,
        )


@dataclass
class RateGrid:
    """One run's learning-rate grid as a cell keeps it (engine/grid.py's rules)."""

    chosen: float  # the rate chosen on the validation rows at the last epoch
    works: list[float]  # the band that works (BAND_RULE), in increasing order
    decades: float  # its width: log10(largest / smallest), 0 for one rate
    val_score: list[float]  # per rate: the mean val score over every seed, a diverged seed 0
    diverged: list[int]  # per rate: seeds that diverged
    margin: float = 0.0  # how far below the best mean a rate still works

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "works": list(self.works),
            "decades": self.decades,
            "val_score": list(self.val_score),
            "diverged": list(self.diverged),
            "margin": self.margin,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RateGrid:
        return cls(
            chosen=values["chosen"],
            works=list(values["works"]),
            decades=values["decades"],
            val_score=list(values["val_score"]),
            diverged=list(values.get("diverged", [])),
            margin=values.get("margin", 0.0),
        )

    @classmethod
    def of(cls, run: RunGrid, resolution: float) -> RateGrid:
        band = run.band(resolution)
        return cls(
            chosen=run.rates[run.chosen],
            works=[run.rates[i] for i in band.works],
            decades=band.decades(run.rates),
            val_score=[mean_score(scores) for scores in run.scores()],
            diverged=[sum(run.diverged(r)) for r in range(len(run.folds))],
            margin=band.margin,
        )


def share_kind(activation: str) -> str | None:
    """Which share says a layer is stuck: dead units (ReLU family), saturation, or none."""
    if activation in DEAD_CAPABLE:
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
    n_train: int = 0  # member 0's training rows (the overlap correction's n_val/n_train)
    goal: float | None = None  # the goal accuracy (or R²) epochs to goal were counted to
    raw: RunResult = field(default_factory=RunResult)
    normalized: RunResult | None = None  # None: a baseline cell
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    seconds: float = 0.0  # its share of its row's wall time (a row trains its cells at once)
    error: str | None = None
    host: str = ""
    # A grid cell (sweep --lrs): `raw` / `normalized` and the verdicts are each run at its
    # chosen rate on the held-out test rows ("test", `n_test` of them); else the val rows.
    rows: str = "val"
    n_test: int = 0
    rates: tuple[float, ...] = ()  # the grid's rates; () without a grid
    lr_grid: dict[str, RateGrid] = field(default_factory=dict)  # per run ("raw", "normalized")

    @property
    def score_metric(self) -> str:
        return f"{self.rows}_r2" if self.task == "regression" else f"{self.rows}_accuracy"

    @property
    def loss_metric(self) -> str:
        return f"{self.rows}_loss"

    @property
    def n_rows(self) -> int:
        """The rows the runs' values and verdicts are on (validation, or a grid's test rows)."""
        return self.n_test if self.rows == "test" else self.n_val

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
                "n_train": self.n_train,
                "goal": self.goal,
                "share_kind": share_kind(self.cell.activation),
                "raw": self.raw.to_dict(),
                "normalized": self.normalized.to_dict() if self.normalized else None,
                "comparison": {name: c.to_dict() for name, c in self.comparisons.items()},
                "speedup": self.speedup,
                "share_winner": self.share_winner,
                "seconds": round(self.seconds, 3),
                "error": self.error,
                "host": self.host,
                "rows": self.rows,
                "n_test": self.n_test,
                "rates": list(self.rates),
                "lr_grid": {name: grid.to_dict() for name, grid in self.lr_grid.items()},
            }
        )

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CellResult:
        comparisons = {
            name: Comparison.from_dict(c) for name, c in (values.get("comparison") or {}).items()
        }
        normalized = values.get("normalized")
        rows = values.get("rows", "val")  # files written before grids: validation rows
        if rows not in ("val", "test"):
            raise FieldTypeError("rows", rows, "val or test")
        return cls(
            cell=Cell(values["dataset"], values["activation"], values["scaler"]),
            seeds=tuple(values.get("seeds", ())),
            epochs=values.get("epochs", 0),
            task=values.get("task", "classification"),
            n_val=values.get("n_val", 0),
            n_train=values.get("n_train", 0),
            goal=values.get("goal"),
            raw=RunResult.from_dict(values.get("raw") or {}),
            normalized=RunResult.from_dict(normalized) if normalized else None,
            comparisons=comparisons,
            seconds=values.get("seconds", 0.0),
            error=values.get("error"),
            host=values.get("host", ""),
            rows=rows,
            n_test=values.get("n_test", 0),
            rates=tuple(values.get("rates") or ()),
            lr_grid={
                name: RateGrid.from_dict(_object(grid, f"lr_grid.{name}"))
                for name, grid in _object(values.get("lr_grid") or {}, "lr_grid").items()
            },
        )

    def baseline(self, scaler: str = BASELINE) -> CellResult:
        """This cell's raw run as the row's baseline cell."""
        return CellResult(
            cell=Cell(self.cell.dataset, self.cell.activation, scaler),
            seeds=self.seeds,
            epochs=self.epochs,
            task=self.task,
            n_val=self.n_val,
            n_train=self.n_train,
            goal=self.goal,
            raw=self.raw,
            seconds=0.0,
            error=self.error,
            host=self.host,
            rows=self.rows,
            n_test=self.n_test,
            rates=self.rates,
            lr_grid={name: grid for name, grid in self.lr_grid.items() if name == RUN_NAMES[0]},
        )


class CellFold:
    """The engine's Summarizer (each run an engine/fold.py `RunFold`, the fold `train` and the
    dashboard use) plus the last sampled layers of each run, whose dead/saturated shares carry
    the members' range."""

    def __init__(self, goal_accuracy: float, goal_r2: float) -> None:
        self.summary = Summarizer(goal_accuracy, goal_r2)
        self.grid = GridFold(goal_accuracy, goal_r2)  # a grid's GridEpoch events (sweep --lrs)
        self.layers: dict[str, EpochEnd] = {}

    def __call__(self, event: Event) -> None:
        self.summary(event)
        self.grid(event)
        if isinstance(event, EpochEnd) and event.layers:
            self.layers[event.run] = event

    def run_result(self, run: str, activation: str) -> RunResult:
        members = self.summary.runs[run].members
        result = RunResult(
            # the fold keeps finite values only (None for NaN or inf)
            val_score=[None if m.diverged else m.val_score for m in members],
            val_loss=[None if m.diverged else m.val_loss for m in members],
            epochs_to_goal=[None if m.diverged else m.epochs_to_goal for m in members],
            diverged=[m.diverged for m in members],
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
        if self.grid.active:  # a grid: the chosen rate's seeds on the held-out test rows
            grid = self.grid.runs[run]
            score, loss, _ = grid.test_values(grid.chosen)
            result.diverged = grid.diverged(grid.chosen)
            result.val_score, result.val_loss = score, loss
            result.epochs_to_goal = [
                None if gone else epoch
                for epoch, gone in zip(grid.test_goal[grid.chosen], result.diverged, strict=True)
            ]
        return result


def compare_runs(result: CellResult) -> dict[str, Comparison]:
    """The paired comparisons of a cell: `compare_metrics`, the rule `train` and the strip use."""
    norm = result.normalized
    if norm is None:
        return {}

    def goals(run: RunResult) -> list[float | None]:
        return [None if e is None else float(e) for e in run.epochs_to_goal]

    def flags(run: RunResult) -> list[bool]:
        return run.diverged if len(run.diverged) == len(run.val_score) else []

    score, loss, goal = compare_metrics(
        (result.raw.val_score, norm.val_score),
        (result.raw.val_loss, norm.val_loss),
        (goals(result.raw), goals(norm)),
        regression=result.task == "regression",
        n_val=result.n_rows,
        n_train=result.n_train,
        diverged=(flags(result.raw), flags(norm)),
        budget=result.epochs,
        goal=result.goal,
        rows=result.rows,  # a grid: the tuned verdict, GridFold.tuned()'s call
    )
    return {result.score_metric: score, result.loss_metric: loss, "epochs_to_goal": goal}


def failed_result(plan: SweepPlan, cell: Cell, error: str) -> CellResult:
    seeds = member_seeds(plan.seed, plan.seeds)
    return CellResult(cell=cell, seeds=seeds, epochs=plan.epochs, error=error, host=_host())


def cell_result(plan: SweepPlan, cell: Cell, fold: CellFold, seconds: float) -> CellResult:
    summary = fold.summary
    started = summary.started
    result = CellResult(
        cell=cell,
        seeds=member_seeds(plan.seed, plan.seeds),
        epochs=plan.epochs,
        task=started.task if started else "classification",
        n_val=started.n_val if started else 0,
        n_train=started.n_train if started else 0,
        goal=plan.goal_r2 if started and started.task == "regression" else plan.goal_accuracy,
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
    if fold.grid.active:
        result.rows, result.n_test = "test", started.n_test if started else 0
        grid = fold.grid.runs[RUN_NAMES[0]]
        result.rates = tuple(grid.rates)
        result.lr_grid = {
            name: RateGrid.of(run, fold.grid.resolution) for name, run in fold.grid.runs.items()
        }
    result.raw = fold.run_result("raw", cell.activation)
    if plan.trained_scaler(cell) == cell.scaler:
        result.normalized = fold.run_result("normalized", cell.activation)
    else:  # a baseline cell: the raw run's grid only
        result.lr_grid = {RUN_NAMES[0]: result.lr_grid[RUN_NAMES[0]]} if result.lr_grid else {}
    result.comparisons = compare_runs(result)
    return result


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldTypeError(name, value, "an object")
    return value


def _host() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"
