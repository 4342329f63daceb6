"""The real dashboard in a real pseudo-terminal: a dropped SSH session or a kill loses nothing."""

from __future__ import annotations

import os
import pty
import re
import signal
import struct
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_helpers import wait_until

from normtui.engine.events import EpochEnd, SessionEnded
from normtui.engine.log import LogError, read_log

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


class Dashboard:
    """`normtui` running in its own pty; the pty's output is drained so drawing never blocks."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a terminal's signal defaults (the runner may ignore SIGINT)
            for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(number, signal.SIG_DFL)
            os.execve(sys.executable, [sys.executable, "-m", "normtui", *args], env)
        import fcntl
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
        return None

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


@pytest.mark.parametrize(
    ("signum", "name", "code"),
    [
        (signal.SIGHUP, "SIGHUP", 129),
        (signal.SIGTERM, "SIGTERM", 143),
        (signal.SIGINT, "SIGINT", 130),  # `kill -INT` from another shell, not the Ctrl+C key
    ],
)
def test_the_dashboard_survives_a_dropped_connection_with_its_log_intact(
    wait_for_epochs, tmp_path, signum, name, code
) -> None:
    log = tmp_path / "ui.jsonl"
    env = {**os.environ, "TERM": "xterm-256color", "NORMTUI_LOG_DIR": str(tmp_path)}
    dashboard = Dashboard(["--dataset", "iris", "--pace", "0", "--log", str(log)], env)
    try:
        wait_for_epochs(log, 20)
        os.kill(dashboard.pid, signum)
        exit_code = dashboard.wait(timeout=60)
    finally:
        dashboard.kill()
    assert exit_code == code
    assert b"Traceback" not in bytes(dashboard.output)
    _, events = read_log(str(log))
    ended = events[-1]
    assert isinstance(ended, SessionEnded) and ended.reason == name
    assert ended.epoch == max(e.epoch for e in events if isinstance(e, EpochEnd))
    assert len(log.read_text().splitlines()) == len(events) + 1  # no half-written line


def _epochs(path) -> list:
    """The epochs a log being written holds so far (none while its header is all there is)."""
    try:
        return [e for e in read_log(str(path))[1] if isinstance(e, EpochEnd)]
    except LogError:
        return []


def _epoch_logged(folder: Path, pattern: str) -> bool:
    """Whether a session log matching `pattern` in `folder` holds an epoch yet."""
    return any(_epochs(p) for p in folder.glob(pattern))


def test_q_quits_restores_the_terminal_and_names_the_log(tmp_path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "NORMTUI_LOG_DIR": str(tmp_path)}
    dashboard = Dashboard(["--dataset", "iris"], env)
    try:
        wait_until(lambda: _epoch_logged(tmp_path, "*.jsonl.gz"), "no default session log appeared")
        os.write(dashboard.fd, b"q")
        exit_code = dashboard.wait(timeout=60)
    finally:
        dashboard.kill()
    assert exit_code == 0
    (log,) = tmp_path.glob("*.jsonl.gz")  # the dashboard's own logs are gzip (engine/log.py)
    output = bytes(dashboard.output)
    assert b"\x1b[?1049l" in output  # left the alternate screen: the terminal is restored
    assert str(log).encode() in output  # the session log's path is printed on exit
    _, events = read_log(str(log))
    assert isinstance(events[-1], SessionEnded) and events[-1].reason == "quit"


def test_a_csv_the_dashboard_cannot_use_is_one_error_line_and_exit_2(tmp_path) -> None:
    """The error is found by the data-prefetch child while the UI is up; it must still reach the
    terminal after the screen is restored, worded like `train`'s, with exit code 2."""
    csv = tmp_path / "bad.csv"
    csv.write_text("a,label\n" + "".join(f"{i if i % 3 else 'x'},{i % 2}\n" for i in range(20)))
    logs = tmp_path / "logs"
    env = {**os.environ, "TERM": "xterm-256color", "NORMTUI_LOG_DIR": str(logs)}
    dashboard = Dashboard(["--dataset", str(csv), "--target", "label"], env)
    try:
        exit_code = dashboard.wait(timeout=120)
    finally:
        dashboard.kill()
    assert exit_code == 2
    after_screen = bytes(dashboard.output).rsplit(b"\x1b[?1049l", 1)[-1].decode()
    after_screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", after_screen)  # mode resets
    errors = [line for line in after_screen.splitlines() if line.startswith("normtui:")]
    assert len(errors) == 1 and errors[0].startswith("normtui: error: ")
    assert "bad.csv" in errors[0] and "Traceback" not in after_screen
    # a session that never started names no log, and leaves none behind (issue 10 item 14)
    assert "session log" not in after_screen and not list(logs.glob("*.jsonl*"))


def test_a_sweep_cell_opens_and_closes_in_one_app_and_says_its_summary_once(tmp_path) -> None:
    """`normtui sweep`, Enter on a cell, esc, q: the terminal's alternate screen is entered and
    left once (one app, never relaunched), nothing is printed before it is left, and each
    summary line comes once after it."""
    results = tmp_path / "grid.jsonl"
    env = {**os.environ, "TERM": "xterm-256color", "NORMTUI_LOG_DIR": str(tmp_path)}
    grid = ["--datasets", "iris", "--activations", "relu", "--scalers", "none,standard"]
    sweep = Dashboard(
        ["sweep", *grid, "--seeds", "2", "--epochs", "5", "--results", str(results)], env
    )
    try:
        wait_until(  # header, the cell and its raw baseline
            lambda: results.exists() and len(results.read_text().splitlines()) >= 3,
            "the sweep did not finish its cell",
        )
        os.write(sweep.fd, b"\r")  # Enter: the cursor's cell (raw baseline: iris · relu · none)
        wait_until(
            lambda: _epoch_logged(tmp_path, "2*.jsonl.gz"), "the cell's dashboard trained nothing"
        )
        os.write(sweep.fd, b"\x1b")  # esc: back to the matrix
        time.sleep(1.0)
        os.write(sweep.fd, b"q")
        exit_code = sweep.wait(timeout=60)
    finally:
        sweep.kill()
    assert exit_code == 0
    output = bytes(sweep.output)
    assert output.count(b"\x1b[?1049h") == 1 and output.count(b"\x1b[?1049l") == 1
    before, after = output.split(b"\x1b[?1049l")
    assert b"normtui:" not in before  # nothing printed while the app was up
    after_text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", after.decode())
    lines = [line for line in after_text.splitlines() if line.startswith("normtui:")]
    assert len(lines) == 2, lines
    assert lines[0].startswith("normtui: session log: ")
    assert lines[1] == f"normtui: results: {results}"
