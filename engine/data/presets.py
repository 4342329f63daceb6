"""The built-in datasets: offline, deterministic, independent of the session seed."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from normtui.engine.config import DATASETS, SPREAD_FLOOR, SessionConfig
from normtui.engine.data.dataset import Dataset
from normtui.engine.data.split import split_indices
from normtui.engine.table import DataError


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
