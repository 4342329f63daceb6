"""The dashboard driving the real engine on a tiny problem (iris): keys reach the trainer."""

from __future__ import annotations

from conftest import wait_until

from normtui.engine.config import SessionConfig
from normtui.engine.session import Session
from normtui.tui.app import make_app


async def test_real_session_swap_pause_step_and_lr() -> None:
    config = SessionConfig(dataset="iris", epochs=None, pace=100.0, hidden=(8,), device="cpu")
    session = Session(config, linger=True)
    app = make_app(session, config=config, handle_signals=False)
    runs = app.state.runs.values()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(run.epoch for run in runs) >= 3, timeout=120)
        await pilot.press("a")
        await wait_until(
            pilot, lambda: all(run.activation == "tanh" and run.markers for run in runs)
        )
        swap_epochs = {run.markers[-1][0] for run in runs}
        assert len(swap_epochs) == 1, "both runs switch at the same epoch"

        await pilot.press("space")
        await wait_until(pilot, lambda: app.state.paused)
        await pilot.pause(0.3)
        paused_at = [run.epoch for run in runs]
        await pilot.press("n")
        await wait_until(pilot, lambda: [run.epoch for run in runs] == [e + 1 for e in paused_at])
        await pilot.pause(0.3)
        assert [run.epoch for run in runs] == [e + 1 for e in paused_at]

        await pilot.press("plus")
        await wait_until(pilot, lambda: app.state.learning_rate == 2e-3)
        await pilot.press("q")
    assert app.return_code == 0
    assert not session.running, "the trainer thread was stopped and joined"


async def test_a_lower_rate_after_both_runs_diverged_trains_the_next_start() -> None:
    """Issue 25: `normtui --dataset scales --optimizer sgd --lr 10` diverges both runs; `-` was
    refused and `r` trained at 10 again. Now `-` is taken and `r` trains at 5."""
    config = SessionConfig(
        dataset="scales", optimizer="sgd", lr=10.0, seeds=1, pace=None, hidden=(8,), device="cpu"
    )
    session = Session(config, linger=True)
    app = make_app(session, config=config, handle_signals=False)
    runs = app.state.runs.values()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: all(run.status == "diverged" for run in runs))
        await pilot.press("minus")
        await wait_until(pilot, lambda: app.state.learning_rate == 5.0)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.state.restarts == 1)
        assert [run.learning_rate for run in runs] == [5.0, 5.0]
        await pilot.press("q")
    assert not session.running
