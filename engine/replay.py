"""Event sources that read session logs instead of training: `replay` and `watch`.

Same protocol as Session (start(sink) / send / stop / join), with `live = False`. Pure stdlib:
a viewer of logs never imports torch or scikit-learn.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from normtui.engine.commands import Command, JumpToEnd, Stop
from normtui.engine.events import EpochEnd, Event, SessionEnded
from normtui.engine.log import LogError, LogFollower, read_log
from normtui.engine.pacer import PACING_COMMANDS, Pacer
from normtui.engine.sinks import Sink
from normtui.engine.source_thread import SourceThread


class ReplaySource(SourceThread):
    """Plays a recorded log back: all at once by default, or at `epochs_per_s` with pause/step.

    The header and events are read before `start`, so a file that is not a log fails early.
    """

    playback = True  # the dashboard offers pause, step, speed and jump-to-end

    def __init__(self, path: str, epochs_per_s: float | None = None) -> None:
        super().__init__()
        self.path = path
        self.header, self._recording = read_log(path)
        self.pacer = Pacer(epochs_per_s)  # pace None: as fast as possible
        self.position = 0

    @property
    def pace(self) -> float | None:
        """The playback speed in epochs per second; None = all at once."""
        return self.pacer.pace

    @property
    def events(self) -> Sequence[Event]:
        return self._recording

    def start(self, sink: Sink) -> None:
        """Play from the first event: started again once played out, the replay starts over."""
        self.position = 0
        self.pacer.paused, self.pacer.step_credit = False, 0
        super().start(sink)

    def _main(self) -> None:
        self.pacer.from_now()
        while self.position < len(self._recording):
            command = self._channel.get(self.pacer.wait_s())
            if command is not None:
                if isinstance(command, Stop):
                    return
                self._apply(command)
                continue
            if self.pacer.pace is None and not self.pacer.paused:
                self._emit_all()
                return
            self._emit_epoch()
            self.pacer.epoch_done()

    def _apply(self, command: Command) -> None:
        if isinstance(command, PACING_COMMANDS):
            # time_s 0: a replay's own controls are not part of the recorded session's time
            event = self.pacer.apply(command, time_s=0.0, epoch=self._current_epoch())
            if event is not None:
                self._sink(event)
        elif isinstance(command, JumpToEnd):
            self._emit_all()

    def _current_epoch(self) -> int:
        for event in reversed(self._recording[: self.position]):
            if isinstance(event, EpochEnd):
                return event.epoch
        return 0

    def _emit_all(self) -> None:
        for event in self._recording[self.position :]:
            self._sink(event)
        self.position = len(self._recording)

    def _emit_epoch(self) -> None:
        """Emit events up to and including the next epoch of the last run to report it."""
        target: int | None = None
        while self.position < len(self._recording):
            event = self._recording[self.position]
            if isinstance(event, EpochEnd):
                if target is None:
                    target = event.epoch
                elif event.epoch != target:
                    return
            self._sink(event)
            self.position += 1


class FollowSource(SourceThread):
    """Follows a log another process is still writing, like `tail -f`, polling every 25 ms.

    A log that does not exist yet (watch started before `train --log`) is waited for: `missing`
    says so until it appears. A path that cannot become a log (a directory, no such directory,
    no permission, a file that is not a log) still fails at once with a LogError.
    """

    poll_interval_s = 0.025

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.header: dict = {}
        self.error: str | None = None  # following failed: the viewer's own error, not the session's
        self._follower: LogFollower | None = None
        if not self._may_appear():
            self._follower = LogFollower(path)
            self._follower.poll_header()
            self.header = self._follower.header or {}

    def _may_appear(self) -> bool:
        """No file yet, in a directory that exists: the writer has not started."""
        directory = os.path.dirname(self.path) or "."
        return not os.path.lexists(self.path) and os.path.isdir(directory)

    @property
    def missing(self) -> bool:
        """The log does not exist yet (its first line will be read once it appears)."""
        return self._follower is None

    def _main(self) -> None:
        try:
            while not self._stopping.is_set():
                if self._follower is None and not self._may_appear():
                    self._follower = LogFollower(self.path)
                if self._follower is not None:
                    for event in self._follower.poll():
                        self._sink(event)
                command = self._channel.get(self.poll_interval_s)
                if isinstance(command, Stop):
                    return
        except (LogError, OSError) as error:  # e.g. the disk under the log went away
            self.error = str(error)
            # the file that appeared is not a log, or a line of it is damaged: end the viewer as
            # a bad file would have (one line on the terminal, exit 2)
            if isinstance(error, LogError):
                self._sink(SessionEnded(0.0, "error", 0, error=self.error, usage_error=True))
        finally:
            if self._follower is not None:
                self._follower.close()
