"""SIGHUP (SSH drop) and SIGTERM exit the dashboard cleanly with 129 / 143, source stopped."""

from __future__ import annotations

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
        await wait_until(pilot, lambda: app.return_code is not None, timeout=5)
    assert app.return_code == code
    assert source.stopped
    assert app.exit_reason == signal.Signals(signum).name  # the session ends with this reason
