"""Event sources that read session logs instead of training: `replay` and `watch`.

Same protocol as Session (start(sink) / send / stop / join), with `live = False`. Pure stdlib:
a viewer of logs never imports torch or scikit-learn.
"""

from __future__ import annotations

import time

from normtui.engine.commands import (
    Command,
    JumpToEnd,
    Pause,
    Resume,
    SetPace,
    Step,
    Stop,
    TogglePause,
)
from normtui.engine.events import EpochEnd, Paused, Resumed
from normtui.engine.log import LogError, LogFollower, read_log
from normtui.engine.source_thread import SourceThread


class ReplaySource(SourceThread):
    """Plays a recorded log back: all at once by default, or at `epochs_per_s` with pause/step.

    The header and events are read before `start`, so a file that is not a log fails early.
    """

    playback = True  # the dashboard offers pause, step, speed and jump-to-end

    def __init__(self, path: str, epochs_per_s: float | None = None) -> None:
        super().__init__()
        self.path = path
        self.header, self.events = read_log(path)
        self.config = self.header.get("config", {})
        self.pace = epochs_per_s  # None = as fast as possible
        self.paused = False
        self.position = 0

    def _main(self) -> None:
        step_credit = 0
        next_due = time.perf_counter()
        while self.position < len(self.events):
            waiting = self.paused and not step_credit
            if waiting:
                timeout = None
            elif self.pace is None:
                timeout = 0.0
            else:
                timeout = max(0.0, next_due - time.perf_counter())
            command = self._channel.get(timeout)
            if command is not None:
                if isinstance(command, Stop):
                    return
                step_credit = self._apply(command, step_credit)
                continue
            if self.pace is None and not self.paused:
                self._emit_all()
                return
            self._emit_epoch()
            step_credit = max(0, step_credit - 1)
            next_due = max(next_due + 1.0 / (self.pace or 1e9), time.perf_counter() - 1.0)

    def _apply(self, command: Command, step_credit: int) -> int:
        if isinstance(command, TogglePause):
            command = Resume() if self.paused else Pause()
        if isinstance(command, Pause) and not self.paused:
            self.paused = True
            self._sink(Paused(time_s=0.0, epoch=self._current_epoch()))
        elif isinstance(command, Resume) and self.paused:
            self.paused = False
            self._sink(Resumed(time_s=0.0, epoch=self._current_epoch()))
        elif isinstance(command, Step):
            self.paused = True
            return step_credit + 1
        elif isinstance(command, SetPace):
            self.pace = command.epochs_per_s or None
        elif isinstance(command, JumpToEnd):
            self._emit_all()
        return step_credit

    def _current_epoch(self) -> int:
        for event in reversed(self.events[: self.position]):
            if isinstance(event, EpochEnd):
                return event.epoch
        return 0

    def _emit_all(self) -> None:
        for event in self.events[self.position :]:
            self._sink(event)
        self.position = len(self.events)

    def _emit_epoch(self) -> None:
        """Emit events up to and including the next epoch of the last run to report it."""
        target: int | None = None
        while self.position < len(self.events):
            event = self.events[self.position]
            if isinstance(event, EpochEnd):
                if target is None:
                    target = event.epoch
                elif event.epoch != target:
                    return
            self._sink(event)
            self.position += 1


class FollowSource(SourceThread):
    """Follows a log another process is still writing, like `tail -f`, polling every 25 ms."""

    poll_interval_s = 0.025

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._follower = LogFollower(path)
        self._follower.poll_header()
        self.header = self._follower.header or {}
        self.config = self.header.get("config", {})

    def _main(self) -> None:
        try:
            while not self._stopping.is_set():
                for event in self._follower.poll():
                    self._sink(event)
                command = self._channel.get(self.poll_interval_s)
                if isinstance(command, Stop):
                    return
        except LogError as error:
            self.error = str(error)
        finally:
            self._follower.close()
