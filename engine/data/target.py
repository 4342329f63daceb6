"""A user table's target: it decides the task (classes or regression), and a regression
target is scaled like the inputs, on the training rows only."""

from __future__ import annotations

from typing import Any

import numpy as np

from normtui.engine.config import TARGET_SCALERS, SessionConfig
from normtui.engine.data.dataset import Dataset
from normtui.engine.data.split import as_float32, fit_scaler, make_scaler, transform
from normtui.engine.table import DataError, Table, show

MAX_AUTO_CLASSES = 20  # an integer target with more distinct values is taken as regression


def _class_name(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _classes(values: np.ndarray, target: str, label: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map sorted unique labels to 0..k-1; numbers sort (and merge: 1 == 1.0) numerically."""
    keys, codes = np.unique(values, return_inverse=True)
    names = tuple(_class_name(k) if values.dtype.kind == "f" else str(k) for k in keys)
    if len(names) < 2:
        raise DataError(
            f"CSV file {label}: target column {show(target)} has only one class"
            f" ({show(names[0])}); classification needs at least 2"
        )
    return codes.astype(np.int64), names


def detect_task(values: np.ndarray) -> str:
    """ "regression" for a numeric target with fractions or more than MAX_AUTO_CLASSES values.

    scikit-learn's `type_of_target` calls any integer-valued target multiclass; load_diabetes'
    disease progression (integers 25..346, 214 distinct values) is not 214 classes.
    """
    if values.dtype.kind != "f":
        return "classification"
    if not np.all(np.mod(values, 1) == 0):
        return "regression"
    return "regression" if len(np.unique(values)) > MAX_AUTO_CLASSES else "classification"


def _refuse_numbers_with_stray_text(values: np.ndarray, name: str, label: str) -> None:
    """A target of numbers with a few text cells ("n/a", "unknown") is a typo, not classes."""
    import pandas as pd

    levels = pd.Series(pd.unique(values), dtype=object)
    is_number = pd.to_numeric(levels, errors="coerce").notna().to_numpy()
    text = levels[~is_number]
    if is_number.sum() > MAX_AUTO_CLASSES and len(text) <= is_number.sum() // 10:
        cells = int(pd.Series(values).isin(text).sum())
        raise DataError(
            f"CSV file {label}: target column {show(name)} holds numbers but {cells} cell(s)"
            f" hold text ({show(text.iloc[0])}); empty those cells and --missing drop leaves"
            " their rows out"
        )


def target_values(table: Table, task: str, label: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """The target as class codes and names, or as float64 values (no names) for regression."""
    values, name = table.target, table.target_name
    if values.dtype.kind == "f" and np.ptp(values) == 0:  # under any task: nothing to learn
        raise DataError(
            f"CSV file {label}: target column {show(name)} is constant ({values[0]:g});"
            " there is nothing to predict"
        )
    if values.dtype.kind != "f":
        _refuse_numbers_with_stray_text(values, name, label)
    detected = detect_task(values) if task == "auto" else task
    if detected == "regression":
        if values.dtype.kind != "f":
            example = next(v for v in values if v is not None)
            raise DataError(
                f"CSV file {label}: target column {show(name)} has text ({show(example)});"
                " regression needs numbers (--task classification treats it as classes)"
            )
        return values.astype(np.float64), ()
    codes, names = _classes(values, name, label)
    if len(names) > len(values) // 2:
        hint = (
            "it looks continuous: use --task regression (or auto)"
            if values.dtype.kind == "f"
            else "too many to be classes (an id or free text?)"
        )
        raise DataError(
            f"CSV file {label}: target column {show(name)} has {len(names)} distinct values in"
            f" {len(values)} rows; {hint}"
        )
    return codes, names


def make_target_scaler(name: str) -> Any:
    """An unfitted affine scaler for a regression target, or None for `none`."""
    if name == "none":
        return None
    if name not in TARGET_SCALERS:
        raise DataError(f"unknown target scaler {name!r}; choose from: {', '.join(TARGET_SCALERS)}")
    return make_scaler(name, 0, 0)


def target_arrays(
    config: SessionConfig, dataset: Dataset, train: np.ndarray, val: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """(y_train, y_val, target unit): class codes, or the scaled regression target."""
    if dataset.task == "classification":
        return (
            np.ascontiguousarray(dataset.y[train], dtype=np.int64),
            np.ascontiguousarray(dataset.y[val], dtype=np.int64),
            1.0,
        )
    y_train, y_val = dataset.y[train].reshape(-1, 1), dataset.y[val].reshape(-1, 1)
    scaler = make_target_scaler(config.target_scaler)
    unit = 1.0
    if scaler is not None:
        scaler = fit_scaler(config.target_scaler, config.seed, y_train)
        y_train, y_val = transform(scaler, y_train), transform(scaler, y_val)
        ends = scaler.inverse_transform(np.array([[0.0], [1.0]]))
        unit = float(abs(ends[1, 0] - ends[0, 0]))
    return (
        as_float32(y_train.ravel(), "the target", dataset),
        as_float32(y_val.ravel(), "the target", dataset),
        unit,
    )
