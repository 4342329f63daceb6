"""Loss curves drawn with plotext, rebuilt only when their data, size or theme changed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.geometry import Region
from textual_plotext import PlotextPlot

SMOOTH_WINDOW = 9
BAND_GLYPH = "░"  # the band's shade: a glyph, so it reads under NO_COLOR too, braille on top
BAND_FADE = 0.55  # the band's colour, blended this far toward the background


def theme_rgb(variables: dict[str, str], variable: str, fade: float = 0.0) -> tuple[int, int, int]:
    """A theme variable's colour as RGB for plotext (the foreground where the theme lacks it),
    blended `fade` of the way into the surface (a band, a faint seed line)."""
    colour = Color.parse(variables.get(variable, variables.get("foreground", "#c0c0c0")))
    if fade:
        colour = colour.blend(Color.parse(variables.get("surface", "#000000")), fade)
    return colour.rgb


@dataclass(frozen=True)
class Line:
    """One curve; `colour` names a theme variable, `fade` blends it toward the background."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    colour: str
    fade: float = 0.0
    # under NO_COLOR: dotted (•) or braille; None decides by colour (SECONDARY_COLOURS)
    dotted: bool | None = None


@dataclass(frozen=True)
class Band:
    """The spread of a run's seeds: shaded from `lows` to `highs` under its median line."""

    xs: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    colour: str
    fade: float = BAND_FADE


@dataclass(frozen=True)
class PlotData:
    lines: tuple[Line, ...]
    markers: tuple[tuple[int, str], ...] = ()
    log_y: bool = False
    empty_message: str = "waiting for the first epoch…"
    bands: tuple[Band, ...] = ()  # drawn first, under every line
    # (x, y) points the axes must reach without drawing them: the other pane's extremes, so
    # both side-by-side plots share one y-range (and x-range); see `extremes`
    cover: tuple[tuple[float, float], ...] = ()


def extremes(data: PlotData) -> tuple[tuple[float, float], ...]:
    """The points that fix a plot's axes: its first and last x, its lowest and highest finite
    y and its lowest positive y (the log axis's floor). Another plot covering them (`cover`)
    gets the same axes whenever its own points lie inside them."""
    xs = [x for line in data.lines for x in line.xs]
    ys = [y for line in data.lines for y in line.ys]
    ys += [y for band in data.bands for y in (*band.lows, *band.highs)]
    finite = [y for y in ys if math.isfinite(y)]
    if not xs or not finite:
        return ()
    x_lo, x_hi = min(xs), max(xs)
    points = [(x_lo, min(finite)), (x_hi, max(finite))]
    positive = [y for y in finite if y > 0]
    if positive:
        points.append((x_lo, min(positive)))
    return tuple(points)


def band_path(band: Band, *, floor: float | None = None) -> tuple[list[float], list[float]]:
    """A zigzag through the band (low, high at one x; high, low at the next) that, drawn as one
    line of `BAND_GLYPH` cells, shades every column between the two edges. `floor`: a log axis's
    bottom, where a low edge at or below zero is cut."""
    xs: list[float] = []
    ys: list[float] = []
    for index, (x, low, high) in enumerate(zip(band.xs, band.lows, band.highs, strict=True)):
        if not (math.isfinite(low) and math.isfinite(high)):
            continue
        if floor is not None:
            if high <= 0:
                continue
            low = max(low, floor)
        xs += [x, x]
        ys += [low, high] if index % 2 == 0 else [high, low]
    return xs, ys


def smooth(values: Sequence[float], window: int = SMOOTH_WINDOW) -> tuple[float, ...]:
    """Centred moving average (shrinking at the ends) over plotted points."""
    half = window // 2
    out = []
    total = 0.0
    prefix = [0.0]
    for value in values:
        total += value
        prefix.append(total)
    count = len(values)
    for index in range(count):
        lo, hi = max(0, index - half), min(count, index + half + 1)
        out.append((prefix[hi] - prefix[lo]) / (hi - lo))
    return tuple(out)


