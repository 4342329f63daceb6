"""The protocol every event source (live session, replay, watched log, test fake) implements.

The app learns what a source is from these members alone, and everything that happens from its
events: it never probes a source for optional attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from normtui.engine.commands import Command
from normtui.engine.events import Event
from normtui.engine.sinks import Sink


class EventSource(Protocol):
    """Something that emits events to a sink from its own thread and takes commands."""

    live: bool  # False for logs (replay, watch): training commands are not accepted
    playback: bool  # a log played back: pause, step, speed and jump-to-end apply to it

    @property
    def pace(self) -> float | None:
        """A replay's speed in epochs per second (None = all at once)."""
        ...

    @property
    def events(self) -> Sequence[Event]:
        """The whole recording when it is known before `start` (a replay), else empty."""
        ...

    def start(self, sink: Sink) -> None: ...

    def send(self, command: Command) -> None: ...

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...
