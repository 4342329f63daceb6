"""The grid of a sweep: which cells, and the training settings every cell shares.

Parsed from the CLI's text options and validated on construction (every setting by the engine's
own `SessionConfig` rules), so a bad grid fails in one line before anything trains.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from normtui.engine.config import (
    ACTIVATIONS,
    DATASETS,
    DEFAULT_SEEDS,
    DEFAULT_TEST_SPLIT,
    IN_NETWORK_SCALERS,
    OPTIMIZERS,
    SCALERS,
    ConfigError,
    JsonDataclass,
    SessionConfig,
    parse_batch_size,
    parse_dataset,
    parse_hidden,
    parse_rates,
)

BASELINE = "none"  # the scaler name of the raw baseline column
# batchnorm / layernorm: opt-in columns (--scalers ...,batchnorm), not in the default grid
SWEEP_SCALERS: tuple[str, ...] = (BASELINE, *SCALERS, *IN_NETWORK_SCALERS)
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

    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "datasets",
        "activations",
        "scalers",
        "hidden",
        "lrs",
    )

    datasets: tuple[str, ...]
    activations: tuple[str, ...]
    scalers: tuple[str, ...]
    seeds: int = DEFAULT_SEEDS
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
    hidden_norm: str = "none"  # a normalization after each hidden Linear, every run of a cell
    raw_init: str = "default"  # data: every cell's raw run starts fitted to its inputs' scale
    # A learning-rate grid (engine/grid.py): every run of a cell trains each rate, its rate is
    # chosen on the validation rows, and the cell's verdict is on `test_split` held-out rows.
    lrs: tuple[float, ...] = ()
    test_split: float = 0.0

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
            hidden_norm=self.hidden_norm,
            raw_init=self.raw_init,
            lrs=self.lrs,
            test_split=self.test_split,
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
    lrs: str | None = None,
    test_split: float | None = None,
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
    rates = parse_rates(lrs, optimizer_name)
    if test_split is None:
        test_split = DEFAULT_TEST_SPLIT if rates else 0.0
    elif test_split and not rates:  # as `train`: held-out rows judge a grid's chosen rates
        raise ConfigError(
            "--test-split holds out rows to judge the rates a grid chose: it needs --lrs"
        )
    return SweepPlan(
        datasets=tuple(dataset_names),
        activations=_names("activation", activations, ACTIVATIONS),
        scalers=_names("scaler", scalers, SWEEP_SCALERS),
        hidden=parse_hidden(hidden),
        batch_size=batch_value,
        optimizer=optimizer_name,
        lrs=rates,
        test_split=test_split,
        **settings,
    )


def check_data(plan: SweepPlan) -> None:
    """Load each CSV once (no training) so a missing --target column fails before any cell."""
    from normtui.engine.data.load import load_dataset

    for dataset in plan.datasets:
        if is_csv(dataset):
            load_dataset(plan.session_config(Cell(dataset, plan.activations[0], plan.scalers[0])))
