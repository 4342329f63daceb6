"""`normtui sweep`: a grid of controlled comparisons, one cell per (dataset, activation, scaler).

A cell is the pair `normtui train` would train with the same options: raw vs that scaler, every
seed. The cells of a row (one dataset and activation) train together (engine/row.py): the raw
run once, each scaler's run beside it in one batched model, with the pair's initial weights,
splits and batch order. Each scaler's pair of events is folded by the engine's own `Summarizer`
(the fold `normtui train` uses) into a small JSON-able `CellResult`: per metric the paired
comparison over seeds from `engine/statistics.py` (`compare_metrics`: mean difference, 95%
interval, winner, verdict).

The scaler `none` is the raw baseline: it trains nothing of its own, its cell is the raw run of
its row.

No torch at import time and no textual ever: the CLI validates a grid before anything heavy.
"""

from __future__ import annotations

import math
import os
import statistics as stdlib_statistics
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from normtui.engine.config import (
    ACTIVATIONS,
    DATASETS,
    OPTIMIZERS,
    RELU_FAMILY,
    SATURATING,
    SCALERS,
    ConfigError,
    JsonDataclass,
    SessionConfig,
    parse_batch_size,
    parse_dataset,
    parse_hidden,
)
from normtui.engine.errors import UsageError, one_line
from normtui.engine.events import (
    EpochEnd,
    Event,
    strict_json,
)
from normtui.engine.statistics import Comparison, compare_metrics
from normtui.engine.summary import Summarizer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from normtui.engine.data import PreparedData
    from normtui.engine.prefetch import DataStream

BASELINE = "none"  # the scaler name of the raw baseline column
SWEEP_SCALERS: tuple[str, ...] = (BASELINE, *SCALERS)
MAX_SWEEP_SEEDS = 256


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
class SweepPlan(JsonDataclass):
    """The grid and the training settings every cell shares; validated on construction."""

    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = ("datasets", "activations", "scalers", "hidden")

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

    def session_config(self, cell: Cell) -> SessionConfig:
        """The engine's config of one cell: every seed as one batched ensemble per run."""
        csv = is_csv(cell.dataset)
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
            seed=self.seed,
            seeds=self.seeds,
            val_split=self.val_split,
            device=self.device,
            goal_accuracy=self.goal_accuracy,
            goal_r2=self.goal_r2,
            pace=None,
        )

    def dashboard_config(self, cell: Cell, *, pace: float | None) -> SessionConfig:
        """The exact configuration of a cell for the live dashboard, all its seeds."""
        return self.session_config(cell).replace(pace=pace)

    # -- data --------------------------------------------------------------------------------
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
        if not part.strip():
            continue
        preset, path = parse_dataset(part.strip())
        name = path or preset
        if name not in dataset_names:
            dataset_names.append(name)
    if not dataset_names:
        raise ConfigError("--datasets needs at least one name (a comma-separated list)")
    batch_value = parse_batch_size(batch_size)
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


# -- running a cell ----------------------------------------------------------------------------


class _Fold:
    """The engine's Summarizer (per-member values, the `train` fold) plus the last sampled
    layers of each run, whose dead/saturated shares carry the members' range."""

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
            val_score=[None if m.diverged else _finite(m.val_score) for m in members],
            val_loss=[None if m.diverged else _finite(m.val_loss) for m in members],
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


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


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


@dataclass(frozen=True)
class Row:
    """Cells of one (dataset, activation) that train together (engine/row.py): the raw run
    once, every trained scaler's run beside it."""

    dataset: str
    activation: str
    cells: tuple[Cell, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"cells": [cell.to_dict() for cell in self.cells]}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Row:
        cells = tuple(Cell(**cell) for cell in values["cells"])
        return cls(cells[0].dataset, cells[0].activation, cells)

    def label(self) -> str:
        return f"{os.path.basename(self.dataset)} · {self.activation}"


def rows_of(cells: Sequence[Cell]) -> list[Row]:
    """The cells grouped by (dataset, activation), in the order they come."""
    grouped: dict[tuple[str, str], list[Cell]] = {}
    for cell in cells:
        grouped.setdefault(cell.row, []).append(cell)
    return [Row(dataset, activation, tuple(row)) for (dataset, activation), row in grouped.items()]


def spread(rows: Sequence[Row], workers: int) -> list[Row]:
    """The rows, the largest halved (each half trains its own raw run) until every worker has
    one or every piece is a single cell: on a cluster with more workers than rows, an idle
    worker costs more than training a raw run again."""
    pieces = list(rows)
    while len(pieces) < workers:
        index = max(range(len(pieces)), key=lambda i: len(pieces[i].cells))
        row = pieces[index]
        if len(row.cells) == 1:
            break
        half = len(row.cells) // 2
        pieces[index : index + 1] = [
            Row(row.dataset, row.activation, row.cells[:half]),
            Row(row.dataset, row.activation, row.cells[half:]),
        ]
    return pieces


# A row packs as many scalers into one model as fit this many float32 values per pass (inputs
# plus hidden activations and their gradients, every member): ~200 MB. A big table trains its
# scalers a few at a time, each chunk with its own raw group (the same numbers, trained again).
PACK_VALUES = 50_000_000


