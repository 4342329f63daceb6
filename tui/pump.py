"""EventPump: the source's events handed to the UI thread, drained by a 20 Hz timer.

The source's thread only appends to an `EventBuffer` (a list append under a lock, nothing else);
the timer drains it and hands the batch to the app, which folds and draws. When nothing has
happened for a second the timer pauses, and the next event wakes it, so a paused or finished
dashboard costs no CPU. However fast epochs arrive, the UI redraws at a bounded rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer

from normtui.engine.events import Event
from normtui.tui.viewstate.buffer import EventBuffer

TICK_S = 0.05  # drain the event buffer 20 times a second (watch lag, issue 6)
IDLE_SLEEP_S = 1.0  # stop ticking after this long without work (woken by the next event)

# Folds a batch of events and draws what is due at `now`; True while there is work left
# (something waiting to be drawn, a spinner to turn), which keeps the timer awake.
Handler = Callable[[list[Event], float], bool]


class EventPump:
    """The buffer the source writes into, and the timer that empties it into `handle`."""

    def __init__(self, handle: Handler) -> None:
        self.buffer = EventBuffer()
        self._handle = handle
        self._timer: Timer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sleeping = False
        self._idle_since = time.monotonic()
        self.frame = 0  # ticks so far: turns the loading spinner

    def start(self, owner: MessagePump) -> None:
        """Start ticking on `owner`'s timer (called on the UI's event loop)."""
        self._loop = asyncio.get_running_loop()
        self._timer = owner.set_interval(TICK_S, self.tick)

    def close(self) -> None:
        """The loop is closing: never wake it again."""
        self.buffer.wake_on_append(lambda: None)

    def drain(self) -> list[Event]:
        return self.buffer.drain()

    @property
    def pending(self) -> bool:
        return self.buffer.pending

    @property
    def ticking(self) -> bool:
        """Whether the timer is running (False when idle: zero CPU)."""
        return not self._sleeping

    def tick(self) -> None:
        self.frame += 1
        now = time.monotonic()
        events = self.buffer.drain()
        busy = self._handle(events, now)
        if events or busy:
            self._idle_since = now
        elif now - self._idle_since >= IDLE_SLEEP_S:
            self._sleep()

    def _sleep(self) -> None:
        if self._timer is None or self._sleeping:
            return
        if self.buffer.wake_on_append(self._wake_threadsafe):
            self._sleeping = True
            self._timer.pause()

    def _wake_threadsafe(self) -> None:
        """Called from the source's thread on the first event after a quiet spell."""
        if self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already closed at exit
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._sleeping and self._timer is not None:
            self._sleeping = False
            self._idle_since = time.monotonic()
            self._timer.resume()
