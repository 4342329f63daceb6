"""Datasets for the paired runs: offline presets or a user CSV, split once and scaled once.

Imports no torch and no textual, and scikit-learn (~1 s) only inside the functions that use it:
the CLI and tests can load and check data cheaply, and a process whose data is prepared elsewhere
(see `prefetch`) never loads it. Every problem a user can cause surfaces as a one-line
`DataError`, never a traceback.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from normtui.engine.config import (
    DATASETS,
    IN_NETWORK_SCALERS,
    SCALERS,
    SPREAD_FLOOR,
    TARGET_SCALERS,
    SessionConfig,
    check_model_size,
)
from normtui.engine.table import (
    MIN_ROWS,
    DataError,
    ProgressCallback,
    Table,
    read_table,
    show,
)

MIN_CSV_ROWS = MIN_ROWS
MAX_AUTO_CLASSES = 20  # an integer target with more distinct values is taken as regression

__all__ = ["DataError", "Dataset", "PreparedData", "load_dataset", "prepare", "prepare_members"]


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


# ---------------------------------------------------------------------------------------------
# Presets


def _from_bunch(name: str, bunch: Any) -> Dataset:
    names = getattr(bunch, "target_names", None)
    return Dataset(
        name=name,
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target, dtype=np.int64 if names is not None else np.float64),
        feature_names=tuple(str(f) for f in bunch.feature_names),
        class_names=tuple(str(c) for c in names) if names is not None else (),
    )


def _from_arrays(name: str, X: np.ndarray, y: np.ndarray) -> Dataset:
    regression = np.asarray(y).dtype.kind == "f"
    return Dataset(
        name=name,
        X=np.asarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64 if regression else np.int64),
        feature_names=tuple(f"x{i}" for i in range(X.shape[1])),
        class_names=() if regression else tuple(str(c) for c in np.unique(y)),
    )


def _sk_datasets() -> Any:
    """scikit-learn's datasets module, imported on first use."""
    from sklearn import datasets

    return datasets


def _seed_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Exactly the origin post's data."""
    return _sk_datasets().make_classification(n_samples=1000, n_features=20, random_state=42)


def _scales_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The post's data with per-feature scales 1e-2..1e3 and offsets of hundreds to thousands."""
    X, y = _seed_arrays()
    rng = np.random.default_rng(42)
    n_features = X.shape[1]
    scales = np.logspace(-2, 3, n_features)
    offsets = rng.uniform(300.0, 3000.0, n_features) * rng.choice([-1.0, 1.0], n_features)
    return X * scales + offsets, y


def _scales_regression_arrays() -> tuple[np.ndarray, np.ndarray]:
    """make_regression's linear target, features stretched like `scales` (1e-2..1e3, offsets)."""
    X, y = _sk_datasets().make_regression(
        n_samples=1000, n_features=20, n_informative=10, noise=10.0, random_state=42
    )
    rng = np.random.default_rng(42)
    n_features = X.shape[1]
    scales = np.logspace(-2, 3, n_features)
    offsets = rng.uniform(300.0, 3000.0, n_features) * rng.choice([-1.0, 1.0], n_features)
    return X * scales + offsets, y


