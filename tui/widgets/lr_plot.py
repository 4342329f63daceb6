"""One run's range-test chart (tui/lr_chart.py) in a widget, in the theme's run colour."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from normtui.engine.lr_range import RunRange
from normtui.tui.lr_chart import Colours, draw_run
from normtui.tui.widgets.loss_plot import theme_rgb

SEED_FADE = 0.5  # each seed's dots, blended this far toward the background: the median leads


class RatePlot(PlotextPlot):
    """Smoothed loss against rate for one run; `message` until its data arrives."""

    def __init__(self, colour: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._colour = colour  # the theme variable of this run's colour
        self._run: RunRange | None = None
        self._rates: Sequence[float] = ()
        self._y_range = (0.0, 1.0)
        self.message = "running the range test…"

    def show(self, run: RunRange, rates: Sequence[float], y_range: tuple[float, float]) -> None:
        self._run, self._rates, self._y_range = run, rates, y_range
        self.refresh()

    def say(self, message: str) -> None:
        self.message = message
        self.refresh()

    def _rgb(self, variable: str, fade: float = 0.0) -> tuple[int, int, int]:
        return theme_rgb(self.app.theme_variables, variable, fade)

    def render(self) -> RenderResult:
        width, height = self.content_size
        if self._run is None or width < 20 or height < 6:
            return Text(self.message, style="dim", justify="center")
        plt = self.plt
        plt.clear_figure()
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        colours = Colours(
            median=self._rgb(self._colour),
            seeds=self._rgb(self._colour, SEED_FADE),
            marker=self._rgb("marker-color"),
        )
        draw_run(
            plt,
            self._run,
            self._rates,
            y_range=self._y_range,
            width=width,
            height=height,
            colours=colours,
        )
        return Text.from_ansi(plt.build(), no_wrap=True)
