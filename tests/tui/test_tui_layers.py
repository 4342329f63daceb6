"""Both histogram panes show the same epoch, and it is the one the status shows whenever that
epoch was sampled: drawn in the same frame, not a second later."""

from __future__ import annotations

import time

from conftest import settle
from fake_source import ReplaySource, fake_epoch, scripted_session

from normtui.engine.config import SessionConfig
from normtui.engine.events import Paused
from normtui.tui.app import make_app
from normtui.tui.widgets.histograms import LayerHistograms

CONFIG = SessionConfig(dataset="wine", epochs=None, pace=20.0)


def epoch(run: str, number: int, hist: bool = True):
    return fake_epoch(run, number, "relu", 1e-3, 64, 1, number * 0.05, number * 0.05, hist=hist)


def titles(app) -> dict[str, str]:
    return {run: str(app.query_one(f"#{run}-hists", LayerHistograms).border_title) for run in (
        "raw", "normalized")}  # fmt: skip


def app_with(events):
    return make_app(ReplaySource(events, live=True), config=CONFIG, handle_signals=False)


async def test_a_redraw_between_the_two_runs_events_keeps_both_panes_on_one_epoch() -> None:
    """The raw run's sample of epoch 12 is in, the normalized run's not yet (a tick fell
    between them): both panes stay on epoch 11 rather than drift apart (was 802 vs 799)."""
    events = [e for e in scripted_session(CONFIG, 11, {}) if not isinstance(e, Paused)]
    app = app_with([*events, epoch("raw", 12)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = titles(app)
        assert all("layers at epoch 11" in title for title in shown.values()), shown
        app._on_events([epoch("normalized", 12)], time.monotonic())
        app.sync()
        await pilot.pause()
        shown = titles(app)
        assert all("layers at epoch 12" in title for title in shown.values()), shown


async def test_the_histograms_are_drawn_with_the_status_not_a_plot_refresh_later() -> None:
    events = [e for e in scripted_session(CONFIG, 10, {}) if not isinstance(e, Paused)]
    app = app_with(events)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # everything drawn now: the plots' next refresh is a second away
        later = [epoch(run, n) for n in (11, 12) for run in ("raw", "normalized")]
        # a tick 0.3 s later: the numbers are due (every 0.24 s), the loss plots are not (1 s)
        app._on_events(later, time.monotonic() + 0.3)
        await pilot.pause()
        assert app.state.runs["raw"].epoch == 12
        shown = titles(app)
        assert all("layers at epoch 12" in title for title in shown.values()), shown
