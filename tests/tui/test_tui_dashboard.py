"""`run_dashboard`'s pieces: the logged source writes every event the UI sees."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeSession, wait_until

from normtui.engine.config import SessionConfig
from normtui.engine.events import EpochEnd, SessionEnded
from normtui.engine.log import LogWriter, read_log
from normtui.tui.app import make_app
from normtui.tui.dashboard import TeeSource


async def test_logged_source_writes_the_session_log(tmp_path: Path) -> None:
    config = SessionConfig(dataset="wine", epochs=None, pace=100.0)
    path = tmp_path / "session.jsonl"
    writer = LogWriter(str(path), config.to_dict())
    session = FakeSession(config)
    app = make_app(TeeSource(session, writer), config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.state.runs["raw"].epoch >= 5)
        await pilot.press("q")
    writer.close()
    header, events = read_log(str(path))
    assert header["config"]["dataset"] == "wine"
    assert sum(isinstance(e, EpochEnd) for e in events) >= 10
    assert isinstance(events[-1], SessionEnded) and events[-1].reason == "quit"


class HandFedSource:
    """A live source whose events the test pushes one by one."""

    live = True
    playback = False
    pace = None
    events = ()

    def __init__(self) -> None:
        self.sink = None

    def start(self, sink) -> None:
        self.sink = sink

    def send(self, command) -> None:
        pass

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None:
        pass

    def join(self, timeout: float | None = None) -> bool:
        return True


async def test_the_first_epoch_is_plotted_at_once_not_at_the_plot_refresh_rate() -> None:
    """The session start draws everything; the epoch right after it used to wait for the next
    plot refresh (1 s later), so the first curve appeared a second after the numbers."""
    from conftest import FIXTURE
    from fake_source import read_events

    from normtui.engine.events import SessionStarted
    from normtui.tui.widgets.loss_plot import LossPlot

    header, events = read_events(FIXTURE)
    started = next(e for e in events if isinstance(e, SessionStarted))
    first_epochs = [e for e in events if isinstance(e, EpochEnd) and e.epoch == 1][:2]
    source = HandFedSource()
    config = SessionConfig.from_dict(header["config"])
    app = make_app(source, config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: source.sink is not None)
        source.sink(started)
        await wait_until(pilot, lambda: app.state.started is not None)
        app.dashboard.tick()  # the start is drawn now: the plot refresh clock restarts here

        for event in first_epochs:
            source.sink(event)
        app.dashboard.tick()  # well within a second of the start

        plot = app.screen.query_one("#pane-raw LossPlot", LossPlot)
        assert plot._data is not None and any(line.ys for line in plot._data.lines)


async def test_an_epoch_of_a_run_the_dashboard_does_not_know_is_ignored() -> None:
    """A hand-edited or foreign log may name another run; folding it must not crash the UI."""
    import dataclasses

    from conftest import FIXTURE
    from fake_source import read_events

    from normtui.engine.events import SessionStarted

    header, events = read_events(FIXTURE)
    started = next(e for e in events if isinstance(e, SessionStarted))
    epoch = next(e for e in events if isinstance(e, EpochEnd))
    source = HandFedSource()
    app = make_app(source, config=SessionConfig.from_dict(header["config"]), handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: source.sink is not None)
        source.sink(started)
        source.sink(dataclasses.replace(epoch, run="other"))
        source.sink(epoch)
        app.dashboard.tick()
        assert app.state.runs[epoch.run].epoch == epoch.epoch
        assert set(app.state.runs) == {"raw", "normalized"}
