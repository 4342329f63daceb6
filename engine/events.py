"""The event schema: small frozen JSON-serialisable dataclasses shared by UI, log and CLI.

This module imports neither torch nor textual, so `replay` and `watch` stay light.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

from normtui.engine.checked import FieldTypeError, check_fields

SCHEMA_VERSION = 2  # 2: per-member values (Members, *_range, RunDiverged.member)
READABLE_SCHEMAS: tuple[int, ...] = (1, 2)  # a version-1 log reads as one-seed runs
RUN_NAMES: tuple[str, str] = ("raw", "normalized")


class RunStatus(StrEnum):
    """Where a run stands. A trainer's run is running, finished, diverged or failed; a viewer
    adds loading (before the first event), paused, and stopped (the session ended early)."""

    LOADING = "loading"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"


ACTIVE_STATUSES = frozenset({RunStatus.LOADING, RunStatus.RUNNING, RunStatus.PAUSED})


@dataclass(frozen=True)
class Histogram:
    """Counts on bin edges shared by both runs, so the two can be drawn on one axis."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True)
class LayerStats:
    """What one hidden layer looked like over the validation pass at the end of an epoch."""

    layer: int  # 1-based hidden layer index
    width: int
    pre_min: float
    pre_max: float
    pre_mean: float
    pre_std: float
    dead_fraction: float | None  # units never positive over the val pass (ReLU family), else None
    saturated_fraction: float | None  # share of activations saturated (tanh, sigmoid), else None
    grad_norm: float  # L2 norm of this layer's weight gradient at the epoch's last step
    update_ratio: float  # ||W_end - W_start|| / ||W_start|| over the epoch
    pre_hist: Histogram | None = None
    post_hist: Histogram | None = None
    zero_fraction: float | None = None  # share of activations exactly 0 (ReLU family), else None
    # With several members: dead/saturated_fraction are the member mean, these the min..max.
    dead_range: tuple[float, float] | None = None
    saturated_range: tuple[float, float] | None = None
    # First layer only, on sampled epochs: each source feature's share of the layer's
    # pre-activation variance (engine/listens.py), member mean; with several members their
    # min..max per feature. None: another layer, or a log written before it existed.
    input_share: tuple[float, ...] | None = None
    input_share_range: tuple[tuple[float, float], ...] | None = None


@dataclass(frozen=True)
class Members:
    """Per-member values of one run at one epoch, member k trained with seed `seeds[k]`."""

    seeds: tuple[int, ...]
    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    train_score: tuple[float, ...]  # accuracy, or R² for regression
    val_score: tuple[float, ...]
    diverged: tuple[bool, ...]  # a diverged member is left out of means, bands, statistics


@dataclass(frozen=True)
class Event:
    """Base of every event; `kind` names it in JSON."""

    kind: ClassVar[str] = "event"
    time_s: float  # seconds since the session started

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class DataLoading(Event):
    """A data file is being read, before `SessionStarted`: sent once per chunk of rows."""

    kind: ClassVar[str] = "data_loading"
    source: str  # the file's name
    rows: int  # data rows read so far
    rows_per_s: float
    fraction: float | None  # share of the file's bytes read; None when its size is unknown
    elapsed_s: float  # seconds spent reading so far
    done: bool = False  # every row is read; encoding and scaling follow

    def describe(self) -> str:
        """One line for a loading screen or a terminal, numbers first (a narrow pane cuts the
        end): "340,000 rows read (34%) · 410,000 rows/s · x.csv"."""
        if self.done:
            return (
                f"{self.rows:,} rows read in {self.elapsed_s:.1f} s · encoding and scaling…"
                f" · {self.source}"
            )
        share = f" ({self.fraction:.0%})" if self.fraction is not None else ""
        return f"{self.rows:,} rows read{share} · {self.rows_per_s:,.0f} rows/s · {self.source}"


