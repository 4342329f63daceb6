"""A sweep's unit of work, the row: the cells of one (dataset, activation), which train together
as one batched model (`row.py`), and `RowRunner`, which runs rows in one process.

`run_row_task` is the same work as plain data in and out, for worker processes and Dask workers.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from normtui.engine.config import ACTIVATIONS, SCALERS, SessionConfig
from normtui.engine.errors import UsageError, one_line
from normtui.engine.sweep.plan import Cell, SweepPlan, is_csv
from normtui.engine.sweep.results import CellFold, CellResult, cell_result, failed_result

if TYPE_CHECKING:
    from collections.abc import Iterator

    from normtui.engine.data.dataset import PreparedData
    from normtui.engine.prefetch import DataStream


@dataclass(frozen=True)
class Row:
    """Cells of one (dataset, activation) that train together (row.py): the raw run
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
    """How many groups (the raw one included, at least the pair) one model of the row holds;
    `seeds`: members per group (seeds × rates with a grid)."""
    n_train, n_val = len(data.y_train), len(data.y_val)
    inputs = (n_train + n_val) * len(data.feature_names)
    batch = min(config.batch_size or n_train, n_train)
    hidden = 3 * max(batch, n_val) * sum(config.hidden)
    return max(2, PACK_VALUES // max(1, seeds * (inputs + hidden)))


class RowRunner:
    """Runs rows one at a time (row.py); `stop()` (any thread, a signal handler too)
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
        folds = {scaler: CellFold(plan.goal_accuracy, plan.goal_r2) for scaler in scalers}
        from normtui.engine.sweep.row import train_row  # torch

        try:
            for chunk in self._chunks(config, scalers):
                sinks = {scaler: folds[scaler] for scaler in chunk}
                if train_row(config, chunk, sinks, self.stopped) == "stopped":
                    return None
        except UsageError as error:  # the data cannot be used: every cell says why, as train
            return [failed_result(plan, cell, str(error)) for cell in row.cells]
        except Exception as error:
            return [failed_result(plan, cell, one_line(error)) for cell in row.cells]
        if self.stopped.is_set():
            return None
        seconds = (time.perf_counter() - start) / len(row.cells)  # the row's time, shared
        return [
            cell_result(plan, cell, folds[plan.trained_scaler(cell) or ""], seconds)
            for cell in row.cells
        ]

    def _chunks(
        self, config: SessionConfig, scalers: list[str]
    ) -> Iterator[dict[str, tuple[PreparedData, ...]]]:
        """The row's scalers with their prepared data, as many per model as `pack_size` allows."""
        from normtui.engine.data.load import load_dataset
        from normtui.engine.data.prepare import prepare_members

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
                size = pack_size(prepared[0], config, len(prepared) * max(1, len(config.lrs)))
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


_WORKER_RUNNER: RowRunner | None = None


def run_row_task(plan: dict[str, Any], row: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A row as plain data in and out: what worker processes and Dask workers run."""
    global _WORKER_RUNNER
    if _WORKER_RUNNER is None:
        _WORKER_RUNNER = RowRunner()
    results = _WORKER_RUNNER.run(SweepPlan.from_dict(plan), Row.from_dict(row))
    return None if results is None else [result.to_dict() for result in results]
