"""Session configuration: plain data, validated once, shared by CLI, UI, engine and log header.

Imports no torch: the CLI validates options before any heavy import.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from normtui.engine.errors import UsageError

DATASETS: tuple[str, ...] = (
    "wine",
    "breast_cancer",
    "digits",
    "iris",
    "seed",
    "scales",
    "moons",
    "circles",
    "diabetes",
    "scales_regression",
)
SCALERS: tuple[str, ...] = ("standard", "minmax", "robust", "maxabs", "quantile")
# Normalization inside the network: the normalized run gets the raw inputs and its model starts
# with this layer (engine/models.py); the raw run is unchanged.
IN_NETWORK_SCALERS: dict[str, str] = {"batchnorm": "batch", "layernorm": "layer"}
HIDDEN_NORMS: tuple[str, ...] = ("none", "batch", "layer")
ACTIVATIONS: tuple[str, ...] = (
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "tanh",
    "sigmoid",
    "identity",
)
# Activations whose units can "die" (never positive) and those that saturate.
RELU_FAMILY: frozenset[str] = frozenset({"relu", "leaky_relu", "prelu", "elu", "selu"})
SATURATING: frozenset[str] = frozenset({"tanh", "sigmoid"})
# "Dead" (a unit never positive on any training row: no gradient at all, Lu et al. 2019 "Dying
# ReLU") applies to ReLU alone: leaky/PReLU/ELU/SELU still pass a gradient on the negative side.
DEAD_CAPABLE: frozenset[str] = frozenset({"relu"})
# A tanh/sigmoid unit is saturated when its derivative is under this share of its largest
# (tanh' = 1 − y², max 1: |y| > 0.975; sigmoid' = y(1 − y), max 1/4: y < 0.0127 or > 0.987) on
# every training row: one threshold for both, counted per unit as dead units are.
SATURATION_DERIVATIVE = 0.05
# Dead and saturated units are judged on at most this many training rows (a sample beyond it).
STUCK_MAX_ROWS = 8192
OPTIMIZERS: tuple[str, ...] = ("adam", "adamw", "sgd", "rmsprop")
TASKS: tuple[str, ...] = ("auto", "classification", "regression")
# Affine target scalers only: a loss on the scaled target converts back to the target's own units.
TARGET_SCALERS: tuple[str, ...] = ("none", "standard", "minmax", "robust", "maxabs")
MISSING: tuple[str, ...] = ("impute", "drop", "error")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
# The raw run's first layer at the start: PyTorch's default draw, or that draw re-expressed for
# the raw inputs' scale (engine/models.py `fit_first_layer`).
RAW_INITS: tuple[str, ...] = ("default", "data")

SPREAD_FLOOR = 1e-9  # a feature whose std is below this share of the largest counts as constant
MAX_EPOCHS = 10_000_000
MAX_HIDDEN_WIDTH = 65_536
MAX_HIDDEN_LAYERS = 16
MAX_SEEDS = 256
MAX_RATES = 16
# `--lrs auto`: log-spaced, half a decade apart (1, 3, 10, ...), 7 rates over 3 decades around
# each optimizer's usual default (Adam's 1e-3; SGD with momentum works ~1-2 decades higher).
# Half decades: the measured bands are 1-5 rates wide at this spacing, so a band of
# one rate is still visible; finer spacing would cost members (each rate is `--seeds` members)
# without changing which decade wins. The held-out share when a grid is given without one.
AUTO_RATES: dict[str, tuple[float, ...]] = {
    "adam": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
    "adamw": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
    "rmsprop": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
    "sgd": (1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0),
}
DEFAULT_TEST_SPLIT = 0.2
# Seeds per run for `normtui` and `normtui train` (SessionConfig's own default stays 1: the plain
# one-seed model). Ten, because a verdict decided by divergences is an exact sign test, which
# cannot reach p < 0.05 below 6 seeds (5/5 gives 0.0625) and at 10 reaches it at 9/10 (0.021);
# the corrected t gains 9 degrees of freedom. The cost, measured as whole processes
# (`normtui train --dataset wine`, 2 busy cores, medians of 3): 1 seed 10.0 s, 5 seeds 13.1 s,
# 10 seeds 13.3 s. On an arithmetic-bound workload members cost about a run each
# (benchmarks/seeds.py), where `--seeds 1` is the fast choice.
DEFAULT_SEEDS = 10
# ...except for a table file this large: each member holds its own split and scaled copy of the
# data, and such a model is arithmetic-bound, so 10 seeds would cost 10x the memory and time
# (a 1M-row table: ~5 GB). One seed there unless --seeds asks for more.
LARGE_TABLE_BYTES = 16 * 2**20


def default_seeds(csv_path: str | None) -> int:
    """The seed count when --seeds is not given: DEFAULT_SEEDS, or 1 for a large table file."""
    if csv_path:
        try:
            if os.path.getsize(csv_path) > LARGE_TABLE_BYTES:
                return 1
        except OSError:
            pass  # unreadable: the loader says so
    return DEFAULT_SEEDS


# Memory guards, checked before anything is allocated. A weight costs ~40 bytes across both runs
# (weights, gradients, Adam's two moments, the shared initial copy); an activation value is kept
# a few times over (pre- and post-activation, autograd). Beyond these a run would be killed by
# the operating system's out-of-memory killer instead of stopping with a message.
MAX_WEIGHTS = 50_000_000  # per model
MAX_ACTIVATIONS = 200_000_000  # per layer stack and pass: rows in one pass x sum of widths


class ConfigError(UsageError):
    """A configuration the engine cannot train: an option out of range, an unknown name."""


class JsonDataclass:
    """`to_dict` / `from_dict` for a dataclass whose tuple fields travel as JSON lists; keys the
    dataclass does not know (a newer log's) are ignored."""

    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = ()
    # Declared for type checkers: every subclass is a dataclass (what asdict and fields need).
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        for key in self.TUPLE_FIELDS:
            values[key] = list(values[key])
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        known = {spec.name for spec in dataclasses.fields(cls)}
        kwargs = {key: value for key, value in values.items() if key in known}
        for key in cls.TUPLE_FIELDS:
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


@dataclass(frozen=True)
class SessionConfig(JsonDataclass):
    """Everything that defines a paired session; the runs differ only in the input transform."""

    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = ("hidden", "categorical", "ignore", "lrs")

    dataset: str = "wine"
    csv_path: str | None = (
        None  # when set, `dataset` is ignored and `target` names the label column
    )
    target: str | None = None
    scaler: str = "standard"
    activation: str = "relu"
    hidden: tuple[int, ...] = (64,)
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int | None = None  # None = full batch, as the origin post
    epochs: int | None = 100  # None = until stopped
    seed: int = 0
    seeds: int = 1  # members per run, each its own seed (engine/seeds.py): init, split, batches
    val_split: float = 0.2
    device: str = "auto"
    goal_accuracy: float = 0.95
    goal_r2: float = 0.9  # regression's goal, as goal_accuracy is classification's
    task: str = "auto"  # auto: a numeric target with fractions or many values is regression
    target_scaler: str = "standard"  # regression: applied to the target of both runs alike
    missing: str = "impute"  # empty/NA/?-cells: impute (train-split median / mode), drop, error
    categorical: tuple[str, ...] = ()  # CSV columns to one-hot even if their values are numbers
    ignore: tuple[str, ...] = ()  # CSV columns left out (ids, free text)
    max_categories: int = 50  # more levels than this in a text column is refused, by name
    pace: float | None = None  # max epochs per second; None = unlimited
    hist_interval_s: float = 0.1  # sample histograms at most this often; 0 = every epoch
    hist_bins: int = 32
    parallel: bool = True  # runs in two threads (True) or one after the other (False)
    raw_init: str = "default"  # data: the raw run's first layer fitted to its inputs' scale
    hidden_norm: str = "none"  # batch/layer: a normalization after each hidden Linear, both runs
    # A learning-rate grid (engine/grid.py): each run trains seeds x rates members, each member
    # at its own rate; () = no grid, every member at `lr`. Sorted, distinct.
    lrs: tuple[float, ...] = ()
    # With a grid: the share of rows held out from training and from choosing a rate, on which
    # the tuned verdict is judged (0 = none; a grid needs some: see validate).
    test_split: float = 0.0

    def __post_init__(self) -> None:
        validate(self)

    @property
    def members(self) -> int:
        """Members per run: one per seed, times the grid's rates."""
        return self.seeds * max(1, len(self.lrs))

    @property
    def source_name(self) -> str:
        return self.csv_path if self.csv_path else self.dataset

    def replace(self, **changes: Any) -> SessionConfig:
        return dataclasses.replace(self, **changes)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; choose from: {', '.join(choices)}")


def validate(config: SessionConfig) -> None:
    """Raise ConfigError with a one-line message for the first problem found."""
    if config.csv_path is None:
        _choice("dataset", config.dataset, DATASETS)
    elif not config.target:
        # what is wrong with the path comes first: asking for --target, then saying the file
        # is missing (or a directory) sends a user round twice
        shown = repr(config.csv_path)
        if os.path.isdir(config.csv_path):
            raise ConfigError(f"CSV path {shown} is a directory, not a file")
        if not os.path.exists(config.csv_path):
            raise ConfigError(f"CSV file {shown} not found")
        raise ConfigError("a CSV dataset needs --target COLUMN naming the label column")
    _choice("scaler", config.scaler, SCALERS + tuple(IN_NETWORK_SCALERS))
    _choice("hidden norm", config.hidden_norm, HIDDEN_NORMS)
    _choice("activation", config.activation, ACTIVATIONS)
    _choice("optimizer", config.optimizer, OPTIMIZERS)
    _choice("device", config.device, DEVICES)
    _choice("raw init", config.raw_init, RAW_INITS)
    if not config.hidden:
        raise ConfigError("hidden needs at least one layer width, e.g. 64 or 128,64")
    if len(config.hidden) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"hidden has {len(config.hidden)} layers; at most {MAX_HIDDEN_LAYERS}")
    for width in config.hidden:
        if not 1 <= width <= MAX_HIDDEN_WIDTH:
            raise ConfigError(f"hidden width {width} out of range 1..{MAX_HIDDEN_WIDTH}")
    if not (0.0 < config.lr <= 10.0) or config.lr != config.lr:
        raise ConfigError(f"lr {config.lr} out of range: must be > 0 and <= 10")
    if config.batch_size is not None and config.batch_size < 1:
        raise ConfigError(f"batch size {config.batch_size} out of range: must be >= 1")
    if config.epochs is not None and not 1 <= config.epochs <= MAX_EPOCHS:
        raise ConfigError(f"epochs {config.epochs} out of range 1..{MAX_EPOCHS}")
    if not 0.05 <= config.val_split <= 0.9:
        raise ConfigError(f"val split {config.val_split} out of range 0.05..0.9")
    if not 0.0 < config.goal_accuracy <= 1.0:
        raise ConfigError(f"goal accuracy {config.goal_accuracy} out of range: (0, 1]")
    if not 0.0 < config.goal_r2 <= 1.0:  # also refuses nan
        raise ConfigError(f"goal R² {config.goal_r2} out of range: (0, 1]")
    _choice("task", config.task, TASKS)
    _choice("target scaler", config.target_scaler, TARGET_SCALERS)
    _choice("missing-value policy", config.missing, MISSING)
    if not 2 <= config.max_categories <= 10_000:
        raise ConfigError(f"max categories {config.max_categories} out of range 2..10000")
    if config.csv_path is None and (config.categorical or config.ignore):
        raise ConfigError("--categorical and --ignore apply to CSV files only")
    if config.pace is not None and not config.pace > 0:
        raise ConfigError(f"pace {config.pace} out of range: epochs per second must be > 0")
    if config.seed < 0 or config.seed > 2**32 - 1:
        raise ConfigError(f"seed {config.seed} out of range 0..{2**32 - 1}")
    if not 1 <= config.seeds <= MAX_SEEDS:
        raise ConfigError(f"seeds {config.seeds} out of range 1..{MAX_SEEDS}")
    if not 2 <= config.hist_bins <= 256:
        raise ConfigError(f"histogram bins {config.hist_bins} out of range 2..256")
    if not config.hist_interval_s >= 0:  # also refuses nan
        raise ConfigError("histogram interval must be >= 0 seconds")
    _check_grid(config)
    check_model_size(config.hidden, members=config.members)  # a grid's rates are members too


