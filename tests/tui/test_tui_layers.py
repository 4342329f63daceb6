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
        app.dashboard._on_events([epoch("normalized", 12)], time.monotonic())
        app.dashboard.sync()
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
        app.dashboard._on_events(later, time.monotonic() + 0.3)
        await pilot.pause()
        assert app.state.runs["raw"].epoch == 12
        shown = titles(app)
        assert all("layers at epoch 12" in title for title in shown.values()), shown


def test_once_both_runs_stopped_each_pane_shows_its_runs_last_sample() -> None:
    """raw diverged at epoch 2, normalized at 8: the normalized pane showed epoch 1, the last
    epoch both had, instead of its own last."""
    from normtui.engine.events import RunDiverged
    from normtui.tui.viewstate.layer_pair import paired_samples
    from normtui.tui.viewstate.state import DashboardState

    state = DashboardState(CONFIG)
    for event in (
        *(epoch(run, 1) for run in ("raw", "normalized")),
        RunDiverged(time_s=0.1, run="raw", epoch=2, loss="nan"),
        *(epoch("normalized", n) for n in range(2, 9)),
        RunDiverged(time_s=0.5, run="normalized", epoch=8, loss="19008.0", reference=0.74),
    ):
        state.apply(event)
    samples = paired_samples(state.runs)
    assert (samples["raw"].epoch, samples["normalized"].epoch) == (1, 8)


def test_a_seeded_runs_divergence_is_marked_once() -> None:
    """Its last member's event, then the whole run's: one 'diverged' marker, not two."""
    from normtui.engine.events import RunDiverged
    from normtui.tui.viewstate.state import DashboardState

    state = DashboardState(CONFIG)
    state.apply(epoch("raw", 1))
    state.apply(RunDiverged(time_s=0.1, run="raw", epoch=2, loss="nan", member=0))
    state.apply(RunDiverged(time_s=0.1, run="raw", epoch=2, loss="nan"))
    assert list(state.runs["raw"].markers) == [(2, "diverged")]