@dataclass(frozen=True)
class SessionStarted(Event):
    """First event: what is being trained, and the input scales before/after the scaler."""

    kind: ClassVar[str] = "session_started"
    config: dict[str, Any]
    dataset: str
    n_train: int
    n_val: int
    n_features: int
    n_classes: int
    feature_names: tuple[str, ...]
    raw_feature_std: tuple[float, ...]
    scaled_feature_std: tuple[float, ...]
    device: str
    parameters: int
    task: str = "classification"  # or "regression": then n_classes is 0, one output
    n_numeric: int | None = None  # numeric columns come first; None: every column is numeric
    imputed_cells: int = 0  # missing cells filled from the training split (--missing impute)
    dropped_rows: int = 0  # rows left out for a missing cell (--missing drop)
    member_seeds: tuple[int, ...] = ()  # each member's seed (engine/seeds.py); () in older logs
    # Classification (engine/classes.py): each label and its rows (train + val of member 0),
    # and the val accuracy of always predicting the training split's largest class (the
    # members' mean). Empty / None for regression and in logs written before they existed.
    class_names: tuple[str, ...] = ()
    class_counts: tuple[int, ...] = ()
    majority_baseline: float | None = None
    n_test: int = 0  # rows held out per seed (a learning-rate grid's `--test-split`); 0: none


@dataclass(frozen=True)
class EpochEnd(Event):
    """One run finished one epoch."""

    kind: ClassVar[str] = "epoch"
    run: str
    epoch: int  # 1-based, counted since the last restart
    train_loss: float
    val_loss: float
    train_accuracy: float
    val_accuracy: float
    learning_rate: float
    activation: str
    elapsed_s: float  # seconds of training for this run since the last restart
    # Per hidden layer; sampled at most every `hist_interval_s` (plus the first epoch after a
    # start, restart or swap, and the last epoch): empty on the epochs in between.
    layers: tuple[LayerStats, ...] = field(default_factory=tuple)
    # Regression: R² (the accuracies are then NaN, null in JSON); losses in the target's units.
    train_r2: float | None = None
    val_r2: float | None = None
    # Several seeds: each member's values; the scalar fields above are then the mean over the
    # members that have not diverged (NaN when all have). None: a one-seed run, a schema-1 log.
    members: Members | None = None

    @property
    def val_score(self) -> float:
        """The headline metric: validation R² for regression, else validation accuracy."""
        return self.val_accuracy if self.val_r2 is None else self.val_r2

    @property
    def train_score(self) -> float:
        return self.train_accuracy if self.train_r2 is None else self.train_r2


Grid = tuple[tuple[float, ...], ...]  # [rate][seed]


@dataclass(frozen=True)
class GridEpoch(Event):
    """A learning-rate grid's epoch for one run (engine/grid.py): every rate's seeds. The run's
    `EpochEnd` of the same epoch reports the seeds of the `chosen` rate (its learning_rate).

    Per rate and seed; a diverged member's values are NaN (null in JSON). The test values are
    the held-out rows' (`--test-split`): reported, never used to choose.
    """

    kind: ClassVar[str] = "grid_epoch"
    run: str
    epoch: int
    rates: tuple[float, ...]  # as trained now: `+`/`-` shift the whole grid
    chosen: int  # index into `rates`: the best on the validation rows at this epoch
    seeds: tuple[int, ...]
    train_loss: Grid
    val_loss: Grid
    val_score: Grid  # accuracy, or R² for regression
    test_loss: Grid
    test_score: Grid
    diverged: tuple[tuple[bool, ...], ...]

    def members_at(self, rate: int) -> Members:
        """One rate's seeds, as a run's EpochEnd carries its members (no train score: NaN)."""
        return Members(
            seeds=self.seeds,
            train_loss=self.train_loss[rate],
            val_loss=self.val_loss[rate],
            train_score=(math.nan,) * len(self.seeds),
            val_score=self.val_score[rate],
            diverged=self.diverged[rate],
        )

    def check_shape(self) -> None:
        """ValueError unless every grid is rates × seeds and `chosen` is one of the rates."""
        rates, seeds = len(self.rates), len(self.seeds)
        for name in ("train_loss", "val_loss", "val_score", "test_loss", "test_score", "diverged"):
            grid = getattr(self, name)
            if len(grid) != rates or any(len(row) != seeds for row in grid):
                raise FieldTypeError(name, grid, f"{rates} rates x {seeds} seeds")
        if not 0 <= self.chosen < rates:
            raise FieldTypeError("chosen", self.chosen, f"a rate index below {rates}")