def _check_grid(config: SessionConfig) -> None:
    """A grid's rates (sorted, distinct, in lr's range, a few) and its held-out share."""
    if not 0.0 <= config.test_split <= 0.5:  # also refuses nan
        raise ConfigError(f"test split {config.test_split} out of range 0..0.5")
    if not config.lrs:
        return
    if len(config.lrs) < 2 or len(config.lrs) > MAX_RATES:
        raise ConfigError(f"a learning-rate grid needs 2..{MAX_RATES} rates, got {len(config.lrs)}")
    for rate in config.lrs:
        if not 0.0 < rate <= 10.0:
            raise ConfigError(f"learning rate {rate} in --lrs out of range: must be > 0 and <= 10")
    if list(config.lrs) != sorted(set(config.lrs)):
        raise ConfigError("--lrs rates must be distinct and in increasing order")
    if not config.test_split >= 0.05:
        raise ConfigError(
            "a learning-rate grid needs --test-split of at least 0.05: the rate chosen on the"
            " validation rows is judged on rows nobody chose with"
        )
    if config.val_split + config.test_split > 0.8:
        raise ConfigError(
            f"val split {config.val_split} + test split {config.test_split} leave under 20% of"
            " the rows to train on"
        )


def _count(n: int) -> str:
    for size, word in ((10**9, "billion"), (10**6, "million")):
        if n >= size:
            return f"{n / size:.3g} {word}"
    return f"{n:,}"


