"""`watch` keeps its plots with its status line (issue 25 item 8).

With `train --log` writing fast, the status line said `epoch 105` while the loss plot still showed
the ~10 epochs of the first frame, for the plots' one-second throttle. The plots now redraw as
soon as the latest epoch is a quarter past the plotted one, whatever the throttle says.
"""

from __future__ import annotations

import time

from conftest import SEEDS_FIXTURE, wait_until

from normtui.engine.replay import FollowSource
from normtui.tui.app import make_app
from normtui.tui.screens import dashboard
from normtui.tui.viewer import config_from_header
from normtui.tui.widgets.loss_plot import LossPlot


def plotted_epoch(app) -> float:
    """The largest epoch any visible loss plot draws."""
    return max(
        (max(line.xs) for plot in app.screen.query(LossPlot) if plot._data is not None
         for line in plot._data.lines if line.xs),
        default=0.0,
    )  # fmt: skip


def first_lines(epochs: int) -> list[str]:
    """The 5-seed fixture's header and events up to `epochs` (both runs)."""
    lines = SEEDS_FIXTURE.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if f'"epoch":{epochs + 1},' in line)
    return lines[:cut]


async def test_watch_plots_keep_up_with_a_log_written_faster_than_their_throttle(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setitem(dashboard.PLOT_INTERVAL_S, False, 1000.0)  # the throttle never fires
    log = tmp_path / "run.jsonl"
    log.write_text("".join(first_lines(10)))
    source = FollowSource(str(log))
    app = make_app(source, config=config_from_header(source.header), handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: plotted_epoch(app) == 10)  # the first frame: the file
        with log.open("a") as file:  # the writer goes on: 95 epochs in a moment
            file.write("".join(first_lines(105)[len(first_lines(10)) :]))
        raw = app.state.runs["raw"]
        await wait_until(pilot, lambda: raw.last is not None and raw.last.epoch == 105)
        await pilot.pause()
        assert plotted_epoch(app) == 105, "the plots lag the status line"
    source.stop()


async def test_gauges_and_the_strip_redraw_once_a_second_the_status_four_times() -> None:
    """Issue 25 item 10: 26-28 KB/s at 120x40 with 5 seeds, ~10 of them gauges and the strip
    redrawn with every status tick; they now follow at most once a second."""
    from fake_source import ReplaySource, read_events

    from normtui.engine.config import SessionConfig
    from normtui.engine.events import EpochEnd
    from normtui.tui.viewstate.state import Changed

    header, events = read_events(SEEDS_FIXTURE)
    cut = next(i for i, e in enumerate(events) if isinstance(e, EpochEnd) and e.epoch == 30)
    app = make_app(
        ReplaySource(events[:cut]),
        config=SessionConfig.from_dict(header["config"]),
        handle_signals=False,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        raw = app.state.runs["raw"]
        await wait_until(pilot, lambda: raw.last is not None and raw.last.epoch == 29)
        await pilot.pause(0.3)
        screen = app.screen
        strip = screen.query_one("#comparison")
        base = time.monotonic() + 1000  # ahead of the app's own ticks: only these draw
        screen.dirty |= Changed.ALL
        screen.show(screen.controls, now=base, force=True)
        before = strip._markup, str(screen.query_one("#raw-gauges").render())
        app.dashboard.ingest(events[cut : cut + 40])  # 20 more epochs of both runs
        screen.show(screen.controls, now=base + 0.3)
        await pilot.pause()
        assert raw.last.epoch == 49
        after = strip._markup, str(screen.query_one("#raw-gauges").render())
        assert after == before, "the strip and gauges waited for their turn"
        screen.show(screen.controls, now=base + 1.1)
        await pilot.pause()
        assert (strip._markup, str(screen.query_one("#raw-gauges").render())) != before
