"""The session's dataset: a user table (CSV or Parquet) when one is given, else a preset."""

from __future__ import annotations

from collections.abc import Sequence

from normtui.engine.config import SessionConfig
from normtui.engine.data.dataset import Dataset
from normtui.engine.data.presets import load_preset
from normtui.engine.data.target import target_values
from normtui.engine.table import DataError, ProgressCallback, read_table, show


def load_csv(
    path: str,
    target: str,
    *,
    task: str = "auto",
    categorical: Sequence[str] = (),
    ignore: Sequence[str] = (),
    missing: str = "impute",
    progress: ProgressCallback | None = None,
) -> Dataset:
    """Load a CSV (or Parquet) file with a header row; `target` names the column to predict."""
    table = read_table(
        path, target, categorical=categorical, ignore=ignore, missing=missing, progress=progress
    )
    y, class_names = target_values(table, task, show(table.name))
    return Dataset(
        name=table.name,
        X=table.numeric,
        y=y,
        feature_names=table.numeric_names,
        class_names=class_names,
        categories=table.text,
        categorical_names=table.text_names,
        dropped_rows=table.dropped_rows,
    )


def load_dataset(config: SessionConfig, progress: ProgressCallback | None = None) -> Dataset:
    """The session's dataset: the CSV when one is given, else the named preset."""
    if config.csv_path:
        if not config.target:
            raise DataError("a CSV dataset needs --target COLUMN naming the column to predict")
        return load_csv(
            config.csv_path,
            config.target,
            task=config.task,
            categorical=config.categorical,
            ignore=config.ignore,
            missing=config.missing,
            progress=progress,
        )
    dataset = load_preset(config.dataset)
    if config.task not in ("auto", dataset.task):
        raise DataError(
            f"{dataset.name} is a {dataset.task} dataset; --task {config.task} does not apply"
        )
    return dataset