def check_model_size(
    hidden: tuple[int, ...],
    n_features: int = 0,
    n_classes: int = 0,
    rows_per_pass: int = 0,
    members: int = 1,
) -> None:
    """ConfigError when the MLP would not fit in memory; zeros skip what is not known yet.

    Called with the hidden widths alone when the config is validated, and again with the data's
    features, classes and the rows of the largest pass once the data is loaded.
    """
    widths = [w for w in (n_features, *hidden, n_classes) if w]
    weights = members * sum(a * b + b for a, b in itertools.pairwise(widths))
    shown = ",".join(str(w) for w in hidden)
    times = f" x {members} seeds" if members > 1 else ""
    fewer = " or fewer --seeds" if members > 1 else ""
    if weights > MAX_WEIGHTS:
        where = f" for {n_features} features" if n_features else ""
        raise ConfigError(
            f"hidden {shown}{where}{times} needs {_count(weights)} weights"
            f" per {'run' if members > 1 else 'model'};"
            f" at most {_count(MAX_WEIGHTS)} fit in memory: use narrower or fewer layers{fewer}"
        )
    activations = members * rows_per_pass * sum(hidden)
    if activations > MAX_ACTIVATIONS:
        raise ConfigError(
            f"hidden {shown}{times} on {rows_per_pass:,} rows at once needs"
            f" {_count(activations)} activation values; at most {_count(MAX_ACTIVATIONS)} fit in"
            f" memory: use narrower layers, a smaller --batch-size or a smaller --val-split{fewer}"
        )