@dataclass(frozen=True)
class Paused(Event):
    kind: ClassVar[str] = "paused"
    epoch: int


@dataclass(frozen=True)
class Resumed(Event):
    kind: ClassVar[str] = "resumed"
    epoch: int


@dataclass(frozen=True)
class ActivationChanged(Event):
    """Both runs switched activation before `epoch` + 1; `keep_weights` False means a restart."""

    kind: ClassVar[str] = "activation_changed"
    epoch: int
    activation: str
    previous: str
    keep_weights: bool


@dataclass(frozen=True)
class LearningRateChanged(Event):
    kind: ClassVar[str] = "lr_changed"
    epoch: int
    learning_rate: float


@dataclass(frozen=True)
class PaceChanged(Event):
    kind: ClassVar[str] = "pace_changed"
    epochs_per_s: float | None  # None = unlimited


@dataclass(frozen=True)
class Restarted(Event):
    """Both runs start again from the session's initial weights (each member's own, shared by
    raw and normalized: the same start as the first); epochs count from 1 again."""

    kind: ClassVar[str] = "restarted"
    activation: str
    learning_rate: float


@dataclass(frozen=True)
class RunDiverged(Event):
    kind: ClassVar[str] = "diverged"
    run: str
    epoch: int
    # The loss that broke the rule (engine/divergence.py) as text: "nan", "inf" (JSON has no
    # spelling for them), or a runaway training loss such as "741234.5".
    loss: str
    member: int | None = None  # which member diverged; None: the whole (one-seed) run
    # A runaway: the trivial predictor's loss it grew past RUNAWAY_MULTIPLE times of (older
    # logs: the first epoch's loss). None when the loss is not finite.
    reference: float | None = None


@dataclass(frozen=True)
class RunFailed(Event):
    """A run's worker raised (including device out-of-memory); the other run goes on."""

    kind: ClassVar[str] = "failed"
    run: str
    epoch: int
    error: str


@dataclass(frozen=True)
class RunFinished(Event):
    kind: ClassVar[str] = "finished"
    run: str
    epoch: int


@dataclass(frozen=True)
class SessionEnded(Event):
    """Last event of a session. reason: completed, stopped, signal name, or error."""

    kind: ClassVar[str] = "session_ended"
    reason: str
    epoch: int
    error: str | None = None
    usage_error: bool = False  # the error is the user's input (exit code 2), not a crash


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        DataLoading,
        SessionStarted,
        EpochEnd,
        GridEpoch,
        Paused,
        Resumed,
        ActivationChanged,
        LearningRateChanged,
        PaceChanged,
        Restarted,
        RunDiverged,
        RunFailed,
        RunFinished,
        SessionEnded,
    )
}