def curve_lines(
    xs: Sequence[float],
    ys: Sequence[float],
    colour: str,
    *,
    smoothing: bool,
    fade: float = 0.0,
    dotted: bool | None = None,
) -> list[Line]:
    """The curve itself, plus a smoothed copy on top when smoothing is on (raw line kept, faded)."""
    xs_t, ys_t = tuple(xs), tuple(ys)
    if not smoothing or len(ys_t) < 3:
        return [Line(xs_t, ys_t, colour, fade, dotted)]
    return [
        Line(xs_t, ys_t, colour, max(fade, 0.6), dotted),
        Line(xs_t, smooth(ys_t), colour, fade, dotted),
    ]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick positions covering [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw_step = (hi - lo) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(value)
        value += step
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks per decade inside [lo, hi] (at most ~6)."""
    if lo <= 0 or hi <= lo:
        return []
    ticks = []
    for exponent in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0**exponent
            if lo <= value <= hi:
                ticks.append(value)
    while len(ticks) > 6:
        ticks = ticks[::2]
    return ticks


def tick_label(value: float) -> str:
    """Short axis label that keeps neighbouring ticks distinct (12.5k, 15k, 20k; 2.5e-4)."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e9 or magnitude < 1e-3:  # a diverging run's 5e33, or a tiny 2.5e-4
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa.removesuffix('.0')}e{int(exponent)}"
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:.4g}"


Alignment = Literal["left", "right"]


def label_positions(
    markers: Sequence[tuple[int, str]], x_lo: float, x_hi: float, columns: int, rows: int = 1
) -> list[tuple[float, str, Alignment, int]]:
    """(x, label, alignment, row) for marker labels that fit without overlapping.

    A label starts one column right of its marker; near the right edge it ends one column left
    of it instead, so it is never clipped (a label centred on a marker at the edge lost letters).
    A label that would overlap a newer one drops to the next of `rows` text rows, so markers a
    few epochs apart (a swap, then a learning-rate change) both stay readable; past the last
    row the older label is left out (its line stays).
    """
    span = max(x_hi - x_lo, 1e-9)
    column = span / columns
    placed: list[tuple[float, float, int]] = []
    kept: list[tuple[float, str, Alignment, int]] = []
    for epoch, label in reversed(markers):
        at = (epoch - x_lo) / span * columns
        alignment: Alignment = "left"
        start, end, x = at + 1, at + 1 + len(label), epoch + column
        if end > columns:
            start, end, x, alignment = at - len(label), at, epoch - column, "right"
        if start < 0:
            continue
        for row in range(max(1, rows)):
            if not any(r == row and start < b + 1 and a < end + 1 for a, b, r in placed):
                placed.append((start, end, row))
                kept.append((x, label, alignment, row))
                break
    return kept


def row_value(lo: float, hi: float, row: int, rows: int, *, log: bool) -> float:
    """The y value of text row `row` counted down from the top of a canvas `rows` high."""
    fraction = row / max(1, rows - 1)
    if log:
        return 10 ** (math.log10(hi) - fraction * (math.log10(hi) - math.log10(lo)))
    return hi - fraction * (hi - lo)


def sticky_upper(value: float) -> float:
    """A round axis end >= value that stays put while the curve grows (then jumps ~1.3x)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for mantissa in (1, 1.5, 2, 3, 4, 5, 6, 8, 10):
        if mantissa * magnitude >= value:
            return mantissa * magnitude
    return 10 * magnitude


def sticky_range(lo: float, hi: float, *, log: bool) -> tuple[float, float]:
    """Y limits snapped to a coarse grid, so small changes in the data don't rescale the plot."""
    if log:
        step = 0.5  # half decades
        a = math.floor(math.log10(lo) / step) * step
        b = math.ceil(math.log10(hi) / step) * step
        return 10**a, 10 ** max(b, a + step)
    if hi <= lo:
        return lo - 1, hi + 1
    raw_step = (hi - lo) / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


# Lines drawn second in each plot (training loss in a pane, the normalized run in the overlay).
# With NO_COLOR every line is the same grey, so these are drawn, and shown in legends, as dots.
SECONDARY_COLOURS = frozenset({"train-color", "normalized-color"})


def line_glyph(colour: str, no_color: bool) -> str:
    """The legend's sample of a line: a bar, or a dot for a secondary line under NO_COLOR."""
    return "•" if no_color and colour in SECONDARY_COLOURS else "━"


