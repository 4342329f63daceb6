"""A lock-protected hand-over from the trainer thread to the UI thread.

The trainer only appends (cheap, never blocks on drawing); the UI drains on a timer. When the UI
timer has gone to sleep, the first append wakes it once through `wake` (thread-safe callback).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from normtui.engine.events import Event


class EventBuffer:
    """Events waiting for the UI; `append` is the sink handed to a source."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._sleeping = False
        self._wake: Callable[[], None] | None = None

    def append(self, event: Event) -> None:
        wake = None
        with self._lock:
            self._events.append(event)
            if self._sleeping:
                self._sleeping = False
                wake = self._wake
        if wake is not None:
            wake()

    @property
    def pending(self) -> bool:
        """Events are waiting to be drained."""
        with self._lock:
            return bool(self._events)

    def drain(self) -> list[Event]:
        with self._lock:
            events, self._events = self._events, []
        return events

    def wake_on_append(self, wake: Callable[[], None]) -> bool:
        """Have the next append call `wake` (once): the UI's timer can pause until then.

        False, and nothing registered, when events are already waiting (stay awake for them).
        """
        with self._lock:
            if self._events:
                return False
            self._sleeping = True
            self._wake = wake
            return True