def pack_size(data: PreparedData, config: SessionConfig, seeds: int) -> int:
    """How many groups (the raw one included, at least the pair) one model of the row holds."""
    n_train, n_val = len(data.y_train), len(data.y_val)
    inputs = (n_train + n_val) * len(data.feature_names)
    batch = min(config.batch_size or n_train, n_train)
    hidden = 3 * max(batch, n_val) * sum(config.hidden)
    return max(2, PACK_VALUES // max(1, seeds * (inputs + hidden)))


class RowRunner:
    """Runs rows one at a time (engine/row.py); `stop()` (any thread, a signal handler too)
    ends the row in progress at its next epoch, and that row gives no results.

    Prepared data is kept for the rows of the dataset in progress (a row per activation needs
    the same splits and scalers), where it fits one packed model.
    """

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._prepared: dict[tuple[SessionConfig, str], tuple[PreparedData, ...]] = {}
        self._stream: DataStream | None = None

    def stop(self) -> None:
        self.stopped.set()

    def prefetch(self, plan: SweepPlan, rows: Sequence[Row]) -> None:
        """Prepare the rows' data in a child process from now on, in the order they will run
        (presets only): scikit-learn imports there while torch imports here, and the next
        dataset is prepared on the cores training leaves idle. `close()` ends it."""
        from normtui.engine.prefetch import DataStream

        if any(is_csv(dataset) for dataset in plan.datasets):
            return  # a big file is read once, when its row comes, not held twice
        configs: dict[SessionConfig, None] = {}
        for row in rows:
            config = _data_key(plan.session_config(row.cells[0]))
            for cell in row.cells:
                configs[config.replace(scaler=plan.trained_scaler(cell) or SCALERS[0])] = None
        self.close()
        self._stream = DataStream.start(list(configs))

    def close(self) -> None:
        """Stop the data prefetch, if any (idempotent)."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def run(self, plan: SweepPlan, row: Row) -> list[CellResult] | None:
        """A result per cell of the row (with `error` set where it failed); None when stopped."""
        if self.stopped.is_set():
            return None
        start = time.perf_counter()
        scalers = list(dict.fromkeys(plan.trained_scaler(cell) or "" for cell in row.cells))
        config = plan.session_config(row.cells[0])
        folds = {scaler: _Fold(plan.goal_accuracy, plan.goal_r2) for scaler in scalers}
        from normtui.engine.row import train_row  # torch

        try:
            for chunk in self._chunks(config, scalers):
                sinks = {scaler: folds[scaler] for scaler in chunk}
                if train_row(config, chunk, sinks, self.stopped) == "stopped":
                    return None
        except UsageError as error:  # the data cannot be used: every cell says why, as train
            return [_failed(plan, cell, str(error)) for cell in row.cells]
        except Exception as error:
            return [_failed(plan, cell, one_line(error)) for cell in row.cells]
        if self.stopped.is_set():
            return None
        seconds = (time.perf_counter() - start) / len(row.cells)  # the row's time, shared
        return [
            _result(plan, cell, folds[plan.trained_scaler(cell) or ""], seconds)
            for cell in row.cells
        ]

    def _chunks(
        self, config: SessionConfig, scalers: list[str]
    ) -> Iterator[dict[str, tuple[PreparedData, ...]]]:
        """The row's scalers with their prepared data, as many per model as `pack_size` allows."""
        from normtui.engine.data import load_dataset, prepare_members

        key = _data_key(config)
        if any(cached != key for cached, _ in self._prepared):
            self._prepared.clear()  # another dataset or setting: the old splits go
        dataset = None
        chunk: dict[str, tuple[PreparedData, ...]] = {}
        size = 0
        for scaler in scalers:
            prepared = self._prepared.get((key, scaler))
            if prepared is None and self._stream is not None:
                prepared = self._stream.take(key.replace(scaler=scaler), self.stopped)
            if self.stopped.is_set():
                return
            if prepared is None:
                if dataset is None:
                    dataset = load_dataset(config)
                prepared = prepare_members(config.replace(scaler=scaler), dataset)
            if not size:
                size = pack_size(prepared[0], config, len(prepared))
                keep = size > len(scalers)  # the whole row fits one model: keep its data
            if keep:
                self._prepared[(key, scaler)] = prepared
            chunk[scaler] = prepared
            if len(chunk) == size - 1:
                yield chunk
                chunk = {}
        if chunk:
            yield chunk


def _data_key(config: SessionConfig) -> SessionConfig:
    """`config` with what does not change its prepared data (activation, scaler) set to one
    value: the rows of a dataset share it."""
    return config.replace(activation=ACTIVATIONS[0], scaler=SCALERS[0])


def _failed(plan: SweepPlan, cell: Cell, error: str) -> CellResult:
    seeds = tuple(range(plan.seed, plan.seed + plan.seeds))
    return CellResult(cell=cell, seeds=seeds, epochs=plan.epochs, error=error, host=_host())


def _result(plan: SweepPlan, cell: Cell, fold: _Fold, seconds: float) -> CellResult:
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


_WORKER_RUNNER: RowRunner | None = None


def run_row_task(plan: dict[str, Any], row: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A row as plain data in and out: what worker processes and Dask workers run."""
    global _WORKER_RUNNER
    if _WORKER_RUNNER is None:
        _WORKER_RUNNER = RowRunner()
    results = _WORKER_RUNNER.run(SweepPlan.from_dict(plan), Row.from_dict(row))
    return None if results is None else [result.to_dict() for result in results]


def cells_of(results: Iterable[CellResult]) -> dict[str, CellResult]:
    return {result.cell.key: result for result in results}
