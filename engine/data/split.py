"""The split (seeded; stratified for classes) and the scalers, fitted on the training rows only
so validation never leaks into them."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from normtui.engine.config import IN_NETWORK_SCALERS, SCALERS
from normtui.engine.data.dataset import Dataset
from normtui.engine.table import DataError, show


def make_scaler(name: str, seed: int, n_train: int) -> Any:
    """An unfitted scikit-learn transformer for the normalized run."""
    from sklearn.preprocessing import (
        MaxAbsScaler,
        MinMaxScaler,
        QuantileTransformer,
        RobustScaler,
        StandardScaler,
    )

    if name in IN_NETWORK_SCALERS:  # the model normalizes: the normalized run sees raw inputs
        from sklearn.preprocessing import FunctionTransformer

        return FunctionTransformer()
    if name == "standard":
        return StandardScaler()
    if name == "minmax":
        return MinMaxScaler()
    if name == "robust":
        return RobustScaler()
    if name == "maxabs":
        return MaxAbsScaler()
    if name == "quantile":
        # "normal", not sklearn's default "uniform": a zero-centred, unit-scale output is what
        # ReLU/tanh units want (the post's point); uniform would give [0, 1], all positive.
        return QuantileTransformer(
            n_quantiles=max(1, min(1000, n_train)),
            output_distribution="normal",
            random_state=seed,
        )
    raise DataError(f"unknown scaler {name!r}; choose from: {', '.join(SCALERS)}")


def _check_class_rows(dataset: Dataset, prefix: str, need: int) -> int:
    """The number of classes; DataError when the smallest class has fewer than `need` rows (a
    stratified split puts one in each part)."""
    n_classes = len(dataset.class_names)
    counts = np.bincount(dataset.y, minlength=n_classes)
    smallest = int(np.argmin(counts))
    if counts[smallest] < need:
        name = show(dataset.class_names[smallest])
        raise DataError(
            f"{prefix} class {name} has {counts[smallest]} row(s), need at least {need}"
        )
    return n_classes


def _check_splittable(dataset: Dataset, val_split: float) -> None:
    """Raise DataError where a (stratified) split would fail (sklearn's conditions, in words)."""
    n_rows = len(dataset.y)
    n_val = math.ceil(val_split * n_rows)
    n_train = n_rows - n_val
    prefix = f"{dataset.name} is too small for a {val_split:.0%} validation split:"
    if dataset.task == "regression":
        if min(n_val, n_train) < 2:
            raise DataError(f"{prefix} {n_train} training and {n_val} validation rows")
        return
    n_classes = _check_class_rows(dataset, prefix, 2)
    if n_val < n_classes:
        raise DataError(f"{prefix} {n_val} validation rows cannot hold all {n_classes} classes")
    if n_train < n_classes:
        raise DataError(f"{prefix} {n_train} training rows cannot hold all {n_classes} classes")


def split_indices(dataset: Dataset, val_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices, stratified for classes; reproducible for a seed."""
    from sklearn.model_selection import train_test_split

    _check_splittable(dataset, val_split)
    rows = np.arange(len(dataset.y))
    stratify = dataset.y if dataset.task == "classification" else None
    try:
        train, val = train_test_split(
            rows, test_size=val_split, random_state=seed, stratify=stratify
        )
    except ValueError as error:  # a condition _check_splittable missed: still one line
        raise DataError(
            f"{dataset.name} is too small for a {val_split:.0%} validation split: {error}"
        ) from None
    if stratify is None and np.ptp(dataset.y[val]) == 0:
        raise DataError(
            f"{dataset.name}: the {len(val)} validation rows all have the same target, so R² is"
            " undefined; use a larger --val-split or another --seed"
        )
    return np.asarray(train), np.asarray(val)


def split_rows(
    dataset: Dataset, val_split: float, test_split: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) row indices; no test rows (exactly `split_indices`) when
    `test_split` is 0.

    The test rows are drawn first (stratified for classes, under `seed`), then the validation
    rows from the rest, each part's size a fixed count of the dataset's rows (the ceiling of its
    share), so every seed's parts have the same sizes and its members' arrays stack.
    """
    if not test_split:
        train, val = split_indices(dataset, val_split, seed)
        return train, val, np.empty(0, dtype=np.int64)
    from sklearn.model_selection import train_test_split

    n_rows = len(dataset.y)
    n_test, n_val = math.ceil(test_split * n_rows), math.ceil(val_split * n_rows)
    n_train = n_rows - n_test - n_val
    prefix = (
        f"{dataset.name} is too small for a {val_split:.0%} validation and {test_split:.0%}"
        " test split:"
    )
    classification = dataset.task == "classification"
    if classification:
        n_classes = _check_class_rows(dataset, prefix, 3)  # one per part
        if min(n_test, n_val, n_train) < n_classes:
            raise DataError(
                f"{prefix} {n_train} training, {n_val} validation and {n_test} test rows cannot"
                f" each hold all {n_classes} classes"
            )
    elif min(n_test, n_val, n_train) < 2:
        raise DataError(f"{prefix} {n_train} training, {n_val} validation and {n_test} test rows")
    rows = np.arange(n_rows)
    try:
        rest, test = train_test_split(
            rows,
            test_size=n_test,
            random_state=seed,
            stratify=dataset.y if classification else None,
        )
        train, val = train_test_split(
            rest,
            test_size=n_val,
            random_state=seed,
            stratify=dataset.y[rest] if classification else None,
        )
    except ValueError as error:  # a condition checked above missed: still one line
        raise DataError(f"{prefix} {error}") from None
    for part, rows_of in (("validation", val), ("test", test)):
        if not classification and np.ptp(dataset.y[rows_of]) == 0:
            raise DataError(
                f"{dataset.name}: the {len(rows_of)} {part} rows all have the same target, so R²"
                " is undefined; use a larger split or another --seed"
            )
    return np.asarray(train), np.asarray(val), np.asarray(test)


def fit_scaler(name: str, seed: int, X_train: np.ndarray) -> Any:
    """Fit the named scaler on the training rows only, so validation never leaks into it."""
    scaler = make_scaler(name, seed, len(X_train))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return scaler.fit(X_train)


def transform(scaler: Any, X: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.asarray(scaler.transform(X), dtype=np.float64)


def as_float32(X: np.ndarray, what: str, dataset: Dataset) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.ascontiguousarray(X, dtype=np.float32)
    if not np.isfinite(out).all():
        raise DataError(f"{dataset.name}: {what} has values that are not finite in float32")
    return out
