"""`run_dashboard`'s pieces: the logged source writes every event the UI sees."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeSession, wait_until

from normtui.engine.config import SessionConfig
from normtui.engine.events import EpochEnd, SessionEnded
from normtui.engine.log import LogWriter, read_log
from normtui.tui.app import make_app
from normtui.tui.dashboard import LoggedSource


async def test_logged_source_writes_the_session_log(tmp_path: Path) -> None:
    config = SessionConfig(dataset="wine", epochs=None, pace=100.0)
    path = tmp_path / "session.jsonl"
    writer = LogWriter(str(path), config.to_dict())
    session = FakeSession(config)
    app = make_app(LoggedSource(session, writer), config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.state.runs["raw"].epoch >= 5)
        await pilot.press("q")
    writer.close()
    header, events = read_log(str(path))
    assert header["config"]["dataset"] == "wine"
    assert sum(isinstance(e, EpochEnd) for e in events) >= 10
    assert isinstance(events[-1], SessionEnded) and events[-1].reason == "quit"
