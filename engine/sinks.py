"""Where events go: the sink type, one sink that feeds several, and the watcher of the end.

Every consumer (screen, JSONL log, headless table, a launcher's exit code) is a sink and learns
from events alone; none of them reads the source's attributes.
"""

from __future__ import annotations

from collections.abc import Callable

from normtui.engine.events import Event, SessionEnded, SessionStarted

Sink = Callable[[Event], None]


def fan_out(*sinks: Sink) -> Sink:
    """One sink that hands each event to every sink in order.

    A sink that raises (a log on a full disk) does not keep the event from the others; the
    first error is raised once all have had it.
    """

    def sink(event: Event) -> None:
        failure: Exception | None = None
        for each in sinks:
            try:
                each(event)
            except Exception as error:
                failure = failure or error
        if failure is not None:
            raise failure

    return sink


class EndWatcher:
    """Keeps the `SessionEnded` event: how a launcher learns the session's outcome."""

    def __init__(self) -> None:
        self.ended: SessionEnded | None = None
        self.started = False  # the session got as far as its data and models (SessionStarted)

    def __call__(self, event: Event) -> None:
        if isinstance(event, SessionEnded):
            self.ended = event
        elif isinstance(event, SessionStarted):
            self.started = True

    @property
    def reason(self) -> str | None:
        return None if self.ended is None else self.ended.reason

    @property
    def error(self) -> str | None:
        return None if self.ended is None else self.ended.error

    @property
    def usage_error(self) -> bool:
        """The session ended on the user's input (exit code 2), not on a crash."""
        return self.ended is not None and self.ended.usage_error
