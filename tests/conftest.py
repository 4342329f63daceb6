"""Shared test helpers: a thread-safe event recorder with waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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
