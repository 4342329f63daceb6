"""`watch` keeps its plots with its status line (issue 25 item 8).

With `train --log` writing fast, the status line said `epoch 105` while the loss plot still showed
the ~10 epochs of the first frame, for the plots' one-second throttle. The plots now redraw as
soon as the latest epoch is a quarter past the plotted one, whatever the throttle says.
"""

from __future__ import annotations

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
