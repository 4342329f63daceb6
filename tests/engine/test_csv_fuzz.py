"""Whatever file a user points at, loading it gives a Dataset or one DataError, nothing else.

Also with every table option (task, missing-value policy, categorical and ignored columns):
what loads then prepares into finite float32 arrays, or raises one DataError line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normtui.engine.config import MISSING, SCALERS, TARGET_SCALERS, TASKS, SessionConfig
from normtui.engine.data.dataset import Dataset
from normtui.engine.data.load import load_csv
from normtui.engine.data.prepare import prepare
from normtui.engine.table import DataError

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CELLS = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "1e3", " 2.5 ", "nan", "inf", "1e400", "abc", '"1,2"', '"a\nb"']),
    st.sampled_from(["NA", "?", "N/A", "null", "red", "blue", "True", "0,5"]),
    st.text(max_size=6),
)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.csv"


def _check(dataset: Dataset) -> None:
    n_rows, n_features = dataset.X.shape
    assert dataset.X.dtype == np.float64 and not np.isinf(dataset.X).any()  # NaN: missing
    assert dataset.categories is not None and dataset.categories.shape[0] == n_rows
    assert n_features + len(dataset.categorical_names) >= 1
    assert len(dataset.feature_names) == n_features
    assert dataset.y.shape == (n_rows,)
    if dataset.task == "classification":
        assert dataset.y.dtype == np.int64 and len(dataset.class_names) >= 2
        assert set(np.unique(dataset.y)) == set(range(len(dataset.class_names)))
    else:
        assert dataset.y.dtype == np.float64 and np.isfinite(dataset.y).all()
        assert np.ptp(dataset.y) > 0 and not dataset.class_names


def _load(path: Path, target: str, **options: object) -> Dataset | None:
    try:
        dataset = load_csv(str(path), target, **options)  # type: ignore[arg-type]
    except DataError as error:
        assert "\n" not in str(error) and str(error)
        return None
    _check(dataset)
    return dataset


@FUZZ
@given(
    content=st.binary(max_size=2000),
    target=st.sampled_from(["label", "a", ""]),
    prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]),  # BOMs
)
def test_arbitrary_bytes_load_or_raise_data_error(
    csv_path: Path, content: bytes, target: str, prefix: bytes
) -> None:
    csv_path.write_bytes(prefix + content)
    _load(csv_path, target)


@st.composite
def csv_text(draw: st.DrawFn) -> tuple[str, str]:
    """A header and rows: mostly clean numbers, with odd names and cells mixed in at random."""
    if draw(st.integers(0, 3)) == 0:  # an odd header: duplicates, blanks, no label
        header = draw(st.lists(st.sampled_from(["a", "b", "label", " a", ""]), max_size=4))
    else:
        features = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True))
        header = [*features, "label"]
    width = len(header)
    # each feature holds numbers, levels (text categories) or numbers with gaps
    kinds = [draw(st.sampled_from(["number", "level", "gappy"])) for _ in range(width - 1)]
    # the target: class labels, numbers (a price), or one number in every row (constant)
    target_kind = draw(st.sampled_from(["classes", "numbers", "constant"]))
    odd_every = draw(st.sampled_from([3, 20, 1000]))  # how often a row is odd
    rows = []
    for i in range(draw(st.integers(0, 40))):
        if draw(st.integers(1, odd_every)) == 1:
            rows.append(draw(st.lists(CELLS, min_size=max(0, width - 1), max_size=width + 1)))
            continue
        if target_kind == "numbers":
            label = str(draw(st.floats(-1e3, 1e3)))
        elif target_kind == "constant":
            label = "250000"
        else:
            label = draw(st.sampled_from(["0", "1", "2", "x", "y"])) if i > 3 else str(i % 2)
        cells = []
        for kind in kinds:
            if kind == "level":
                cells.append(draw(st.sampled_from(["red", "green", "blue", "NA"])))
            elif kind == "gappy" and draw(st.integers(0, 3)) == 0:
                cells.append(draw(st.sampled_from(["", "NA", "?", "NaN"])))
            else:
                cells.append(str(draw(st.floats(-1e6, 1e6))))
        rows.append([*cells, label])
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    text = "\n".join(delimiter.join(row) for row in [header, *rows])
    return text, draw(st.sampled_from(["label", "label", "a", "missing"]))


@FUZZ
@given(
    case=csv_text(),
    scaler=st.sampled_from(SCALERS),
    val_split=st.sampled_from([0.05, 0.2, 0.9]),
    task=st.sampled_from(TASKS),
    missing=st.sampled_from(MISSING),
    target_scaler=st.sampled_from(TARGET_SCALERS),
    categorical=st.sampled_from([(), ("b",), ("a", "c")]),
    max_categories=st.sampled_from([2, 50]),
)
def test_csv_like_text_loads_and_prepares_or_raises_data_error(
    csv_path: Path,
    case: tuple[str, str],
    scaler: str,
    val_split: float,
    task: str,
    missing: str,
    target_scaler: str,
    categorical: tuple[str, ...],
    max_categories: int,
) -> None:
    text, target = case
    csv_path.write_text(text, encoding="utf-8")
    dataset = _load(csv_path, target, task=task, missing=missing, categorical=categorical)
    if dataset is None:
        return
    config = SessionConfig(
        csv_path=str(csv_path),
        target=target,
        scaler=scaler,
        val_split=val_split,
        task=task,
        missing=missing,
        target_scaler=target_scaler,
        categorical=categorical,
        max_categories=max_categories,
    )
    try:
        data = prepare(config, dataset)
    except DataError as error:
        assert "\n" not in str(error)
        return
    for array in (data.X_train_raw, data.X_val_raw, data.X_train_scaled, data.X_val_scaled):
        assert array.dtype == np.float32 and np.isfinite(array).all()
    assert np.isfinite(data.y_train).all() and np.isfinite(data.y_val).all()
    assert len(data.y_train) + len(data.y_val) == len(dataset.y)
    assert data.X_train_raw.shape[1] == len(data.feature_names) >= 1