def parse_columns(text: str | None) -> tuple[str, ...]:
    """Parse 'a,b' into column names (None or '' is none)."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def parse_hidden(text: str) -> tuple[int, ...]:
    """Parse '64' or '128,64' into widths; ConfigError on anything else."""
    parts = [p.strip() for p in text.split(",")]
    try:
        widths = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"hidden {text!r} is not a comma-separated list of integers, e.g. 64 or 128,64"
        ) from None
    return widths


def canonical_name(text: str) -> str:
    """A dataset or option name as typed (`Breast-Cancer`) in its canonical form."""
    return text.strip().lower().replace("-", "_")


def parse_dataset(text: str) -> tuple[str, str | None]:
    """(preset, None) for a bundled dataset, ("csv", path) for a table file; ConfigError else.

    `normtui`, `normtui train` and `normtui sweep --datasets` all read a dataset this way."""
    preset = canonical_name(text)
    if preset in DATASETS:
        return preset, None
    looks_like_file = text.lower().endswith(".csv") or os.sep in text
    if not (looks_like_file or os.path.exists(text)):
        raise ConfigError(
            f"unknown dataset {text!r}; choose from: {', '.join(DATASETS)}, "
            "or give a path to a CSV file with --target COLUMN"
        )
    return "csv", text


def parse_rates(text: str | None, optimizer: str) -> tuple[float, ...]:
    """'auto' (AUTO_RATES for the optimizer) or '1e-4,1e-3,...' as sorted distinct rates; None
    or '' is no grid; ConfigError on anything else."""
    if text is None or not text.strip():
        return ()
    if text.strip().lower() == "auto":
        return AUTO_RATES[optimizer] if optimizer in AUTO_RATES else AUTO_RATES["adam"]
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"--lrs {text!r} is not 'auto' or a comma-separated list of rates, e.g. 1e-3,1e-2"
        ) from None
    return tuple(sorted(set(rates)))


def parse_batch_size(text: str | None) -> int | None:
    """'full' (or nothing) is None, full batch; else an integer; ConfigError on anything else."""
    if text is None or text.strip().lower() == "full":
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"batch size {text!r} is not an integer (or 'full')") from None
