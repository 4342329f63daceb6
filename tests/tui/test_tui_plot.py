"""The loss plot reads right: whole marker labels, distinct tick labels, the axis mode named."""

from __future__ import annotations

import re

from textual.app import App, ComposeResult

from normtui.tui.widgets.loss_plot import Line as PlotLine
from normtui.tui.widgets.loss_plot import LossPlot, PlotData, label_positions, tick_label

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PlotApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LossPlot(id="plot")


def plot_text(plot: LossPlot) -> str:
    return "\n".join(ANSI.sub("", line) for line in plot._lines)


async def _render(data: PlotData, size: tuple[int, int] = (60, 20)) -> str:
    app = PlotApp()
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(LossPlot)
        plot.set_data(data)
        await pilot.pause()
        plot.refresh()
        await pilot.pause()
        return plot_text(plot)


def _curve(last_epoch: int) -> tuple[PlotLine, ...]:
    xs = tuple(float(x) for x in range(1, last_epoch + 1, max(1, last_epoch // 200)))
    return (PlotLine(xs, tuple(1.0 / x for x in xs), "raw-color"),)


async def test_a_switch_at_the_left_edge_of_a_long_run_keeps_its_whole_label() -> None:
    """A marker at epoch 50 of 6000 sits in the first column: its label must not lose letters."""
    text = await _render(PlotData(_curve(6000), ((50, "tanh"),), log_y=True))
    assert "tanh" in text


async def test_a_switch_just_made_at_the_right_edge_is_labelled() -> None:
    text = await _render(PlotData(_curve(290), ((289, "sigmoid"),), log_y=True))
    assert "sigmoid" in text


def test_labels_start_right_of_their_marker_or_end_left_of_it_at_the_edge() -> None:
    ((x, label, alignment, _row),) = label_positions([(50, "tanh")], 0, 6000, 50)
    assert (label, alignment) == ("tanh", "left") and x > 50
    ((x, label, alignment, _row),) = label_positions([(5990, "sigmoid")], 0, 6000, 50)
    assert (label, alignment) == ("sigmoid", "right") and x < 5990


def test_tick_labels_of_long_runs_stay_distinct() -> None:
    ticks = [2500, 5000, 7500, 10000, 12500, 15000, 17500, 20000]
    labels = [tick_label(t) for t in ticks]
    assert len(set(labels)) == len(labels), labels
    assert labels[-4:] == ["12.5k", "15k", "17.5k", "20k"]
    assert tick_label(2.5e-4) == "2.5e-4" and tick_label(5e-4) == "5e-4"
    assert tick_label(0.05) == "0.05" and tick_label(1_000_000) == "1M"
    assert tick_label(5e33) == "5e33" and tick_label(2.5e9) == "2.5e9"  # not "5e+27M"
