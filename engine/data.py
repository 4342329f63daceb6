"""Datasets for the paired runs: offline presets or a user CSV, split once and scaled once.

Imports no torch and no textual, and scikit-learn (~1 s) only inside the functions that use it:
the CLI and tests can load and check data cheaply, and a process whose data is prepared elsewhere
(see `prefetch`) never loads it. Every problem a user can cause surfaces as a one-line
`DataError`, never a traceback.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import stat
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from normtui.engine.config import DATASETS, SCALERS, ConfigError, SessionConfig, check_model_size

MAX_CSV_BYTES = 1 << 30  # the whole file is held in memory as text and as Python floats
MIN_CSV_ROWS = 10  # below this a train/validation split says nothing useful
FLOAT32_MAX = float(np.finfo(np.float32).max)  # training runs in float32
_SHOW_CHARS = 30  # longest value or name quoted in a message
_SHOW_COLUMNS = 12  # most column names listed in a message


class DataError(ConfigError):
    """A user-facing data problem; its message is one line and the CLI exits 2."""

    def __init__(self, message: str) -> None:
        # Safety net: names and values are quoted with repr, but a message must never wrap.
        super().__init__(" ".join(str(message).splitlines()))


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset, not yet split: float64 finite features, int64 labels 0..k-1."""

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class PreparedData:
    """One split of a dataset, raw and scaled, ready for training (features float32)."""

    name: str
    feature_names: tuple[str, ...]
    n_classes: int
    X_train_raw: np.ndarray
    X_val_raw: np.ndarray
    X_train_scaled: np.ndarray
    X_val_scaled: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    raw_feature_std: tuple[float, ...]  # per feature, training split, before scaling
    scaled_feature_std: tuple[float, ...]  # per feature, training split, after scaling


# ---------------------------------------------------------------------------------------------
# Presets


def _from_bunch(name: str, bunch: Any) -> Dataset:
    return Dataset(
        name=name,
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target, dtype=np.int64),
        feature_names=tuple(str(f) for f in bunch.feature_names),
        class_names=tuple(str(c) for c in bunch.target_names),
    )


def _from_arrays(name: str, X: np.ndarray, y: np.ndarray) -> Dataset:
    return Dataset(
        name=name,
        X=np.asarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.int64),
        feature_names=tuple(f"x{i}" for i in range(X.shape[1])),
        class_names=tuple(str(c) for c in np.unique(y)),
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


def describe_presets() -> list[dict[str, Any]]:
    """One summary per preset, for --list-datasets and the help screen.

    `min_feature_std` is the smallest std among non-constant features (digits has 3 constant
    pixels, counted in `constant_features`), so the max/min ratio measures the scale spread.
    """
    summaries = []
    for name, (_, description) in _PRESETS.items():
        dataset = load_preset(name)
        stds = dataset.X.std(axis=0)
        varying = stds[stds > 0]
        summaries.append(
            {
                "name": name,
                "rows": int(dataset.X.shape[0]),
                "features": int(dataset.X.shape[1]),
                "classes": len(dataset.class_names),
                "min_feature_std": float(varying.min()),
                "max_feature_std": float(varying.max()),
                "constant_features": int((stds == 0).sum()),
                "description": description,
            }
        )
    return summaries


# ---------------------------------------------------------------------------------------------
# CSV


def _show(text: str) -> str:
    """Quote a user-supplied name or value on one line, truncated."""
    if len(text) > _SHOW_CHARS:
        text = text[: _SHOW_CHARS - 1] + "…"
    return repr(text)


def _show_columns(names: Sequence[str]) -> str:
    shown = ", ".join(_show(n) for n in names[:_SHOW_COLUMNS])
    extra = len(names) - _SHOW_COLUMNS
    return f"{shown}, … (+{extra} more)" if extra > 0 else shown


def _show_path(path: str) -> str:
    """Quote a path on one line, keeping its end (the file name) when it is long."""
    return repr(path if len(path) <= 80 else "…" + path[-79:])


