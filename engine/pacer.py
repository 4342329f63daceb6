"""When the next epoch may run: pause, single steps and a pace limit, for every event source.

The trainer (`Session`), the log player (`ReplaySource`) and the tests' `FakeSession` wait on
their commands for `wait_s()` seconds, hand pacing commands to `apply`, and call `epoch_done()`
after each epoch. The pacer owns no thread and reads time only through `clock`, so its rules are
tested without sleeping, and all three sources obey them alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from normtui.engine.commands import Command, Pause, Resume, SetPace, Step, TogglePause
from normtui.engine.events import Event, PaceChanged, Paused, Resumed

PACING_COMMANDS = (Pause, Resume, TogglePause, Step, SetPace)
MAX_CATCH_UP_S = 1.0  # after a slow spell, at most this much lost time is caught up in a burst


class Pacer:
    """Pause / resume, step credits (one epoch each, then stay paused) and epochs per second."""

    def __init__(
        self,
        pace: float | None,
        *,
        paused: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.pace = pace or None  # epochs per second; None = unlimited
        self.paused = paused
        self.step_credit = 0  # epochs still to train while paused
        self._clock = clock
        self._next_due = clock()  # clock time the next paced epoch is due

    def wait_s(self) -> float | None:
        """How long to wait for a command before the next epoch; None = until one comes."""
        if self.paused and not self.step_credit:
            return None
        if self.pace is None or self.step_credit:
            return 0.0
        return max(0.0, self._next_due - self._clock())

    def apply(self, command: Command, *, time_s: float, epoch: int) -> Event | None:
        """Apply one of `PACING_COMMANDS`; the event to emit when something changed, else None."""
        if isinstance(command, TogglePause):
            command = Resume() if self.paused else Pause()
        if isinstance(command, Pause | Step):
            if isinstance(command, Step):
                self.step_credit += 1
            if self.paused:
                return None
            self.paused = True
            return Paused(time_s=time_s, epoch=epoch)
        if isinstance(command, Resume):
            if not self.paused:
                return None
            self.paused, self.step_credit = False, 0
            self.from_now()  # a pause is not time to catch up on (it burst ~4 epochs)
            return Resumed(time_s=time_s, epoch=epoch)
        if isinstance(command, SetPace):
            self.pace = command.epochs_per_s or None
            self.from_now()  # the new pace starts now, not after the old interval
            return PaceChanged(time_s=time_s, epochs_per_s=self.pace)
        raise TypeError(f"not a pacing command: {command!r}")

    def epoch_done(self) -> None:
        """One epoch ran: spend a step credit, and schedule the next epoch at the pace."""
        if self.step_credit:
            self.step_credit -= 1
        if self.pace is not None:
            self._next_due = max(self._next_due + 1.0 / self.pace, self._clock() - MAX_CATCH_UP_S)

    def restart(self) -> None:
        """Fresh runs: steps asked of the old ones do not carry over; the first epoch is due now."""
        self.step_credit = 0
        self.from_now()

    def from_now(self) -> None:
        """The next epoch is due at once; the pace counts on from here."""
        self._next_due = self._clock()
