"""SIGHUP (SSH drop) and SIGTERM exit the dashboard cleanly with 129 / 143, source stopped."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from conftest import FakeSession, wait_until

from normtui.engine.config import SessionConfig
from normtui.tui.app import make_app


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGHUP, 129), (signal.SIGTERM, 143), (signal.SIGINT, 130)]
)
async def test_signal_exits_cleanly(signum: int, code: int) -> None:
    config = SessionConfig(dataset="wine", epochs=None, pace=50.0)
    source = FakeSession(config)
    app = make_app(source, config=config, handle_signals=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.state.started is not None)
        assert signal.getsignal(signum) not in (signal.SIG_DFL, signal.SIG_IGN), "handler installed"
        os.kill(os.getpid(), signum)
        await wait_until(pilot, lambda: app.return_code is not None, timeout=120)
    assert app.return_code == code
    assert source.stopped
    assert app.exit_reason == signal.Signals(signum).name  # the session ends with this reason


async def test_a_signalled_exit_that_hangs_is_forced_after_the_deadline(monkeypatch) -> None:
    """Textual's output thread can block for good on a terminal that hung up; the process then
    trained on, orphaned. Past the deadline the session is stopped and the process exits."""
    from normtui.tui import base_app as app_module

    exits: list[int] = []
    monkeypatch.setattr(app_module.os, "_exit", exits.append)
    config = SessionConfig(dataset="wine", epochs=None, pace=50.0)
    source = FakeSession(config)
    app = make_app(source, config=config, handle_signals=False)
    app.exit_deadline_s = 0.2
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.state.started is not None)
        monkeypatch.setattr(app, "exit", lambda *args, **kwargs: None)  # the exit hangs
        app._on_signal("SIGHUP")
        await wait_until(pilot, lambda: bool(exits), timeout=120)
        assert exits == [129]
        assert source.stopped  # its log got the last event before the process ended


async def test_no_forced_exit_when_the_app_exits_in_time(monkeypatch) -> None:
    from normtui.tui import base_app as app_module

    exits: list[int] = []
    monkeypatch.setattr(app_module.os, "_exit", exits.append)
    config = SessionConfig(dataset="wine", epochs=None, pace=50.0)
    app = make_app(FakeSession(config), config=config, handle_signals=False)
    app.exit_deadline_s = 0.3
    app._run_finished.set()  # what App.run's return does
    app._force_exit_after(0.3, 143)
    await asyncio.sleep(0.6)
    assert exits == []
