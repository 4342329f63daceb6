"""The dashboard's pending control values and command rules, without Textual."""

from __future__ import annotations

from conftest import FIXTURE
from fake_source import read_events

from normtui.engine import commands as cmd
from normtui.engine.config import SessionConfig
from normtui.engine.events import (
    ActivationChanged,
    LearningRateChanged,
    PaceChanged,
    RunFinished,
    SessionEnded,
)
from normtui.tui.controls import (
    ACTIVATION_CYCLE,
    LR_LIMITS,
    PACE_STEPS,
    PendingControls,
    nearest_pace_step,
    refusal,
    waits_for_restart,
)
from normtui.tui.viewstate.state import DashboardState

LIVE = {"live": True, "playback": False}


def test_a_pending_value_lasts_until_the_engine_confirms_it() -> None:
    pending = PendingControls()
    pending.activation, pending.lr, pending.pace_step = "tanh", 2e-3, 3
    pending.confirm(ActivationChanged(1.0, 4, "sigmoid", "relu", True))  # not the one asked for
    assert pending.activation == "tanh"
    pending.confirm(ActivationChanged(1.0, 4, "tanh", "relu", True))
    pending.confirm(LearningRateChanged(1.0, 4, 2e-3))
    pending.confirm(PaceChanged(1.0, 10.0))
    assert (pending.activation, pending.lr, pending.pace_step) == (None, None, None)


def test_steps_stay_within_their_limits() -> None:
    pending = PendingControls()
    assert pending.lr_after(LR_LIMITS[1], 2.0) == LR_LIMITS[1]
    assert pending.lr_after(1e-3, 0.5) == 5e-4
    assert pending.pace_after(None, +1) == (len(PACE_STEPS) - 1, None)  # unlimited is the top
    assert pending.pace_after(20.0, -1) == (nearest_pace_step(10.0), 10)
    pending.pace_step = 0
    assert pending.pace_after(500.0, -1) == (0, PACE_STEPS[0])  # from the pending step
    assert pending.activation_after("relu", 1) == ACTIVATION_CYCLE[1] == "tanh"
    assert pending.activation_after("relu", -1) == ACTIVATION_CYCLE[-1]
    assert pending.toggle_keep() is False and pending.toggle_keep() is True


def stopped_state() -> DashboardState:
    """The recorded wine session, with every run finished and the session still waiting."""
    header, events = read_events(FIXTURE)
    state = DashboardState(SessionConfig.from_dict(header["config"]))
    for event in events:
        if not isinstance(event, SessionEnded):
            state.apply(event)
    for run in state.runs:
        state.apply(RunFinished(99.0, run, state.runs[run].epoch))
    return state


def test_once_every_run_stopped_settings_wait_for_r_and_a_pause_is_refused() -> None:
    state = stopped_state()
    assert state.finished and state.ended is None
    for command in (cmd.SetLearningRate(5.0), cmd.SetActivation("tanh", True), cmd.SetPace(5)):
        assert refusal(command, state, **LIVE) is None
    assert waits_for_restart(cmd.SetLearningRate(5.0), state, **LIVE)
    assert waits_for_restart(cmd.SetActivation("tanh", True), state, **LIVE)
    assert not waits_for_restart(cmd.SetActivation("tanh", False), state, **LIVE)  # restarts
    for command in (cmd.TogglePause(), cmd.Step()):
        why = refusal(command, state, **LIVE)
        assert why is not None and "r trains both runs again" in why
    assert refusal(cmd.Restart(), state, **LIVE) is None


def test_after_the_session_ended_only_a_restart_is_sent() -> None:
    state = stopped_state()
    state.apply(SessionEnded(100.0, "stopped", 0))
    assert refusal(cmd.SetLearningRate(5.0), state, **LIVE) == (
        "the session has ended; press q to quit"
    )
    assert refusal(cmd.Restart(), state, **LIVE) is None
