"""A dropped SSH session, a kill or Ctrl+C: the headless run stops cleanly and its log is whole."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from normtui.engine.events import EpochEnd, SessionEnded
from normtui.engine.log import read_log


def start_training(log: Path, *extra: str, ignore_hangup: bool = False) -> subprocess.Popen:
    def as_from_a_terminal() -> None:
        # A shell without job control (CI's `cmd &`, a test runner's worker) may hand us SIGINT
        # ignored, and normtui rightly keeps an ignored signal ignored: start from a terminal's
        # defaults, then do what `nohup` does if asked.
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        if ignore_hangup:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "normtui",
            "train",
            "--dataset",
            "wine",
            "--epochs",
            "1000000",
            "--log",
            str(log),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_terminal,
    )


@pytest.mark.parametrize(
    ("signum", "name", "code"),
    [
        (signal.SIGHUP, "SIGHUP", 129),
        (signal.SIGTERM, "SIGTERM", 143),
        (signal.SIGINT, "SIGINT", 130),
    ],
)
def test_a_signal_stops_training_and_the_log_ends_with_a_final_event(
    wait_for_epochs, tmp_path, signum, name, code
) -> None:
    log = tmp_path / "session.jsonl"
    process = start_training(log)
    try:
        wait_for_epochs(log, 20)
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    _, stderr = process.communicate()
    assert process.returncode == code
    assert "Traceback" not in stderr
    _, events = read_log(str(log))
    ended = events[-1]
    assert isinstance(ended, SessionEnded) and ended.reason == name
    last_epoch = max(e.epoch for e in events if isinstance(e, EpochEnd))
    assert ended.epoch == last_epoch
    # every line of the file parsed: nothing was cut off
    assert len(log.read_text().splitlines()) == len(events) + 1


def test_a_crash_in_a_worker_is_a_one_line_error_with_exit_code_1(tmp_path) -> None:
    code = (
        "import sys\n"
        "from normtui.engine.run import Run\n"
        "original = Run.train_epoch\n"
        "def broken(self, *args, **kwargs):\n"
        "    if self.name == 'raw':\n"
        "        raise MemoryError('simulated out of memory')\n"
        "    return original(self, *args, **kwargs)\n"
        "Run.train_epoch = broken\n"
        "from normtui.tui.cli import main\n"
        "main(['train', '--dataset', 'iris', '--epochs', '5'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("normtui:")]
    assert error_lines == [
        "normtui: error: the raw run failed: MemoryError: simulated out of memory"
    ]
    assert "normalized" in result.stdout  # the other run finished and was reported


def test_under_nohup_a_dropped_connection_does_not_stop_training(wait_for_epochs, tmp_path) -> None:
    log = tmp_path / "session.jsonl"
    process = start_training(log, ignore_hangup=True)
    try:
        wait_for_epochs(log, 20)
        process.send_signal(signal.SIGHUP)  # the SSH connection drops
        before = log.read_text().count('"event":"epoch"')
        wait_for_epochs(log, before + 20)
        assert process.poll() is None, "nohup's ignored SIGHUP must stay ignored"
        process.send_signal(signal.SIGTERM)  # other signals still stop it cleanly
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    process.communicate()
    assert process.returncode == 143
    _, events = read_log(str(log))
    assert isinstance(events[-1], SessionEnded) and events[-1].reason == "SIGTERM"
