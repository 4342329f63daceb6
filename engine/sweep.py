"""`normtui sweep`: a grid of controlled comparisons, one cell per (dataset, activation, scaler).

A cell trains the pair raw vs that scaler with every seed, through the engine's own `Session`
(so a cell is exactly what `normtui train` would run with the same options), and folds the
events into a small JSON-able `CellResult`: per metric the paired comparison over seeds from
`engine/statistics.py` (mean difference, 95% interval, winner, verdict). Where the engine trains
the seeds as one batched ensemble (`SessionConfig.seeds`), a cell is one session; otherwise it
is one one-seed session per seed, member k under seed `seed + k`, which is the same comparison.

The scaler `none` is the raw baseline: it trains nothing of its own, its cell is the raw run of
a cell in the same row (every scaler of a row shares the raw run's weights, split and batch
order, so any of them gives the same raw numbers).

No torch at import time and no textual ever: the CLI validates a grid before anything heavy.
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics as stdlib_statistics
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from normtui.engine.config import (
    ACTIVATIONS,
    DATASETS,
    OPTIMIZERS,
    RELU_FAMILY,
    SATURATING,
    SCALERS,
    ConfigError,
    SessionConfig,
    parse_hidden,
)
from normtui.engine.events import (
    EpochEnd,
    Event,
    RunDiverged,
    RunFailed,
    SessionEnded,
    SessionStarted,
    strict_json,
)
from normtui.engine.statistics import Comparison, compare_paired

BASELINE = "none"  # the scaler name of the raw baseline column
SWEEP_SCALERS: tuple[str, ...] = (BASELINE, *SCALERS)
# Whether the engine trains the seeds of a run as one batched model (issue 12).
BATCHED_SEEDS = "seeds" in {spec.name for spec in dataclasses.fields(SessionConfig)}
MAX_SWEEP_SEEDS = 256
# Per-layer statistics are costly on tiny models; a cell needs them only at the last epoch (the
# trainer always samples the first and the last epoch).
CELL_HIST_INTERVAL_S = 1e9


def _names(kind: str, text: str, known: Sequence[str] | None) -> tuple[str, ...]:
    """'a, b,a' -> ('a', 'b'): one line naming the problem for an empty list or an unknown name."""
    names: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        if known is not None:
            name = name.lower().replace("-", "_")
            if name not in known:
                raise ConfigError(
                    f"unknown {kind} {part.strip()!r}; choose from: {', '.join(known)}"
                )
        if name not in names:
            names.append(name)
    if not names:
        raise ConfigError(f"--{kind}s needs at least one name (a comma-separated list)")
    return tuple(names)


@dataclass(frozen=True)
class Cell:
    """One comparison of the grid."""

    dataset: str  # a preset name or a CSV path
    activation: str
    scaler: str  # a scaler, or BASELINE

    @property
    def key(self) -> str:
        return f"{self.dataset}|{self.activation}|{self.scaler}"

    @property
    def row(self) -> tuple[str, str]:
        return (self.dataset, self.activation)

    def to_dict(self) -> dict[str, str]:
        return {"dataset": self.dataset, "activation": self.activation, "scaler": self.scaler}

    def label(self) -> str:
        return f"{os.path.basename(self.dataset)} · {self.activation} · {self.scaler}"


@dataclass(frozen=True)
class SweepPlan:
    """The grid and the training settings every cell shares; validated on construction."""

    datasets: tuple[str, ...]
    activations: tuple[str, ...]
    scalers: tuple[str, ...]
    seeds: int = 5
    seed: int = 0
    epochs: int = 100
    hidden: tuple[int, ...] = (64,)
    lr: float = 1e-3
    optimizer: str = "adam"
    batch_size: int | None = None
    target: str | None = None
    device: str = "auto"
    val_split: float = 0.2
    goal_accuracy: float = 0.95
    goal_r2: float = 0.9

    def __post_init__(self) -> None:
        for kind, values in (
            ("dataset", self.datasets),
            ("activation", self.activations),
            ("scaler", self.scalers),
        ):
            if not values:
                raise ConfigError(f"--{kind}s needs at least one name (a comma-separated list)")
        if not 1 <= self.seeds <= MAX_SWEEP_SEEDS:
            raise ConfigError(f"seeds {self.seeds} out of range 1..{MAX_SWEEP_SEEDS}")
        for dataset in self.datasets:
            if is_csv(dataset):
                if not self.target:
                    raise ConfigError(
                        f"a CSV dataset ({dataset}) needs --target COLUMN naming the label column"
                    )
                if not os.path.isfile(dataset):
                    raise ConfigError(f"dataset file {dataset!r} not found")
        if self.target and not any(is_csv(d) for d in self.datasets):
            raise ConfigError("--target applies to CSV files only; every dataset is a preset")
        # Every other setting (lr, epochs, hidden, ...) is checked by the engine's own rules.
        self.session_config(self.cells()[0])

    # -- the grid ----------------------------------------------------------------------------
    def cells(self) -> list[Cell]:
        """Every cell, dataset by dataset, row by row (activation), column by column (scaler)."""
        return [
            Cell(dataset, activation, scaler)
            for dataset in self.datasets
            for activation in self.activations
            for scaler in self.scalers
        ]

    def trained_scaler(self, cell: Cell) -> str | None:
        """The scaler a cell trains against raw; None for a baseline cell that another cell of its
        row provides."""
        if cell.scaler != BASELINE:
            return cell.scaler
        real = [s for s in self.scalers if s != BASELINE]
        return None if real else SCALERS[0]

    def work(self) -> list[Cell]:
        """The cells that train (a baseline cell trains only when its row has no other scaler)."""
        return [cell for cell in self.cells() if self.trained_scaler(cell) is not None]

    def session_config(
        self, cell: Cell, *, seed: int | None = None, seeds: int = 1
    ) -> SessionConfig:
        """The engine's config of one cell (one seed, or `seeds` batched members)."""
        csv = is_csv(cell.dataset)
        extra: dict[str, Any] = {"seeds": seeds} if BATCHED_SEEDS else {}
        return SessionConfig(
            dataset="csv" if csv else cell.dataset,
            csv_path=cell.dataset if csv else None,
            target=self.target if csv else None,
            scaler=self.trained_scaler(cell) or SCALERS[0],
            activation=cell.activation,
            hidden=self.hidden,
            optimizer=self.optimizer,
            lr=self.lr,
            batch_size=self.batch_size,
            epochs=self.epochs,
            seed=self.seed if seed is None else seed,
            val_split=self.val_split,
            device=self.device,
            goal_accuracy=self.goal_accuracy,
            goal_r2=self.goal_r2,
            pace=None,
            hist_interval_s=CELL_HIST_INTERVAL_S,
            **extra,
        )

    def session_configs(self, cell: Cell) -> list[SessionConfig]:
        """One batched session for all seeds, or one session per seed where the engine has none."""
        if BATCHED_SEEDS:
            return [self.session_config(cell, seeds=self.seeds)]
        return [self.session_config(cell, seed=self.seed + k) for k in range(self.seeds)]

    def dashboard_config(self, cell: Cell, *, pace: float | None) -> SessionConfig:
        """The exact configuration of a cell for the live dashboard (all its seeds, if batched)."""
        config = self.session_config(cell, seeds=self.seeds if BATCHED_SEEDS else 1)
        return config.replace(pace=pace, hist_interval_s=SessionConfig().hist_interval_s)

    # -- data --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        for key in ("datasets", "activations", "scalers", "hidden"):
            values[key] = list(values[key])
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SweepPlan:
        known = {spec.name for spec in dataclasses.fields(cls)}
        kwargs = {key: value for key, value in values.items() if key in known}
        for key in ("datasets", "activations", "scalers", "hidden"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)

    def settings(self) -> dict[str, Any]:
        """What makes two results comparable: everything but the grid's lists."""
        values = self.to_dict()
        for key in ("datasets", "activations", "scalers"):
            values.pop(key)
        return values


