"""The protocol every event source (live session, replay, test fake) implements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from normtui.engine.commands import Command
from normtui.engine.events import Event

Sink = Callable[[Event], None]


class EventSource(Protocol):
    """Something that emits events to a sink from its own thread and takes commands."""

    live: bool  # False for replays: commands are not accepted

    def start(self, sink: Sink) -> None: ...

    def send(self, command: Command) -> None: ...

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...
