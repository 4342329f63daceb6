"""A big file shows how far it has been read (issue 14 item 4), across the prefetch child too;
a small one shows nothing. Parquet loads like the same table as CSV when pyarrow is there."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from normtui.engine import session as session_module
from normtui.engine import table as table_module
from normtui.engine.config import SessionConfig
from normtui.engine.data.load import load_csv
from normtui.engine.events import DataLoading, SessionStarted, event_from_dict
from normtui.engine.prefetch import DataPrefetch
from normtui.engine.session import Session
from normtui.engine.table import DataError, LoadProgress, read_table

TABLE = "size,colour,price\n" + "".join(
    f"{i * 1.5 if i % 7 else ''},{('red', 'blue', '')[i % 3]},{1000 + i * 37 % 101}\n"
    for i in range(60)
)


def _write(tmp_path: Path, text: str, name: str = "homes.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_reading_in_chunks_reports_rows_as_they_come_then_done(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(table_module, "CHUNK_ROWS", 25)
    reports: list[LoadProgress] = []
    table = read_table(_write(tmp_path, TABLE), "price", progress=reports.append)
    assert [r.rows for r in reports] == [25, 50, 60, 60]
    assert [r.done for r in reports] == [False, False, False, True]
    assert reports[-1].bytes_read == reports[-1].total_bytes == len(TABLE)
    assert table.numeric.shape == (60, 1) and table.text_names == ("colour",)


def _events(config: SessionConfig, **options) -> list:
    events: list = []
    session = Session(config, **options)
    session.start(events.append)
    assert session.join(timeout=120)
    return events


def test_a_slow_load_sends_its_progress_before_the_session_starts(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(table_module, "CHUNK_ROWS", 25)
    monkeypatch.setattr(session_module, "LOADING_SHOWN_AFTER_S", 0.0)  # every load is "slow"
    config = SessionConfig(csv_path=_write(tmp_path, TABLE), target="price", epochs=1)
    events = _events(config)
    loading = [e for e in events if isinstance(e, DataLoading)]
    started = next(i for i, e in enumerate(events) if isinstance(e, SessionStarted))
    assert events[: len(loading)] == loading and started == len(loading)
    assert [e.rows for e in loading] == [25, 50, 60, 60] and loading[-1].done
    assert loading[-1].source == "homes.csv" and loading[-1].fraction == 1.0
    assert loading[0].describe().startswith("25 rows read (")
    assert event_from_dict(loading[0].to_dict()) == loading[0]  # logged and replayed as is


def test_a_quick_load_sends_no_progress_at_all(tmp_path) -> None:
    config = SessionConfig(csv_path=_write(tmp_path, TABLE), target="price", epochs=1)
    assert not [e for e in _events(config) if isinstance(e, DataLoading)]


def test_the_prefetch_child_sends_its_progress_across(tmp_path) -> None:
    rows = table_module.CHUNK_ROWS + 1  # two chunks in the child, which cannot be patched
    text = "a,b,y\n" + "1,2,0\n2,1,1\n" * (rows // 2) + "3,3,1\n" * (rows % 2)
    config = SessionConfig(csv_path=_write(tmp_path, text, "big.csv"), target="y")
    handle = DataPrefetch.start(config)
    assert handle is not None
    reports: list[LoadProgress] = []
    try:
        handle.report_to(reports.append)
        members = handle.result(threading.Event())
    finally:
        handle.close()
    assert members is not None and len(members[0].y_train) + len(members[0].y_val) == rows
    assert reports and reports[-1].done and reports[-1].rows == rows
    assert [r.rows for r in reports] == sorted(r.rows for r in reports)


def test_parquet_loads_the_same_table_as_csv(tmp_path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    csv_path = _write(tmp_path, TABLE)
    parquet = tmp_path / "homes.parquet"
    pd.read_csv(csv_path).to_parquet(parquet)
    from_csv, from_parquet = load_csv(csv_path, "price"), load_csv(str(parquet), "price")
    np.testing.assert_array_equal(from_csv.X, from_parquet.X)
    np.testing.assert_array_equal(from_csv.categories, from_parquet.categories)
    np.testing.assert_array_equal(from_csv.y, from_parquet.y)
    assert from_parquet.task == "regression"


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch) -> None:
    import pandas as pd

    def no_pyarrow(*args, **kwargs):
        raise ImportError("Unable to find a usable engine")

    monkeypatch.setattr(pd, "read_parquet", no_pyarrow)
    path = tmp_path / "homes.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="needs pyarrow: pip install pyarrow"):
        load_csv(str(path), "price")


def test_a_session_hands_on_the_childs_progress_before_it_starts(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(session_module, "worth_prefetching", lambda config: True)
    monkeypatch.setattr(session_module, "LOADING_SHOWN_AFTER_S", 0.0)
    config = SessionConfig(csv_path=_write(tmp_path, TABLE), target="price", epochs=1)
    events = _events(config, prefetch=True)
    loading = [e for e in events if isinstance(e, DataLoading)]
    assert loading and loading[-1].done and loading[-1].rows == 60
    assert events[: len(loading)] == loading and isinstance(events[len(loading)], SessionStarted)


def test_parquet_text_cells_that_say_missing_are_missing_as_in_a_csv(tmp_path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    frame = pd.read_csv(_write(tmp_path, TABLE), keep_default_na=False, dtype=str)
    frame.loc[[2, 9], "size"] = ["?", "NA"]  # text in Parquet, where no CSV parser reads them
    frame["price"] = frame["price"].astype(float)
    parquet = tmp_path / "homes.parquet"
    frame.to_parquet(parquet)
    dataset = load_csv(str(parquet), "price")
    assert dataset.feature_names == ("size",) and np.isnan(dataset.X[[0, 2, 9], 0]).all()
    assert dataset.categorical_names == ("colour",)


def test_too_many_rows_at_once_is_refused_before_the_table_is_encoded(
    tmp_path, monkeypatch
) -> None:
    """A million-row file with full batches and 5 seeds must not spend a minute encoding first."""
    from normtui.engine.config import ConfigError
    from normtui.engine.data import prepare as prepare_module
    from normtui.engine.data.prepare import prepare

    def not_yet(dataset):
        raise AssertionError("encoded before the activation budget was checked")

    monkeypatch.setattr(prepare_module, "_encoder", not_yet)
    rows = "".join(f"{i % 97},{'ab'[i % 2]},{i * 3.5}\n" for i in range(15_000))
    path = _write(tmp_path, "x,kind,price\n" + rows)
    config = SessionConfig(csv_path=path, target="price", hidden=(4096,), seeds=5)
    with pytest.raises(ConfigError, match=r"x 5 seeds on 12,000 rows at once needs 246 million"):
        prepare(config)
