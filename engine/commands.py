"""Commands to a running session, applied at the next epoch boundary to both runs at once."""

from __future__ import annotations

import queue
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """Base of every command."""


@dataclass(frozen=True)
class Pause(Command):
    pass


@dataclass(frozen=True)
class Resume(Command):
    pass


@dataclass(frozen=True)
class TogglePause(Command):
    pass


@dataclass(frozen=True)
class Step(Command):
    """Train exactly one more epoch, then stay paused."""


@dataclass(frozen=True)
class Stop(Command):
    reason: str = "stopped"


@dataclass(frozen=True)
class Restart(Command):
    """Fresh shared initialisation for both runs (same seed, so same weights as the first start)."""


@dataclass(frozen=True)
class SetActivation(Command):
    name: str
    keep_weights: bool = True  # False: restart both runs with the new activation


@dataclass(frozen=True)
class SetLearningRate(Command):
    lr: float


@dataclass(frozen=True)
class SetPace(Command):
    epochs_per_s: float | None  # None = unlimited


@dataclass(frozen=True)
class JumpToEnd(Command):
    """Replay only: show everything that is left at once."""


class CommandChannel:
    """Thread-safe FIFO of commands; the trainer blocks on it while paused (no busy wait)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Command] = queue.Queue()

    def send(self, command: Command) -> None:
        self._queue.put(command)

    def get(self, timeout: float | None) -> Command | None:
        """Next command, waiting up to `timeout` seconds (None = forever); None if none came."""
        try:
            if timeout is not None and timeout <= 0:
                return self._queue.get_nowait()
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[Command]:
        commands: list[Command] = []
        while True:
            try:
                commands.append(self._queue.get_nowait())
            except queue.Empty:
                return commands