class LossPlot(PlotextPlot):
    """A plotext chart fed `PlotData`.

    Axes snap to round limits that change rarely, and after each rebuild only the terminal lines
    that differ are repainted: a growing curve costs a few lines per refresh, not the whole plot.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._data: PlotData | None = None
        self._key: tuple[object, ...] | None = None
        self._lines: list[str] = []
        self._text: Text | None = None
        self.builds = 0  # plot rebuilds, for tests and benchmarks
        self.y_range: tuple[float, float] | None = None  # the last build's y limits, for tests

    def set_data(self, data: PlotData) -> None:
        if data == self._data:
            return
        self._data = data
        width, height = self.content_size
        if (width, height, self.app.theme) != self._key or not self._lines:
            self.refresh()  # size or theme changed (or never drawn): render() rebuilds it all
            return
        lines = self._build(width, height)
        text = Text.from_ansi("\n".join(lines), no_wrap=True)
        changed = [
            y for y in range(len(lines)) if y >= len(self._lines) or lines[y] != self._lines[y]
        ]
        self._lines, self._text = lines, text
        if len(changed) > height // 2:
            self.refresh()
            return
        for y in changed:
            self.refresh(Region(0, y, width, 1))

    def _dotted(self, line: Line) -> bool:
        if line.dotted is None:
            return line_glyph(line.colour, self.app.no_color) == "•"
        return line.dotted and self.app.no_color

    def _rgb(self, variable: str, fade: float) -> tuple[int, int, int]:
        return theme_rgb(self.app.theme_variables, variable, fade)

    def render(self) -> RenderResult:
        width, height = self.content_size
        key = (width, height, self.app.theme)
        if key != self._key or self._text is None:
            self._key = key
            self._lines = self._build(width, height)
            self._text = Text.from_ansi("\n".join(self._lines), no_wrap=True)
        return self._text

    def _build(self, width: int, height: int) -> list[str]:
        """The plot as ANSI lines (one per terminal row)."""
        data = self._data
        points = [] if data is None else [y for line in data.lines for y in line.ys]
        if data is not None:
            points += [y for band in data.bands for y in (*band.lows, *band.highs)]
        if data is None or not points or width < 12 or height < 4:
            message = data.empty_message if data is not None else "waiting for the first epoch…"
            return [f"\x1b[2m{message.center(width)}\x1b[0m" if width >= 12 else ""]
        self.builds += 1
        plt = self.plt
        plt.clear_figure()
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        xs = [x for line in data.lines for x in line.xs] + [x for x, _ in data.cover]
        points += [y for _, y in data.cover]
        x_lo, x_hi = min(xs), sticky_upper(max(max(xs), 10))
        positive = [y for y in points if y > 0 and math.isfinite(y)]
        finite = [y for y in points if math.isfinite(y)] or [0.0]
        log_y = data.log_y and bool(positive)
        if log_y:
            y_lo, y_hi = sticky_range(min(positive), max(positive), log=True)
            ticks = log_ticks(y_lo, y_hi)
        else:
            y_lo, y_hi = sticky_range(min(finite), max(finite), log=False)
            ticks = nice_ticks(y_lo, y_hi, max(2, height // 4))
        self.y_range = (y_lo, y_hi)
        tick_labels = [tick_label(t) for t in ticks]
        # the canvas: the width less the y tick labels, their ┤ and the frame's two sides
        canvas_columns = max(1, width - max(map(len, tick_labels), default=1) - 3)
        marker_rgb = self._rgb("marker-color", 0.0)
        visible = [(epoch, label) for epoch, label in data.markers if x_lo <= epoch <= x_hi]
        for epoch, _label in visible:
            plt.vline(epoch, marker_rgb)
        canvas_rows = max(1, height - 3)  # less the frame's two sides and the x tick labels
        label_rows = 3 if canvas_rows >= 9 else 2 if canvas_rows >= 5 else 1
        placed = label_positions(visible, x_lo, x_hi, canvas_columns, label_rows)
        for x, label, alignment, row in placed:
            y = row_value(y_lo, y_hi, row, canvas_rows, log=log_y)
            plt.text(label, x, y, color=marker_rgb, alignment=alignment)
        for band in data.bands:
            band_xs, band_ys = band_path(band, floor=y_lo if log_y else None)
            if band_xs:
                shade = self._rgb(band.colour, band.fade)
                plt.plot(band_xs, band_ys, color=shade, marker=BAND_GLYPH)
        for line in data.lines:
            pairs = [(x, y) for x, y in zip(line.xs, line.ys, strict=True) if y > 0 or not log_y]
            if pairs:
                plt.plot(
                    [x for x, _ in pairs],
                    [y for _, y in pairs],
                    color=self._rgb(line.colour, line.fade),
                    marker="•" if self._dotted(line) else "braille",
                )
        plt.xlim(x_lo, x_hi)
        if log_y:
            plt.yscale("log")
            plt.ylim(math.log10(y_lo), math.log10(y_hi))
        else:
            plt.ylim(y_lo, y_hi)
        if ticks:
            plt.yticks(ticks, tick_labels)
        x_ticks = [t for t in nice_ticks(x_lo, x_hi, max(2, width // 14)) if x_lo <= t <= x_hi]
        plt.xticks(x_ticks, [tick_label(t) for t in x_ticks])
        return plt.build().split("\n")