def is_csv(dataset: str) -> bool:
    return dataset not in DATASETS


def parse_plan(
    *,
    datasets: str,
    activations: str,
    scalers: str,
    hidden: str = "64",
    batch_size: str = "full",
    optimizer: str = "adam",
    **settings: Any,
) -> SweepPlan:
    """A plan from the CLI's text options; ConfigError (one line) for anything wrong."""
    dataset_names = []
    for part in datasets.split(","):
        name = part.strip()
        if not name:
            continue
        preset = name.lower().replace("-", "_")
        if preset in DATASETS:
            name = preset
        elif not (name.lower().endswith(".csv") or os.sep in name or os.path.exists(name)):
            raise ConfigError(
                f"unknown dataset {name!r}; choose from: {', '.join(DATASETS)},"
                " or give a path to a CSV file with --target COLUMN"
            )
        if name not in dataset_names:
            dataset_names.append(name)
    if not dataset_names:
        raise ConfigError("--datasets needs at least one name (a comma-separated list)")
    batch = batch_size.strip().lower()
    try:
        batch_value = None if batch == "full" else int(batch)
    except ValueError:
        raise ConfigError(f"batch size {batch_size!r} is not an integer (or 'full')") from None
    optimizer_name = optimizer.strip().lower()
    if optimizer_name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {optimizer!r}; choose from: {', '.join(OPTIMIZERS)}")
    return SweepPlan(
        datasets=tuple(dataset_names),
        activations=_names("activation", activations, ACTIVATIONS),
        scalers=_names("scaler", scalers, SWEEP_SCALERS),
        hidden=parse_hidden(hidden),
        batch_size=batch_value,
        optimizer=optimizer_name,
        **settings,
    )


