"""The two shapes data takes: a loaded `Dataset`, and the `PreparedData` a run trains on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset, not yet split.

    `X` holds the numeric features (float64, NaN where a cell is missing), `categories` the
    text ones (str, None where missing). `y` is int64 class codes 0..k-1 with `class_names`,
    or, for regression, float64 values and no class names.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    categories: np.ndarray | None = None
    categorical_names: tuple[str, ...] = ()
    dropped_rows: int = 0  # rows left out for a missing cell (--missing drop)

    @property
    def task(self) -> str:
        return "regression" if self.y.dtype.kind == "f" else "classification"


@dataclass(frozen=True)
class PreparedData:
    """One split of a dataset, raw and scaled, ready for training (features float32).

    Both runs see the same encoded columns: imputed numbers first (`n_numeric` of them), then
    the one-hot columns of each text feature. Only the numeric columns are scaled.
    """

    name: str
    feature_names: tuple[str, ...]
    n_classes: int  # 0 for regression
    X_train_raw: np.ndarray
    X_val_raw: np.ndarray
    X_train_scaled: np.ndarray
    X_val_scaled: np.ndarray
    y_train: np.ndarray  # int64 codes, or float32 targets after the target scaler
    y_val: np.ndarray
    raw_feature_std: tuple[float, ...]  # per column, training split, before scaling
    scaled_feature_std: tuple[float, ...]  # per column, training split, after scaling
    task: str = "classification"
    n_numeric: int | None = None  # None: every column is numeric
    imputed_cells: int = 0
    dropped_rows: int = 0
    target_unit: float = 1.0  # one scaled target unit in the target's own units
    class_names: tuple[str, ...] = ()  # the label of each class code; () for regression
    # Rows held out from training and from every choice (`--test-split`, a learning-rate grid's
    # tuned verdict is judged on them); empty arrays when there are none.
    X_test_raw: np.ndarray | None = None
    X_test_scaled: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def n_test(self) -> int:
        return 0 if self.y_test is None else len(self.y_test)