def strict_json(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None, so it is strict JSON (jq reads it).

    A diverging run produces such numbers; readers turn them back into NaN (`event_from_dict`).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    return value


@functools.cache
def _float_fields(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(spec.name for spec in dataclasses.fields(cls) if spec.type == "float")


def _non_finite_back(cls: type[DataclassInstance], values: dict[str, Any]) -> dict[str, Any]:
    """A `float` field written as null (a NaN or an infinity) reads back as NaN."""
    for name in _float_fields(cls):
        if name in values and values[name] is None:
            values[name] = math.nan
    return values


def _listed(value: Any, field_name: str) -> list[Any]:
    """A JSON list, or FieldTypeError naming the field (a string is not a list of names)."""
    if not isinstance(value, list):
        raise FieldTypeError(field_name, value, "a list")
    return value


def _object(value: Any, field_name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldTypeError(field_name, value, "an object")
    return value


def _histogram(data: Any, field_name: str) -> Histogram | None:
    if data is None:
        return None
    data = _object(data, field_name)
    return Histogram(
        edges=_floats(data.get("edges"), f"{field_name}.edges"),
        counts=tuple(_listed(data.get("counts"), f"{field_name}.counts")),
    )


def _floats(values: Any, field_name: str) -> tuple[float, ...]:
    """A JSON list of numbers back as a tuple; null (a NaN or an infinity) reads as NaN."""
    return tuple(
        math.nan if value is None else float(value) if type(value) in (int, float) else value
        for value in _listed(values, field_name)
    )


def _range(values: Any, field_name: str) -> tuple[float, float] | None:
    if values is None:
        return None
    return cast("tuple[float, float]", _floats(values, field_name))  # checked: two numbers


def _layer(data: Any, field_name: str) -> LayerStats:
    values = _known(LayerStats, _non_finite_back(LayerStats, dict(_object(data, field_name))))
    for key in ("pre_hist", "post_hist"):
        values[key] = _histogram(values.get(key), f"{field_name}.{key}")
    for key in ("dead_range", "saturated_range"):
        values[key] = _range(values.get(key), f"{field_name}.{key}")
    if values.get("input_share") is not None:
        values["input_share"] = _floats(values["input_share"], f"{field_name}.input_share")
    if values.get("input_share_range") is not None:
        where = f"{field_name}.input_share_range"
        values["input_share_range"] = tuple(
            _range(pair, f"{where}[{i}]")
            for i, pair in enumerate(_listed(values["input_share_range"], where))
        )
    return _build(LayerStats, values, f"{field_name}.")


def _members(data: Any) -> Members | None:
    if data is None:
        return None
    data = _object(data, "members")
    return Members(
        seeds=tuple(_listed(data.get("seeds"), "members.seeds")),
        train_loss=_floats(data.get("train_loss"), "members.train_loss"),
        val_loss=_floats(data.get("val_loss"), "members.val_loss"),
        train_score=_floats(data.get("train_score"), "members.train_score"),
        val_score=_floats(data.get("val_score"), "members.val_score"),
        diverged=tuple(_listed(data.get("diverged"), "members.diverged")),
    )


def _known(cls: type[DataclassInstance], values: dict[str, Any]) -> dict[str, Any]:
    """Only the fields `cls` has: a key this version does not know is left out, not fatal."""
    names = {spec.name for spec in dataclasses.fields(cls)}
    return {key: value for key, value in values.items() if key in names}


def _build(cls: type[DataclassInstance], values: dict[str, Any], prefix: str = "") -> Any:
    """`cls(**values)` with every field's type checked; FieldTypeError names a missing one."""
    for spec in dataclasses.fields(cls):
        no_default = spec.default is dataclasses.MISSING
        if no_default and spec.default_factory is dataclasses.MISSING and spec.name not in values:
            raise FieldTypeError(prefix + spec.name, None, "present", missing=True)
    instance = cls(**values)
    check_fields(instance, prefix=prefix)
    return instance


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON form, every field checked against its declared type.

    Raises FieldTypeError (a ValueError) naming the field that is missing or of the wrong type,
    so a damaged log is refused where it is read instead of failing later on screen.
    """
    values = dict(data)
    kind = values.pop("event", None)
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise FieldTypeError("event", kind, "an event kind")
    values = _known(cls, _non_finite_back(cls, values))
    if cls is EpochEnd:
        layers = _listed(values.get("layers", []), "layers")
        values["layers"] = tuple(_layer(layer, f"layers[{i}]") for i, layer in enumerate(layers))
        values["members"] = _members(values.get("members"))
    elif cls is GridEpoch:
        for key in ("train_loss", "val_loss", "val_score", "test_loss", "test_score"):
            rows = _listed(values.get(key), key)
            values[key] = tuple(_floats(row, f"{key}[{i}]") for i, row in enumerate(rows))
        rows = _listed(values.get("diverged"), "diverged")
        values["diverged"] = tuple(
            tuple(_listed(row, f"diverged[{i}]")) for i, row in enumerate(rows)
        )
        for key in ("rates", "seeds"):
            values[key] = tuple(_listed(values.get(key), key))
        event = _build(cls, values)
        event.check_shape()
        return event
    elif cls is SessionStarted:
        for key in ("feature_names", "raw_feature_std", "scaled_feature_std"):
            if key in values:
                values[key] = tuple(_listed(values[key], key))
        values["member_seeds"] = tuple(_listed(values.get("member_seeds", []), "member_seeds"))
        for key in ("class_names", "class_counts"):  # absent from older logs
            values[key] = tuple(_listed(values.get(key, []), key))
    return _build(cls, values)