_PRESETS: dict[str, tuple[Callable[[], Dataset], str]] = {
    "wine": (
        lambda: _from_bunch("wine", _sk_datasets().load_wine()),
        "178 wines, 13 chemical features whose stds span ~3.4 orders of magnitude (0.12 to 314)",
    ),
    "breast_cancer": (
        lambda: _from_bunch("breast_cancer", _sk_datasets().load_breast_cancer()),
        "569 tumours, 30 cell measurements with stds from 0.003 to 569 (5 orders of magnitude)",
    ),
    "digits": (
        lambda: _from_bunch("digits", _sk_datasets().load_digits()),
        "1797 8x8 handwritten digits, 64 pixels on one 0..16 scale (3 border pixels always 0)",
    ),
    "iris": (
        lambda: _from_bunch("iris", _sk_datasets().load_iris()),
        "150 irises, 4 measurements in cm on similar scales: normalization should matter little",
    ),
    "seed": (
        lambda: _from_arrays("seed", *_seed_arrays()),
        "the origin post's make_classification: 1000 rows, 20 features already near unit scale",
    ),
    "scales": (
        lambda: _from_arrays("scales", *_scales_arrays()),
        "the post's data with feature scales log-spaced 1e-2..1e3 and offsets of ±300..3000",
    ),
    "moons": (
        lambda: _from_arrays(
            "moons", *_sk_datasets().make_moons(n_samples=1000, noise=0.2, random_state=42)
        ),
        "1000 points on two interleaved half-moons (noise 0.2), 2 features near unit scale",
    ),
    "circles": (
        lambda: _from_arrays(
            "circles",
            *_sk_datasets().make_circles(n_samples=1000, noise=0.1, factor=0.5, random_state=42),
        ),
        "1000 points on two concentric circles (noise 0.1), 2 features centred on zero",
    ),
    "diabetes": (
        lambda: _from_bunch("diabetes", _sk_datasets().load_diabetes(scaled=False)),
        "regression: 442 patients' disease progression from 10 measurements in their own units",
    ),
    "scales_regression": (
        lambda: _from_arrays("scales_regression", *_scales_regression_arrays()),
        "regression: make_regression (1000 rows, 20 features) with scales 1e-2..1e3 and offsets",
    ),
}
assert tuple(_PRESETS) == DATASETS, "every preset in config.DATASETS needs a loader here"


def _readonly(dataset: Dataset) -> Dataset:
    """Cached presets are shared: freeze their arrays so no caller can alter them for others."""
    dataset.X.setflags(write=False)
    dataset.y.setflags(write=False)
    return dataset


@functools.cache
def load_preset(name: str) -> Dataset:
    """Load a built-in dataset (offline, deterministic, independent of the session seed)."""
    if name not in _PRESETS:
        raise DataError(f"unknown dataset {name!r}; choose from: {', '.join(DATASETS)}")
    loader, _ = _PRESETS[name]
    return _readonly(loader())


def feature_spread(stds: Sequence[float]) -> tuple[float, float, int]:
    """(smallest, largest, constant count) of per-feature stds: one definition everywhere.

    A feature whose std is below SPREAD_FLOOR of the largest is constant (digits' blank border
    pixels; a scaler leaves float noise of ~1e-13 on them), so it does not make the spread.
    """
    top = max(stds, default=0.0)
    varying = [s for s in stds if s > SPREAD_FLOOR * top]
    if not varying:
        return 0.0, 0.0, len(stds)
    return min(varying), max(varying), len(stds) - len(varying)


def describe_presets() -> list[dict[str, Any]]:
    """One summary per preset, for `normtui datasets`.

    The feature stds are the training split's at the defaults (seed 0, 20% validation): the
    same numbers the inputs pane shows for that session, and what the scaler is fitted on.
    """
    defaults = SessionConfig()
    summaries = []
    for name, (_, description) in _PRESETS.items():
        dataset = load_preset(name)
        train, _ = split_indices(dataset, defaults.val_split, defaults.seed)
        low, high, constant = feature_spread(dataset.X[train].std(axis=0).tolist())
        summaries.append(
            {
                "name": name,
                "rows": int(dataset.X.shape[0]),
                "features": int(dataset.X.shape[1]),
                "task": dataset.task,
                "classes": len(dataset.class_names),
                "min_feature_std": low,
                "max_feature_std": high,
                "constant_features": constant,
                "description": description,
            }
        )
    return summaries


# ---------------------------------------------------------------------------------------------
# User tables: the target decides the task


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


def _target(table: Table, task: str, label: str) -> tuple[np.ndarray, tuple[str, ...]]:
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
    y, class_names = _target(table, task, show(table.name))
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


# ---------------------------------------------------------------------------------------------
# Split and scale


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


def make_target_scaler(name: str) -> Any:
    """An unfitted affine scaler for a regression target, or None for `none`."""
    if name == "none":
        return None
    if name not in TARGET_SCALERS:
        raise DataError(f"unknown target scaler {name!r}; choose from: {', '.join(TARGET_SCALERS)}")
    return make_scaler(name, 0, 0)


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
    n_classes = len(dataset.class_names)
    counts = np.bincount(dataset.y, minlength=n_classes)
    smallest = int(np.argmin(counts))
    if counts[smallest] < 2:
        name = show(dataset.class_names[smallest])
        raise DataError(f"{prefix} class {name} has {counts[smallest]} row(s), need at least 2")
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