def _read_text(path: str) -> str:
    """Read a regular file as UTF-8 text (BOM stripped); DataError for anything else."""
    label = _show_path(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise DataError(f"CSV path {label} is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"CSV path {label} is not a regular file")
        if info.st_size > MAX_CSV_BYTES:
            size_gb = info.st_size / 1e9
            raise DataError(f"CSV file {label} is {size_gb:.1f} GB; at most 1 GB can be loaded")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CSV_BYTES + 1)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"CSV file {label} not found") from None
    except PermissionError:
        raise DataError(f"CSV file {label} cannot be read: permission denied") from None
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL byte
        reason = getattr(error, "strerror", None) or str(error)
        raise DataError(f"CSV file {label} cannot be read: {reason}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM: Excel's "Unicode text"
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"CSV file {label} starts like UTF-16 text but is not") from None
    if b"\x00" in raw:
        raise DataError(f"CSV file {label} looks binary (it contains NUL bytes), not CSV text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = raw[error.start : error.start + 1].hex()
        raise DataError(
            f"CSV file {label} is not UTF-8 text (byte 0x{bad} at offset {error.start})"
        ) from None


def _delimiter(text: str) -> str:
    """Comma, unless the header line has none but has semicolons (or tabs): then those."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    if "," in header:
        return ","
    for candidate in (";", "\t"):
        if candidate in header:
            return candidate
    return ","


def _records(text: str, label: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) for each non-blank record; line numbers start at 1."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DataError(f"CSV file {label}, line {reader.line_num}: {error}") from None
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def _header(cells: list[str], label: str) -> list[str]:
    names = [cell.strip() for cell in cells]
    for index, name in enumerate(names, start=1):
        if not name:
            raise DataError(
                f"CSV file {label}: header column {index} has no name"
                " (an index column? save it without the index)"
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"CSV file {label}: duplicate column name {_show(name)} in the header")
        seen.add(name)
    return names


def _feature_value(cell: str, line: int, column: str, label: str) -> float:
    where = f"CSV file {label}, line {line}, column {_show(column)}"
    text = cell.strip()
    if not text:
        raise DataError(f"{where} is empty; missing values are not supported, fill or drop them")
    try:
        value = float(text)
    except ValueError:
        hint = ""
        if "," in text:
            try:
                float(text.replace(",", "."))
                hint = " (a decimal comma? write decimals with a point)"
            except ValueError:
                pass
        raise DataError(f"{where}: {_show(text)} is not a number{hint}") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: {_show(text)} is not a finite number")
    if abs(value) > FLOAT32_MAX:
        raise DataError(f"{where}: {_show(text)} is too large for float32 training")
    return value


def _encode_target(
    values: list[str], target: str, label: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map sorted unique labels to 0..k-1; numbers sort (and merge: 1 == 1.0) numerically."""
    try:
        numbers = [float(v) for v in values]
        numeric = all(math.isfinite(n) for n in numbers)
    except ValueError:
        numeric = False
    if numeric:
        first_text: dict[float, str] = {}
        for number, text in zip(numbers, values, strict=True):
            first_text.setdefault(number, text)
        keys: list[Any] = sorted(first_text)
        names = tuple(first_text[k] for k in keys)
        index = {k: i for i, k in enumerate(keys)}
        codes = [index[n] for n in numbers]
    else:
        names = tuple(sorted(set(values)))
        index = {k: i for i, k in enumerate(names)}
        codes = [index[v] for v in values]
    if len(names) < 2:
        raise DataError(
            f"CSV file {label}: target column {_show(target)} has only one class"
            f" ({_show(names[0])}); classification needs at least 2"
        )
    if len(names) > len(values) // 2:
        raise DataError(
            f"CSV file {label}: target column {_show(target)} has {len(names)} distinct values in"
            f" {len(values)} rows; it looks continuous, but normtui needs class labels"
        )
    return np.asarray(codes, dtype=np.int64), names


def load_csv(path: str, target: str) -> Dataset:
    """Load a CSV file with a header row; `target` names the label column.

    Fields are separated by commas, or by semicolons or tabs when the header has no comma.
    """
    label = _show(os.path.basename(path) or path)
    text = _read_text(path)
    records = _records(text, label, _delimiter(text))
    first = next(records, None)
    if first is None:
        raise DataError(f"CSV file {label} is empty")
    header_cells = first[1]
    # A comma at the end of every line (some spreadsheet exports): an unnamed, empty last column.
    trailing = len(header_cells) > 1 and not header_cells[-1].strip()
    columns = _header(header_cells[:-1] if trailing else header_cells, label)
    target = target.strip()
    if target not in columns:
        raise DataError(
            f"CSV file {label} has no column {_show(target)}; columns: {_show_columns(columns)}"
        )
    target_index = columns.index(target)
    features = [(i, name) for i, name in enumerate(columns) if i != target_index]
    if not features:
        raise DataError(f"CSV file {label} has no feature columns besides the target")
    rows: list[list[float]] = []
    labels: list[str] = []
    for line, cells in records:
        if trailing and len(cells) == len(columns) + 1 and not cells[-1].strip():
            cells = cells[:-1]
        if len(cells) != len(columns):
            raise DataError(
                f"CSV file {label}, line {line} has {len(cells)} fields; the header has"
                f" {len(columns)}"
            )
        label_text = cells[target_index].strip()
        if not label_text:
            raise DataError(f"CSV file {label}, line {line}: the target {_show(target)} is empty")
        labels.append(label_text)
        rows.append([_feature_value(cells[i], line, name, label) for i, name in features])
    if not rows:
        raise DataError(f"CSV file {label} has a header but no data rows")
    if len(rows) < MIN_CSV_ROWS:
        raise DataError(
            f"CSV file {label} has {len(rows)} data rows; at least {MIN_CSV_ROWS} are needed"
        )
    y, class_names = _encode_target(labels, target, label)
    return Dataset(
        name=os.path.basename(path),
        X=np.asarray(rows, dtype=np.float64),
        y=y,
        feature_names=tuple(name for _, name in features),
        class_names=class_names,
    )


def load_dataset(config: SessionConfig) -> Dataset:
    """The session's dataset: the CSV when one is given, else the named preset."""
    if config.csv_path:
        if not config.target:
            raise DataError("a CSV dataset needs --target COLUMN naming the label column")
        return load_csv(config.csv_path, config.target)
    return load_preset(config.dataset)


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


def _check_splittable(dataset: Dataset, val_split: float) -> None:
    """Raise DataError where a stratified split would fail (sklearn's conditions, in words)."""
    n_rows = len(dataset.y)
    n_classes = len(dataset.class_names)
    n_val = math.ceil(val_split * n_rows)
    n_train = n_rows - n_val
    counts = np.bincount(dataset.y, minlength=n_classes)
    smallest = int(np.argmin(counts))
    prefix = f"{dataset.name} is too small for a {val_split:.0%} validation split:"
    if counts[smallest] < 2:
        name = _show(dataset.class_names[smallest])
        raise DataError(f"{prefix} class {name} has {counts[smallest]} row(s), need at least 2")
    if n_val < n_classes:
        raise DataError(f"{prefix} {n_val} validation rows cannot hold all {n_classes} classes")
    if n_train < n_classes:
        raise DataError(f"{prefix} {n_train} training rows cannot hold all {n_classes} classes")


def split_indices(dataset: Dataset, val_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, validation) row indices; reproducible for a seed."""
    from sklearn.model_selection import train_test_split

    _check_splittable(dataset, val_split)
    rows = np.arange(len(dataset.y))
    try:
        train, val = train_test_split(
            rows, test_size=val_split, random_state=seed, stratify=dataset.y
        )
    except ValueError as error:  # a condition _check_splittable missed: still one line
        raise DataError(
            f"{dataset.name} is too small for a {val_split:.0%} validation split: {error}"
        ) from None
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
        out = X.astype(np.float32)
    if not np.isfinite(out).all():
        raise DataError(f"{dataset.name}: {what} has values that are not finite in float32")
    return out


def prepare(config: SessionConfig, dataset: Dataset | None = None) -> PreparedData:
    """Split the data (stratified, seeded), fit the scaler on the training split, scale both."""
    dataset = dataset if dataset is not None else load_dataset(config)
    train, val = split_indices(dataset, config.val_split, config.seed)
    batch = min(config.batch_size or len(train), len(train))
    check_model_size(
        config.hidden,
        n_features=dataset.X.shape[1],
        n_classes=len(dataset.class_names),
        rows_per_pass=max(batch, len(val)),
    )
    X_train, X_val = dataset.X[train], dataset.X[val]
    scaler = fit_scaler(config.scaler, config.seed, X_train)
    train_scaled = _transform(scaler, X_train)
    val_scaled = _transform(scaler, X_val)
    scaled = f"the {config.scaler}-scaled data"
    return PreparedData(
        name=dataset.name,
        feature_names=dataset.feature_names,
        n_classes=len(dataset.class_names),
        X_train_raw=_float32(X_train, "the raw data", dataset),
        X_val_raw=_float32(X_val, "the raw data", dataset),
        X_train_scaled=_float32(train_scaled, scaled, dataset),
        X_val_scaled=_float32(val_scaled, scaled, dataset),
        y_train=np.ascontiguousarray(dataset.y[train], dtype=np.int64),
        y_val=np.ascontiguousarray(dataset.y[val], dtype=np.int64),
        raw_feature_std=tuple(float(s) for s in X_train.std(axis=0)),
        scaled_feature_std=tuple(float(s) for s in train_scaled.std(axis=0)),
    )
