"""Sinks: one event reaches every consumer, and launchers learn the outcome from the end event."""

from __future__ import annotations

import pytest

from normtui.engine.events import Event, Paused, SessionEnded
from normtui.engine.sinks import EndWatcher, fan_out


def test_a_failing_sink_does_not_keep_the_event_from_the_others() -> None:
    seen: list[Event] = []

    def full_disk(event: Event) -> None:
        raise OSError(28, "No space left on device")

    sink = fan_out(full_disk, seen.append, seen.append)
    with pytest.raises(OSError, match="No space left"):
        sink(Paused(1.0, 3))
    assert seen == [Paused(1.0, 3)] * 2


def test_the_end_watcher_keeps_how_the_session_ended() -> None:
    watcher = EndWatcher()
    assert watcher.reason is None and watcher.error is None and not watcher.usage_error
    watcher(Paused(1.0, 3))
    watcher(SessionEnded(2.0, "error", 3, error="CSV file x.csv not found", usage_error=True))
    assert watcher.reason == "error" and watcher.usage_error
    assert watcher.error == "CSV file x.csv not found"