def check_data(plan: SweepPlan) -> None:
    """Load each CSV once (no training) so a missing --target column fails before any cell."""
    from normtui.engine.data import load_dataset

    for dataset in plan.datasets:
        if is_csv(dataset):
            load_dataset(plan.session_config(Cell(dataset, plan.activations[0], plan.scalers[0])))


# -- what a cell gives -------------------------------------------------------------------------


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
    seconds: float = 0.0
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


# -- running a cell ----------------------------------------------------------------------------


class _Fold:
    """Folds one session's events into per-member results of both runs."""

    def __init__(self, goal_accuracy: float, goal_r2: float) -> None:
        self.goals = (goal_accuracy, goal_r2)
        self.started: SessionStarted | None = None
        self.ended: SessionEnded | None = None
        self.failed: dict[str, str] = {}
        self.last: dict[str, EpochEnd] = {}
        self.reached: dict[str, list[int | None]] = {}
        self.diverged: dict[str, set[int | None]] = {"raw": set(), "normalized": set()}
        self.layers: dict[str, EpochEnd] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochEnd):
            self._epoch(event)
        elif isinstance(event, RunDiverged):
            self.diverged[event.run].add(event.member)
        elif isinstance(event, RunFailed):
            self.failed[event.run] = event.error
        elif isinstance(event, SessionStarted):
            self.started = event
        elif isinstance(event, SessionEnded):
            self.ended = event

    def _epoch(self, event: EpochEnd) -> None:
        self.last[event.run] = event
        if event.layers:
            self.layers[event.run] = event
        goal = self.goals[0] if event.val_r2 is None else self.goals[1]
        scores = event.members.val_score if event.members is not None else (event.val_score,)
        reached = self.reached.setdefault(event.run, [None] * len(scores))
        for k, score in enumerate(scores):
            if reached[k] is None and score >= goal:
                reached[k] = event.epoch

    def run_result(self, run: str, activation: str) -> RunResult:
        last = self.last.get(run)
        if last is None:
            return RunResult()
        if last.members is not None:
            members = last.members
            scores, losses = list(members.val_score), list(members.val_loss)
            gone = [bool(flag) for flag in members.diverged]
        else:
            scores, losses = [last.val_score], [last.val_loss]
            gone = [bool(self.diverged[run])]
        n = len(scores)
        reached = self.reached.get(run, [None] * n)
        result = RunResult(
            val_score=[None if gone[k] else _finite(scores[k]) for k in range(n)],
            val_loss=[None if gone[k] else _finite(losses[k]) for k in range(n)],
            epochs_to_goal=[None if gone[k] else reached[k] for k in range(n)],
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
            if means:
                result.share = math.fsum(means) / len(means)
                result.share_range = (math.fsum(lows) / len(lows), math.fsum(highs) / len(highs))
        return result


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _merge(parts: Sequence[RunResult]) -> RunResult:
    """One-seed sessions' results as the members of one run."""
    merged = RunResult()
    shares = []
    for part in parts:
        merged.val_score += part.val_score
        merged.val_loss += part.val_loss
        merged.epochs_to_goal += part.epochs_to_goal
        if part.share is not None and part.share_range is not None:
            shares.append((part.share, *part.share_range))
    if shares and len(shares) == len(parts):
        merged.share = math.fsum(s[0] for s in shares) / len(shares)
        merged.share_range = (min(s[1] for s in shares), max(s[2] for s in shares))
    return merged


def compare_runs(result: CellResult) -> dict[str, Comparison]:
    """The paired comparisons of a cell, with the one rule of engine/statistics.py."""
    norm = result.normalized
    if norm is None:
        return {}
    regression = result.task == "regression"
    resolution = 0.0 if regression or not result.n_val else 1.0 / result.n_val
    raw_epochs = [float(e) if e is not None else None for e in result.raw.epochs_to_goal]
    norm_epochs = [float(e) if e is not None else None for e in norm.epochs_to_goal]
    return {
        result.score_metric: compare_paired(
            result.raw.val_score,
            norm.val_score,
            metric=result.score_metric,
            higher_is_better=True,
            resolution=resolution,
        ),
        "val_loss": compare_paired(
            result.raw.val_loss, norm.val_loss, metric="val_loss", higher_is_better=False
        ),
        "epochs_to_goal": compare_paired(
            raw_epochs, norm_epochs, metric="epochs_to_goal", higher_is_better=False, resolution=1
        ),
    }


class CellRunner:
    """Runs cells one at a time through `Session`; `stop()` (any thread, a signal handler too)
    ends the cell in progress at its next epoch, and that cell gives no result."""

    def __init__(self) -> None:
        # Re-entrant: `stop` runs in a signal handler, on the thread that may hold the lock.
        self._lock = threading.RLock()
        self._session: Any = None
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            if self._session is not None:
                self._session.request_stop("stopped")

    def run(self, plan: SweepPlan, cell: Cell) -> CellResult | None:
        """The cell's result (with `error` set if it failed); None when stopped."""
        from normtui.engine.session import Session

        start = time.perf_counter()
        folds: list[_Fold] = []
        for config in plan.session_configs(cell):
            fold = _Fold(plan.goal_accuracy, plan.goal_r2)
            session = Session(config)
            if self.stopped.is_set():
                return None
            with self._lock:
                self._session = session
                session.start(fold)
            if self.stopped.is_set():  # a stop that came before the session was registered
                session.request_stop("stopped")
            session.join()
            with self._lock:
                self._session = None
            if self.stopped.is_set():
                return None
            folds.append(fold)
            if fold.ended is None or fold.ended.reason != "completed" or fold.failed:
                break
        return _result(plan, cell, folds, time.perf_counter() - start)


def _result(plan: SweepPlan, cell: Cell, folds: list[_Fold], seconds: float) -> CellResult:
    first = folds[0]
    started = first.started
    result = CellResult(
        cell=cell,
        seeds=tuple(range(plan.seed, plan.seed + plan.seeds)),
        epochs=plan.epochs,
        task=started.task if started else "classification",
        n_val=started.n_val if started else 0,
        seconds=seconds,
        host=_host(),
    )
    errors = [fold.ended.error for fold in folds if fold.ended and fold.ended.error]
    errors += [f"the {run} run failed: {e}" for fold in folds for run, e in fold.failed.items()]
    if errors or len(folds) < len(plan.session_configs(cell)):
        result.error = errors[0] if errors else "stopped before every seed was trained"
        return result
    result.raw = _merge([fold.run_result("raw", cell.activation) for fold in folds])
    if plan.trained_scaler(cell) == cell.scaler:
        result.normalized = _merge(
            [fold.run_result("normalized", cell.activation) for fold in folds]
        )
    result.comparisons = compare_runs(result)
    return result


def _host() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


_WORKER_RUNNER: CellRunner | None = None


def run_cell_task(plan: dict[str, Any], cell: dict[str, str]) -> dict[str, Any] | None:
    """A cell as plain data in and out: what worker processes and Dask workers run."""
    global _WORKER_RUNNER
    if _WORKER_RUNNER is None:
        _WORKER_RUNNER = CellRunner()
    result = _WORKER_RUNNER.run(SweepPlan.from_dict(plan), Cell(**cell))
    return None if result is None else result.to_dict()


def cells_of(results: Iterable[CellResult]) -> dict[str, CellResult]:
    return {result.cell.key: result for result in results}
