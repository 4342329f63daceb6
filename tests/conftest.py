"""Shared test helpers: a thread-safe event recorder with waits; `main` run in-process and a
log waited on, for the CLI tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from normtui.engine.events import EpochEnd, Event


class Recorder:
    """A sink that keeps every event and lets a test wait for a condition on them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: type[Event]) -> list:
        with self._changed:
            return [e for e in self.events if isinstance(e, kind)]

    def epochs(self, run: str | None = None) -> list[EpochEnd]:
        return [e for e in self.of(EpochEnd) if run is None or e.run == run]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"condition not met in {timeout}s; events: {self.events[-5:]}"
                    )
                self._changed.wait(remaining)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def new_recorder() -> Callable[[], Recorder]:
    """A factory, for tests that record more than one session."""
    return Recorder


@pytest.fixture
def run_main(capsys) -> Callable[[list[str]], tuple[int, str, str]]:
    """`normtui ARGS` in this process: (exit code, stdout, stderr)."""

    from normtui.tui.cli import main

    def run(args: list[str]) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        captured = capsys.readouterr()
        return exit_info.value.code, captured.out, captured.err

    return run


def _wait_for_epochs(log: Path, count: int, timeout: float = 120.0) -> None:
    """Until `log` holds `count` epoch events; the guard only stops a hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count('"event":"epoch"') >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{log.name} got no {count} epochs within {timeout:.0f} s")


@pytest.fixture
def wait_for_epochs() -> Callable[..., None]:
    return _wait_for_epochs


def _terminal_signal_defaults() -> None:
    """preexec_fn: a child starts with a terminal's signal defaults. A runner without job control
    (a shell's background job, some CI) hands SIGINT down ignored, and normtui rightly keeps an
    ignored signal ignored, so a SIGINT test would wait forever."""
    import signal

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


@pytest.fixture
def terminal_signal_defaults() -> Callable[[], None]:
    return _terminal_signal_defaults
