"""What a run trains on: the dataset split, imputed and one-hot encoded (both runs share that),
the numeric columns scaled for the normalized run; one `PreparedData` per member."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from normtui.engine.config import SessionConfig, check_model_size
from normtui.engine.data.dataset import Dataset, PreparedData
from normtui.engine.data.load import load_dataset
from normtui.engine.data.split import as_float32, fit_scaler, split_rows, transform
from normtui.engine.data.target import target_arrays
from normtui.engine.table import DataError, ProgressCallback, show


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
        import pandas as pd

        gone = pd.isna(dataset.categories[train]).all(axis=0)  # a text cell is a str or None
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
    train, val, test = split_rows(dataset, config.val_split, config.test_split, config.seed)
    batch = min(config.batch_size or len(train), len(train))
    # The activations' budget needs only the rows: say so now, not after encoding a big file.
    check_model_size(config.hidden, rows_per_pass=max(batch, len(val)), members=config.members)
    _check_training_values(dataset, train)
    encoder = _encoder(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unseen level in validation: all-zero one-hot
        X_train = np.asarray(encoder.fit_transform(_encoder_input(dataset, train)), np.float64)
        X_val = np.asarray(encoder.transform(_encoder_input(dataset, val)), np.float64)
        X_test = (
            np.asarray(encoder.transform(_encoder_input(dataset, test)), np.float64)
            if len(test)
            else None
        )
    feature_names = _encoded_names(dataset, encoder)
    n_numeric = dataset.X.shape[1]
    check_model_size(
        config.hidden,
        n_features=len(feature_names),
        n_classes=len(dataset.class_names) or 1,
        rows_per_pass=max(batch, len(val)),
        members=config.members,
    )
    raw_std = X_train.std(axis=0)
    X_train_raw = as_float32(X_train, "the raw data", dataset)
    X_val_raw = as_float32(X_val, "the raw data", dataset)
    X_test_raw = None if X_test is None else as_float32(X_test, "the raw data", dataset)
    if n_numeric:  # scaled in place: a float64 copy of a million rows is ~0.5 GB at the peak
        scaler = fit_scaler(config.scaler, config.seed, X_train[:, :n_numeric])
        X_train[:, :n_numeric] = transform(scaler, X_train[:, :n_numeric])
        X_val[:, :n_numeric] = transform(scaler, X_val[:, :n_numeric])
        if X_test is not None:
            X_test[:, :n_numeric] = transform(scaler, X_test[:, :n_numeric])
    y_train, y_val, target_unit = target_arrays(config, dataset, train, val)
    y_test = None
    if len(test):  # the same target scaler, fitted on the training rows: held out from it too
        _, y_test, _ = target_arrays(config, dataset, train, test)
    scaled = f"the {config.scaler}-scaled data"
    return PreparedData(
        name=dataset.name,
        feature_names=feature_names,
        n_classes=len(dataset.class_names),
        X_train_raw=X_train_raw,
        X_val_raw=X_val_raw,
        X_train_scaled=as_float32(X_train, scaled, dataset),
        X_val_scaled=as_float32(X_val, scaled, dataset),
        y_train=y_train,
        y_val=y_val,
        raw_feature_std=tuple(float(s) for s in raw_std),
        scaled_feature_std=tuple(float(s) for s in X_train.std(axis=0)),
        task=dataset.task,
        n_numeric=n_numeric if dataset.categorical_names else None,
        imputed_cells=_missing_cells(dataset),
        dropped_rows=dataset.dropped_rows,
        target_unit=target_unit,
        class_names=tuple(dataset.class_names),
        X_test_raw=X_test_raw,
        X_test_scaled=None if X_test is None else as_float32(X_test, scaled, dataset),
        y_test=y_test,
    )


def prepare_members(
    config: SessionConfig,
    dataset: Dataset | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[PreparedData, ...]:
    """One `prepare` per member: member k splits and fits its scalers under its own seed
    (engine/seeds.py: member 0 is `seed`, the others SeedSequence(seed)'s children).

    The dataset is loaded once. Every split has the same sizes (the same validation share of
    the same rows), so the members' arrays stack into [members, rows, features].
    """
    from normtui.engine.seeds import member_seeds

    dataset = dataset if dataset is not None else load_dataset(config, progress)
    seeds = member_seeds(config.seed, config.seeds)
    return tuple(
        prepare(config if k == 0 else config.replace(seed=seed), dataset)
        for k, seed in enumerate(seeds)
    )
