"""The plumbing every engine event source shares: a thread, a command channel, an orderly stop.

Pure stdlib, so that log viewers (replay, watch) never import torch or scikit-learn.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from normtui.engine.commands import Command, CommandChannel, Stop
from normtui.engine.events import Event
from normtui.engine.sinks import Sink


class SourceThread:
    """start(sink) / send / request_stop / stop / join around one daemon thread running `_main`."""

    live = False  # False: a log; training commands (swap, lr, restart) do not apply
    playback = False  # a log played back: pause, step, speed and jump-to-end apply
    thread_name: str | None = None  # None: the class name

    def __init__(self) -> None:
        self._channel = CommandChannel()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sink: Sink = lambda event: None

    @property
    def pace(self) -> float | None:
        """Epochs per second the source plays at; None = unlimited (a replay: all at once)."""
        return None

    @property
    def events(self) -> Sequence[Event]:
        """The whole recording when it is known before `start` (a replay), else empty."""
        return ()

    def start(self, sink: Sink) -> None:
        self._sink = sink
        name = self.thread_name or type(self).__name__
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def send(self, command: Command) -> None:
        self._channel.send(command)

    def request_stop(self, reason: str = "stopped") -> None:
        """Ask the thread to stop (safe from a signal handler); returns at once."""
        self._stopping.set()
        self._channel.send(Stop(reason))

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None:
        """Request a stop and wait up to `timeout` seconds for the thread to end."""
        self.request_stop(reason)
        self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _main(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