def fit_scaler(name: str, seed: int, X_train: np.ndarray) -> Any:
    """Fit the named scaler on the training rows only, so validation never leaks into it."""
    scaler = make_scaler(name, seed, len(X_train))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return scaler.fit(X_train)


def _transform(scaler: Any, X: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.asarray(scaler.transform(X), dtype=np.float64)


def _float32(X: np.ndarray, what: str, dataset: Dataset) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.ascontiguousarray(X, dtype=np.float32)
    if not np.isfinite(out).all():
        raise DataError(f"{dataset.name}: {what} has values that are not finite in float32")
    return out


def _check_levels(dataset: Dataset, max_categories: int) -> None:
    """A text column with too many levels (an id, free text) would one-hot into noise."""
    if dataset.categories is None:
        return
    for index, name in enumerate(dataset.categorical_names):
        levels = len({v for v in dataset.categories[:, index] if v is not None})
        if levels > max_categories:
            raise DataError(
                f"{dataset.name}: text column {show(name)} has {levels:,} distinct values, too"
                f" many to one-hot encode (at most {max_categories}); --ignore {name} leaves it"
                f" out, --max-categories {levels} encodes it anyway"
            )


def _encoder_input(dataset: Dataset, rows: np.ndarray) -> Any:
    """The rows as ColumnTransformer input: the numeric array, or a frame with the text too."""
    if not dataset.categorical_names:
        return dataset.X[rows]
    import pandas as pd

    assert dataset.categories is not None
    offset = dataset.X.shape[1]
    # One gather per kind, one block each: a column at a time took seconds on a million rows.
    numeric = pd.DataFrame(dataset.X[rows], copy=False)  # the gather is already a new array
    text = pd.DataFrame(
        dataset.categories[rows],
        columns=range(offset, offset + len(dataset.categorical_names)),
        dtype=object,
        copy=False,
    )
    return pd.concat([numeric, text], axis=1)


def _check_training_values(dataset: Dataset, train: np.ndarray) -> None:
    """A column with no value in the training split has nothing to impute from: the imputer
    would drop it and the model would be built for a column that is not there."""
    empty: list[str] = []
    if np.isnan(dataset.X).any():  # most tables have no gap: then no copy of the split is made
        gone = np.isnan(dataset.X[train]).all(axis=0)
        empty += [
            name for name, no_value in zip(dataset.feature_names, gone, strict=True) if no_value
        ]
    if dataset.categories is not None:
        gone = np.equal(dataset.categories[train], None).all(axis=0)
        empty += [
            name for name, no_value in zip(dataset.categorical_names, gone, strict=True) if no_value
        ]
    if empty:
        names = ", ".join(repr(name) for name in empty)
        column = "column" if len(empty) == 1 else "columns"
        raise DataError(
            f"{dataset.name}: {column} {names} {'has' if len(empty) == 1 else 'have'} no values "
            f"in the training split "
            f"({len(train)} rows); leave it out with --ignore {empty[0]}, or use --missing drop"
        )


def _encoder(dataset: Dataset) -> Any:
    """Imputer for the numbers, imputer + one-hot for the text: one transform for both runs."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    n_numeric, n_text = dataset.X.shape[1], len(dataset.categorical_names)
    # np.median per column: strategy="median" sorts a masked array (46 s on 800k x 45, 4 s so)
    median = SimpleImputer(strategy=np.median)
    numeric: Any = median if np.isnan(dataset.X).any() else "passthrough"
    parts: list[tuple[str, Any, list[int]]] = [("numeric", numeric, list(range(n_numeric)))]
    if n_text:
        text = make_pipeline(
            SimpleImputer(strategy="most_frequent", missing_values=None),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64),
        )
        parts.append(("categorical", text, list(range(n_numeric, n_numeric + n_text))))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def _encoded_names(dataset: Dataset, encoder: Any) -> tuple[str, ...]:
    names = list(dataset.feature_names)
    if dataset.categorical_names:
        one_hot = encoder.named_transformers_["categorical"][-1]
        for name, levels in zip(dataset.categorical_names, one_hot.categories_, strict=True):
            names += [f"{name}={level}" for level in levels]
    return tuple(names)


def _missing_cells(dataset: Dataset) -> int:
    count = int(np.isnan(dataset.X).sum())
    if dataset.categories is not None and dataset.categories.size:
        import pandas as pd

        count += int(pd.isna(dataset.categories).sum())
    return count


def _target_arrays(
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
        y_train, y_val = _transform(scaler, y_train), _transform(scaler, y_val)
        ends = scaler.inverse_transform(np.array([[0.0], [1.0]]))
        unit = float(abs(ends[1, 0] - ends[0, 0]))
    return (
        _float32(y_train.ravel(), "the target", dataset),
        _float32(y_val.ravel(), "the target", dataset),
        unit,
    )


def prepare(
    config: SessionConfig,
    dataset: Dataset | None = None,
    progress: ProgressCallback | None = None,
) -> PreparedData:
    """Split (seeded; stratified for classes), then fit on the training split only: the imputer
    and one-hot encoder both runs share, the scaler of the normalized run (numeric columns
    only) and the target scaler both runs share."""
    dataset = dataset if dataset is not None else load_dataset(config, progress)
    _check_levels(dataset, config.max_categories)
    train, val = split_indices(dataset, config.val_split, config.seed)
    batch = min(config.batch_size or len(train), len(train))
    # The activations' budget needs only the rows: say so now, not after encoding a big file.
    check_model_size(config.hidden, rows_per_pass=max(batch, len(val)), members=config.seeds)
    _check_training_values(dataset, train)
    encoder = _encoder(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unseen level in validation: all-zero one-hot
        X_train = np.asarray(encoder.fit_transform(_encoder_input(dataset, train)), np.float64)
        X_val = np.asarray(encoder.transform(_encoder_input(dataset, val)), np.float64)
    feature_names = _encoded_names(dataset, encoder)
    n_numeric = dataset.X.shape[1]
    check_model_size(
        config.hidden,
        n_features=len(feature_names),
        n_classes=len(dataset.class_names) or 1,
        rows_per_pass=max(batch, len(val)),
        members=config.seeds,
    )
    raw_std = X_train.std(axis=0)
    X_train_raw = _float32(X_train, "the raw data", dataset)
    X_val_raw = _float32(X_val, "the raw data", dataset)
    if n_numeric:  # scaled in place: a float64 copy of a million rows is ~0.5 GB at the peak
        scaler = fit_scaler(config.scaler, config.seed, X_train[:, :n_numeric])
        X_train[:, :n_numeric] = _transform(scaler, X_train[:, :n_numeric])
        X_val[:, :n_numeric] = _transform(scaler, X_val[:, :n_numeric])
    y_train, y_val, target_unit = _target_arrays(config, dataset, train, val)
    scaled = f"the {config.scaler}-scaled data"
    return PreparedData(
        name=dataset.name,
        feature_names=feature_names,
        n_classes=len(dataset.class_names),
        X_train_raw=X_train_raw,
        X_val_raw=X_val_raw,
        X_train_scaled=_float32(X_train, scaled, dataset),
        X_val_scaled=_float32(X_val, scaled, dataset),
        y_train=y_train,
        y_val=y_val,
        raw_feature_std=tuple(float(s) for s in raw_std),
        scaled_feature_std=tuple(float(s) for s in X_train.std(axis=0)),
        task=dataset.task,
        n_numeric=n_numeric if dataset.categorical_names else None,
        imputed_cells=_missing_cells(dataset),
        dropped_rows=dataset.dropped_rows,
        target_unit=target_unit,
    )


def prepare_members(
    config: SessionConfig,
    dataset: Dataset | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[PreparedData, ...]:
    """One `prepare` per member: member k splits and fits its scalers under seed `seed + k`.

    The dataset is loaded once. Every split has the same sizes (the same validation share of
    the same rows), so the members' arrays stack into [members, rows, features].
    """
    dataset = dataset if dataset is not None else load_dataset(config, progress)
    return tuple(
        prepare(config if k == 0 else config.replace(seed=config.seed + k), dataset)
        for k in range(config.seeds)
    )
