"""Data prepared in a child process (while torch imports) is exactly what `prepare` gives here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from child_checks import assert_same_members, run_cli_in_fresh_process

from normtui.engine import prefetch
from normtui.engine.config import SessionConfig
from normtui.engine.data.prepare import prepare, prepare_members
from normtui.engine.prefetch import DataPrefetch
from normtui.engine.session import Session
from normtui.engine.table import DataError


def _fetch(config: SessionConfig):
    handle = DataPrefetch.start(config)
    assert handle is not None
    try:
        return handle.result(threading.Event())
    finally:
        handle.close()


@pytest.mark.parametrize(
    "config",
    [
        SessionConfig(dataset="wine"),
        SessionConfig(dataset="digits", scaler="quantile", seed=3),
        SessionConfig(dataset="wine", seed=2, seeds=3),
    ],
    ids=["wine-standard", "digits-quantile", "wine-3-seeds"],
)
def test_prefetched_data_equals_data_prepared_in_process(config: SessionConfig) -> None:
    fetched = _fetch(config)
    local = prepare_members(config)
    assert len(local) == config.seeds
    # member 0 is the one-seed data
    np.testing.assert_array_equal(local[0].X_train_raw, prepare(config).X_train_raw)
    assert_same_members(local, fetched)


def test_a_user_error_in_the_child_is_raised_here_with_the_same_message(tmp_path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "a,b,label\n" + "".join(f"{i},{i if i % 3 else 'x'},{i % 2}\n" for i in range(20))
    )
    config = SessionConfig(csv_path=str(csv), target="label")
    with pytest.raises(DataError) as in_process:
        prepare(config)
    with pytest.raises(DataError) as in_child:
        _fetch(config)
    assert str(in_child.value) == str(in_process.value)


def test_a_child_that_fails_means_prepare_in_process(monkeypatch) -> None:
    monkeypatch.setattr(prefetch, "_CHILD_CODE", "import sys; sys.stdin.buffer.read(); sys.exit(3)")
    assert _fetch(SessionConfig(dataset="iris")) is None


def test_a_child_that_prints_garbage_means_prepare_in_process(monkeypatch) -> None:
    garbage = "import sys; sys.stdin.buffer.read(); print('hello')"
    monkeypatch.setattr(prefetch, "_CHILD_CODE", garbage)
    assert _fetch(SessionConfig(dataset="iris")) is None


def test_a_stop_while_waiting_kills_the_child_at_once(monkeypatch) -> None:
    monkeypatch.setattr(prefetch, "_CHILD_CODE", "import time; time.sleep(60)")
    handle = DataPrefetch.start(SessionConfig(dataset="iris"))
    assert handle is not None
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.perf_counter()
    assert handle.result(cancel) is None
    assert time.perf_counter() - started < 30.0  # not the child's 60 s: killed, not waited for
    assert handle._process.poll() is not None  # killed, not left to finish


def test_a_process_that_prefetches_never_imports_scikit_learn() -> None:
    """The point of the child: `normtui train` here loads torch only, and trains as usual."""
    output, loaded_sklearn = run_cli_in_fresh_process(
        ["train", "--dataset", "wine", "--epochs", "5", "--seeds", "3", "--json"]
    )
    assert not loaded_sklearn
    report = json.loads(output.splitlines()[-1])

    # the same five epochs trained in this process, on data prepared here, agree to the bit
    from normtui.engine.session import Session
    from normtui.engine.summary import Summarizer

    summary = Summarizer(0.95)
    session = Session(SessionConfig(dataset="wine", epochs=5, seeds=3))
    session.start(summary)
    assert session.join(timeout=60)
    for name in ("raw", "normalized"):
        assert report["runs"][name]["val_loss"] == summary.runs[name].val_loss
        assert report["runs"][name]["epochs"] == 5
        members = [m["val_loss"] for m in report["runs"][name]["members"]]
        assert members == [m.val_loss for m in summary.runs[name].members]


def test_a_prefetch_closed_before_its_result_is_asked_for_gives_none() -> None:
    """A session stopped while torch still imports closes the child first; no error follows."""
    handle = DataPrefetch.start(SessionConfig(dataset="iris"))
    assert handle is not None
    handle.close()
    assert handle._process.poll() is not None
    assert handle.result(threading.Event()) is None


def _slow_child_session(monkeypatch, **options) -> Session:
    from normtui.engine import session as session_module

    monkeypatch.setattr(session_module, "worth_prefetching", lambda config: True)
    monkeypatch.setattr(prefetch, "_CHILD_CODE", "import time; time.sleep(60)")
    return Session(SessionConfig(dataset="iris", epochs=3, **options), prefetch=True)


def test_stopping_a_session_that_never_started_kills_its_child(monkeypatch) -> None:
    session = _slow_child_session(monkeypatch)
    child = session._prefetch._process
    session.stop("quit")
    assert child.poll() is not None


def test_a_session_stopped_while_its_data_is_being_prepared_ends_with_the_stop_reason(
    monkeypatch,
) -> None:
    session = _slow_child_session(monkeypatch)
    child = session._prefetch._process
    events = []
    session.start(events.append)
    time.sleep(0.3)  # the trainer thread now waits for the child (or soon will: same outcome)
    started = time.perf_counter()
    session.stop("quit")
    assert time.perf_counter() - started < 30.0  # not the child's 60 s
    assert child.poll() is not None
    assert [type(e).__name__ for e in events] == ["SessionEnded"]
    assert events[0].reason == "quit" and events[0].error is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_missing_device_is_reported_without_waiting_for_the_data(monkeypatch) -> None:
    session = _slow_child_session(monkeypatch, device="cuda")
    events = []
    session.start(events.append)
    assert session.join(timeout=30)  # the child sleeps for 60 s
    ended = events[-1]
    assert ended.usage_error and "no CUDA device" in (ended.error or "")


def test_the_child_exits_when_its_parent_is_killed(tmp_path) -> None:
    """A parent that dies without stopping the child (os._exit, an early signal) orphans it."""
    parent_code = (
        "import os, sys\n"
        "from normtui.engine import prefetch\n"
        "from normtui.engine.config import SessionConfig\n"
        "prefetch._CHILD_CODE = ('import pickle, sys, time; '\n"
        "    'sys.path[:] = pickle.load(sys.stdin.buffer); '\n"
        "    'from normtui.engine import prefetch; '\n"
        "    'parent, _ = pickle.load(sys.stdin.buffer); '\n"
        "    'prefetch._exit_with(parent); time.sleep(60)')\n"
        "handle = prefetch.DataPrefetch.start(SessionConfig(dataset='iris'))\n"
        "print(handle._process.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", parent_code], capture_output=True, text=True, timeout=60
    )
    child = int(result.stdout.split()[0])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_only_regular_csv_files_are_read_in_a_child(monkeypatch, tmp_path) -> None:
    """`--dataset <(cmd)` names a pipe only this process holds open: the child cannot read it."""
    monkeypatch.delitem(sys.modules, "sklearn")
    csv, fifo = tmp_path / "data.csv", tmp_path / "fifo"
    csv.write_text("a,label\n1,0\n")
    os.mkfifo(fifo)
    assert prefetch.worth_prefetching(SessionConfig(dataset="wine"))
    assert prefetch.worth_prefetching(SessionConfig(csv_path=str(csv), target="label"))
    assert not prefetch.worth_prefetching(SessionConfig(csv_path=str(fifo), target="label"))
