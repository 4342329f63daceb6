"""A sweep's data prepared in one child process, dataset by dataset, is what `prepare` gives here,
and the sweep never waits on the child for more than its first dataset."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from child_checks import assert_same_members, run_cli_in_fresh_process

from normtui.engine import prefetch
from normtui.engine.config import SessionConfig
from normtui.engine.data.prepare import prepare_members
from normtui.engine.prefetch import DataStream
from normtui.engine.sweep.plan import parse_plan
from normtui.engine.sweep.rows import RowRunner, rows_of
from normtui.engine.sweep.run import Collector
from normtui.engine.table import DataError

IRIS = [SessionConfig(dataset="iris", scaler=name, seeds=2) for name in ("standard", "quantile")]
WINE = SessionConfig(dataset="wine", scaler="robust", seeds=2)


def _until(condition: Callable[[], bool]) -> None:
    """Wait for the child (a SCHED_IDLE child may be slow on a busy machine)."""
    deadline = time.monotonic() + 120
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition()


def _sent_everything(stream: DataStream) -> None:
    _until(lambda: stream._ended)


def test_each_config_of_the_stream_equals_data_prepared_in_process() -> None:
    stream = DataStream.start([*IRIS, WINE])
    assert stream is not None
    try:
        _sent_everything(stream)  # the later dataset is only taken once it has arrived
        for config in [*IRIS, WINE]:
            assert_same_members(prepare_members(config), stream.take(config, threading.Event()))
    finally:
        stream.close()


def test_the_first_dataset_is_waited_for_and_a_later_one_not_yet_ready_is_left_to_the_caller(
    monkeypatch,
) -> None:
    """A child that sends the first dataset and then hangs (a machine too busy to give an idle
    process any time): the sweep prepares the rest itself instead of waiting."""
    hang_after_first = (
        "import pickle, sys, time; sys.path[:] = pickle.load(sys.stdin.buffer); "
        "from normtui.engine.prefetch import _prepare; "
        "_, job = pickle.load(sys.stdin.buffer); "
        "pickle.dump((0, _prepare(job[0], datasets={})), sys.stdout.buffer); "
        "sys.stdout.buffer.flush(); time.sleep(60)"
    )
    monkeypatch.setattr(prefetch, "_CHILD_CODE", hang_after_first)
    stream = DataStream.start([IRIS[0], WINE])
    assert stream is not None
    try:
        assert_same_members(prepare_members(IRIS[0]), stream.take(IRIS[0], threading.Event()))
        started = time.perf_counter()
        assert stream.take(WINE, threading.Event()) is None
        assert time.perf_counter() - started < 30.0  # not the child's 60 s
    finally:
        stream.close()
    assert stream._process.poll() is not None  # killed, not left to sleep


def test_a_config_not_in_the_stream_or_already_passed_gives_none() -> None:
    stream = DataStream.start(IRIS)
    assert stream is not None
    try:
        assert stream.take(WINE, threading.Event()) is None  # never asked of the child
        assert stream.take(IRIS[1], threading.Event()) is not None  # IRIS[0] is dropped
        assert stream.take(IRIS[0], threading.Event()) is None
    finally:
        stream.close()


def test_a_user_error_in_the_child_is_raised_here_with_the_same_message() -> None:
    config = SessionConfig(dataset="wine", task="regression")
    with pytest.raises(DataError) as in_process:
        prepare_members(config)
    stream = DataStream.start([config])
    assert stream is not None
    try:
        with pytest.raises(DataError) as in_child:
            stream.take(config, threading.Event())
    finally:
        stream.close()
    assert str(in_child.value) == str(in_process.value)


def test_a_stop_while_waiting_for_the_first_dataset_returns_at_once(monkeypatch) -> None:
    monkeypatch.setattr(prefetch, "_CHILD_CODE", "import time; time.sleep(60)")
    stream = DataStream.start(IRIS)
    assert stream is not None
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    try:
        assert stream.take(IRIS[0], cancel) is None
    finally:
        stream.close()
    assert stream._process.poll() is not None


def test_a_child_that_dies_means_prepare_in_process(monkeypatch) -> None:
    monkeypatch.setattr(prefetch, "_CHILD_CODE", "import sys; sys.stdin.buffer.read(); sys.exit(3)")
    stream = DataStream.start(IRIS)
    assert stream is not None
    try:
        assert stream.take(IRIS[0], threading.Event()) is None
    finally:
        stream.close()


def _cells(runner: RowRunner, plan) -> list[dict]:
    rows = rows_of(Collector(plan, None, {}).pending())
    results = []
    for row in rows:
        results += [r.to_dict() for r in runner.run(plan, row) or []]
    for result in results:
        result.pop("seconds"), result.pop("host")
    return results


def test_a_sweep_with_its_data_streamed_gives_the_same_cells_as_one_preparing_its_own() -> None:
    plan = parse_plan(
        datasets="iris,wine",
        activations="relu,tanh",
        scalers="none,standard,quantile",
        seeds=2,
        epochs=3,
    )
    streamed = RowRunner()
    streamed.prefetch(plan, rows_of(Collector(plan, None, {}).pending()))
    assert streamed._stream is not None
    _sent_everything(streamed._stream)  # else wine may be prepared here: the same, but untested
    try:
        assert _cells(streamed, plan) == _cells(RowRunner(), plan)
    finally:
        streamed.close()


def test_a_sweep_of_csv_files_reads_them_when_their_row_comes(tmp_path) -> None:
    csv = tmp_path / "data.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(40)))
    plan = parse_plan(datasets=str(csv), activations="relu", scalers="standard", target="label")
    runner = RowRunner()
    runner.prefetch(plan, rows_of(Collector(plan, None, {}).pending()))
    assert runner._stream is None


def test_a_headless_sweep_of_presets_never_imports_scikit_learn(tmp_path) -> None:
    """Its one dataset is prepared in the child while torch imports; the cells come out as in
    a process that prepares its own data (the test above)."""
    sweep = [
        "sweep", "--datasets", "wine", "--activations", "relu", "--scalers", "none,standard",
        "--seeds", "2", "--epochs", "3", "--json",
    ]  # fmt: skip
    output, loaded_sklearn = run_cli_in_fresh_process(
        sweep,
        NORMTUI_LOG_DIR=str(tmp_path),
    )
    assert not loaded_sklearn
    cells = json.loads(output)["cells"]
    assert {cell["scaler"] for cell in cells} == {"none", "standard"}
    assert all(cell["error"] is None for cell in cells)


def _arrives(stream: DataStream, index: int) -> None:
    _until(lambda: index in stream._outcomes)


def test_the_stream_reads_at_most_one_dataset_ahead_of_the_one_being_taken() -> None:
    """With 256 seeds a grid's data is gigabytes: only the next dataset's may wait here."""
    breast = SessionConfig(dataset="breast_cancer", scaler="standard", seeds=2)
    stream = DataStream.start([IRIS[0], WINE, breast])
    assert stream is not None
    try:
        _arrives(stream, 1)  # nothing taken yet: the first dataset and the next one come
        time.sleep(1.0)  # breast_cancer takes ~0.1 s to prepare: it would be here by now
        assert 2 not in stream._outcomes
        assert_same_members(prepare_members(IRIS[0]), stream.take(IRIS[0], threading.Event()))
        assert_same_members(prepare_members(WINE), stream.take(WINE, threading.Event()))
        _arrives(stream, 2)
        assert_same_members(prepare_members(breast), stream.take(breast, threading.Event()))
    finally:
        stream.close()
