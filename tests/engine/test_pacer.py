"""The pacer's rules, on a hand-turned clock: no thread, no sleep, the same on any machine."""

from __future__ import annotations

import pytest

from normtui.engine.commands import Pause, Restart, Resume, SetPace, Step, TogglePause
from normtui.engine.events import PaceChanged, Paused, Resumed
from normtui.engine.pacer import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def epochs_due_now(pacer: Pacer, limit: int = 1000) -> int:
    """How many epochs would run back to back at this instant (the size of a burst)."""
    count = 0
    while pacer.wait_s() == 0.0 and count < limit:
        pacer.epoch_done()
        count += 1
    return count


def test_at_ten_epochs_per_second_the_next_epoch_waits_a_tenth_of_a_second() -> None:
    clock = Clock()
    pacer = Pacer(10.0, clock=clock)
    assert pacer.wait_s() == 0.0  # the first epoch at once
    pacer.epoch_done()
    assert pacer.wait_s() == pytest.approx(0.1)
    clock.now += 0.04
    assert pacer.wait_s() == pytest.approx(0.06)
    clock.now += 0.06
    assert pacer.wait_s() == 0.0


def test_unlimited_pace_never_waits() -> None:
    pacer = Pacer(None, clock=Clock())
    assert epochs_due_now(pacer, limit=50) == 50


def test_a_slow_spell_is_caught_up_for_one_second_at_most() -> None:
    clock = Clock()
    pacer = Pacer(10.0, clock=clock)
    pacer.epoch_done()
    clock.now += 5.0  # the machine stalled for 5 s (50 epochs' worth)
    assert 10 <= epochs_due_now(pacer) <= 12  # the late one plus ~1 s of epochs, not 50


def test_a_pause_waits_for_a_command_and_is_reported_once() -> None:
    pacer = Pacer(10.0, clock=Clock())
    assert pacer.apply(Pause(), time_s=1.5, epoch=7) == Paused(time_s=1.5, epoch=7)
    assert pacer.apply(Pause(), time_s=1.6, epoch=7) is None
    assert pacer.wait_s() is None


def test_resuming_after_a_long_pause_keeps_the_pace_instead_of_catching_up() -> None:
    """The pacer counted the pause as lag: a resume at 5 epochs/s burst ~4 epochs in 10 ms."""
    clock = Clock()
    pacer = Pacer(5.0, clock=clock)
    pacer.epoch_done()
    pacer.apply(Pause(), time_s=0.0, epoch=1)
    clock.now += 10.0
    assert pacer.apply(Resume(), time_s=10.0, epoch=1) == Resumed(time_s=10.0, epoch=1)
    assert epochs_due_now(pacer) == 1
    assert pacer.wait_s() == pytest.approx(0.2)
    assert pacer.apply(Resume(), time_s=10.0, epoch=2) is None  # not paused: nothing to say


def test_a_step_trains_exactly_one_epoch_then_stays_paused() -> None:
    pacer = Pacer(None, paused=True, clock=Clock())
    assert pacer.wait_s() is None
    assert pacer.apply(Step(), time_s=0.0, epoch=0) is None  # already paused
    assert pacer.apply(Step(), time_s=0.0, epoch=0) is None
    assert epochs_due_now(pacer) == 2
    assert pacer.wait_s() is None


def test_a_step_while_running_pauses_first() -> None:
    pacer = Pacer(10.0, clock=Clock())
    assert pacer.apply(Step(), time_s=2.0, epoch=3) == Paused(time_s=2.0, epoch=3)
    assert epochs_due_now(pacer) == 1
    assert pacer.wait_s() is None


def test_toggle_pause_alternates() -> None:
    pacer = Pacer(10.0, clock=Clock())
    assert isinstance(pacer.apply(TogglePause(), time_s=0.0, epoch=0), Paused)
    assert isinstance(pacer.apply(TogglePause(), time_s=0.0, epoch=0), Resumed)
    assert not pacer.paused


@pytest.mark.parametrize("unlimited", [None, 0])
def test_a_new_pace_starts_now_and_zero_or_none_means_unlimited(unlimited) -> None:
    clock = Clock()
    pacer = Pacer(0.5, clock=clock)
    pacer.epoch_done()
    assert pacer.wait_s() == pytest.approx(2.0)
    event = pacer.apply(SetPace(100.0), time_s=1.0, epoch=1)
    assert event == PaceChanged(time_s=1.0, epochs_per_s=100.0)
    assert pacer.wait_s() == 0.0  # not after the old 2 s interval
    event = pacer.apply(SetPace(unlimited), time_s=1.0, epoch=1)
    assert event == PaceChanged(time_s=1.0, epochs_per_s=None) and pacer.pace is None


def test_a_restart_drops_the_steps_asked_of_the_old_runs() -> None:
    clock = Clock()
    pacer = Pacer(0.5, paused=True, clock=clock)
    pacer.apply(Step(), time_s=0.0, epoch=3)
    pacer.apply(Step(), time_s=0.0, epoch=3)
    pacer.restart()
    assert pacer.wait_s() is None


def test_a_restart_trains_its_first_epoch_at_once_even_at_a_slow_pace() -> None:
    clock = Clock()
    pacer = Pacer(0.5, clock=clock)
    pacer.epoch_done()
    pacer.restart()
    assert pacer.wait_s() == 0.0


def test_only_pacing_commands_are_accepted() -> None:
    with pytest.raises(TypeError, match="not a pacing command"):
        Pacer(None).apply(Restart(), time_s=0.0, epoch=0)
