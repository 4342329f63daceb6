"""Whatever file a user points at, loading it gives a Dataset or one DataError, nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normtui.engine.config import SCALERS, SessionConfig
from normtui.engine.data import DataError, Dataset, load_csv, prepare

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CELLS = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "1e3", " 2.5 ", "nan", "inf", "1e400", "abc", '"1,2"', '"a\nb"']),
    st.text(max_size=6),
)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.csv"


def _check(dataset: Dataset) -> None:
    n_rows, n_features = dataset.X.shape
    assert dataset.X.dtype == np.float64 and np.isfinite(dataset.X).all()
    assert dataset.y.dtype == np.int64 and dataset.y.shape == (n_rows,)
    assert len(dataset.feature_names) == n_features >= 1
    assert len(dataset.class_names) >= 2
    assert set(np.unique(dataset.y)) == set(range(len(dataset.class_names)))


def _load(path: Path, target: str) -> Dataset | None:
    try:
        dataset = load_csv(str(path), target)
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
    odd_every = draw(st.sampled_from([3, 20, 1000]))  # how often a row is odd
    rows = []
    for i in range(draw(st.integers(0, 40))):
        if draw(st.integers(1, odd_every)) == 1:
            rows.append(draw(st.lists(CELLS, min_size=max(0, width - 1), max_size=width + 1)))
        else:
            label = draw(st.sampled_from(["0", "1", "2", "x", "y"])) if i > 3 else str(i % 2)
            rows.append([str(draw(st.floats(-1e6, 1e6))) for _ in range(width - 1)] + [label])
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    text = "\n".join(delimiter.join(row) for row in [header, *rows])
    return text, draw(st.sampled_from(["label", "label", "a", "missing"]))


@FUZZ
@given(
    case=csv_text(), scaler=st.sampled_from(SCALERS), val_split=st.sampled_from([0.05, 0.2, 0.9])
)
def test_csv_like_text_loads_and_prepares_or_raises_data_error(
    csv_path: Path, case: tuple[str, str], scaler: str, val_split: float
) -> None:
    text, target = case
    csv_path.write_text(text, encoding="utf-8")
    dataset = _load(csv_path, target)
    if dataset is None:
        return
    config = SessionConfig(
        csv_path=str(csv_path), target=target, scaler=scaler, val_split=val_split
    )
    try:
        data = prepare(config, dataset)
    except DataError as error:
        assert "\n" not in str(error)
        return
    assert np.isfinite(data.X_train_scaled).all() and np.isfinite(data.X_val_scaled).all()
    assert len(data.y_train) + len(data.y_val) == len(dataset.y)
