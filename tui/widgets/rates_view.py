"""The rates view (`g`): validation score against learning rate for both runs, live.

One plot, one shared y-axis: the x-axis is log10 of the rate (the grid's rates sit at their
log positions), each run's mean over its live seeds is a marker per rate (● raw, ◆ normalized:
they differ without colour too), joined by dots, with a bar from the live seeds' lowest to
highest score. Under the axis, one row per run: the rates that work (─), the chosen rate (▲)
and the seeds that diverged at a rate (†n). The first line names the chosen rates (on the
validation rows) and the tuned verdict on the held-out test rows. Drawn as text, so it reads
at 80x24 and under NO_COLOR.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

from normtui.engine.grid import rate_text
from normtui.tui.viewstate.rates import RatesData, RunRates, chosen_text, tuned_text
from normtui.tui.widgets.fitting import cells, shorten

MARKERS = ("●", "◆")  # raw, normalized: distinct shapes under NO_COLOR
GUTTER = 6  # the y labels ("100% ") and the axis
MIN_PLOT_ROWS = 3
Cell = tuple[str, str]  # glyph, style ("" for none)


def score_label(value: float, regression: bool) -> str:
    return f"{value:.2f}" if regression else f"{value * 100:.0f}%"


def y_span(data: RatesData) -> tuple[float, float]:
    """Both runs' lowest and highest shown score (one axis for both), a little apart. R² below 0
    sits on the bottom row at 0 (the rate choice clips it there too): a runaway rate's −40 would
    squash every other rate into one row."""
    values = [
        v
        for run in data.runs
        for p in run.points
        for v in (p.low, p.high, p.mean)
        if v is not None and math.isfinite(v)
    ]
    if not values:
        return (0.0, 1.0)
    low, high = min(values), max(values)
    if high - low < 0.02:
        low, high = low - 0.01, high + 0.01
    if not data.regression:
        low, high = max(0.0, low), min(1.0, high)
    elif high > 0.02:
        low = max(0.0, low)
    return low, high


def x_columns(rates: Sequence[float], width: int) -> list[int]:
    """Each rate's column on a log10 axis `width` columns wide (room for a label each side)."""
    if not rates:
        return []
    logs = [math.log10(rate) for rate in rates]
    lo, hi = min(logs), max(logs)
    left, right = 2, max(3, width - 3)
    if hi - lo < 1e-12:
        return [(left + right) // 2 for _ in rates]
    return [left + round((v - lo) / (hi - lo) * (right - left)) for v in logs]


def _row(value: float, span: tuple[float, float], rows: int) -> int:
    low, high = span
    share = (high - value) / (high - low) if high > low else 0.5
    return max(0, min(rows - 1, round(share * (rows - 1))))


def _paint(grid: list[list[Cell]], row: int, col: int, glyph: str, style: str) -> None:
    if 0 <= row < len(grid) and 0 <= col < len(grid[row]):
        grid[row][col] = (glyph, style)


def _draw_run(
    grid: list[list[Cell]],
    run: RunRates,
    columns: list[int],
    offset: int,
    span: tuple[float, float],
    marker: str,
) -> None:
    style = f"${run.name}-color"
    rows = len(grid)
    placed: list[tuple[int, int]] = []
    for point, col in zip(run.points, columns, strict=False):
        if point.mean is None or point.low is None or point.high is None:
            continue
        col += offset
        top, bottom = _row(point.high, span, rows), _row(point.low, span, rows)
        for row in range(top, bottom + 1):
            _paint(grid, row, col, "│", style)
        placed.append((col, _row(point.mean, span, rows)))
    for (c0, r0), (c1, r1) in itertools.pairwise(placed):  # dots between the means
        for col in range(c0 + 1, c1):
            row = round(r0 + (r1 - r0) * (col - c0) / (c1 - c0))
            if grid[row][col][0] == " ":
                _paint(grid, row, col, "·", style)
    for index, (point, col) in enumerate(zip(run.points, columns, strict=False)):
        if point.mean is not None:
            bold = "bold " if index == run.chosen else ""
            _paint(grid, _row(point.mean, span, rows), col + offset, marker, f"{bold}{style}")


def _markup(cells_: Sequence[Cell]) -> str:
    out = []
    for glyph, style in cells_:
        text = glyph.replace("[", r"\[")
        out.append(f"[{style}]{text}[/]" if style and glyph != " " else text)
    return "".join(out)


def _run_row(
    run: RunRates, columns: list[int], offset: int, width: int, marker: str, label: str
) -> str:
    """Under the axis: the rates that work (─ from the first to the last), the chosen (▲), the
    seeds that diverged at a rate (†n)."""
    style = f"${run.name}-color"
    row: list[Cell] = [(" ", "")] * width
    works = [columns[i] + offset for i in run.works if i < len(columns)]
    if works:
        for col in range(min(works), max(works) + 1):
            row[col] = ("─", style)
    for _index, (point, col) in enumerate(zip(run.points, columns, strict=False)):
        col += offset
        if point.diverged and 0 <= col < width:
            mark = f"†{point.diverged}"
            for k, char in enumerate(mark):
                if col + k < width:
                    row[col + k] = (char, "$error")
    if run.chosen < len(columns):
        chosen = columns[run.chosen] + offset
        if 0 <= chosen < width:
            row[chosen] = ("▲", f"bold {style}")
    head = f"[{style}]{marker}{label[: GUTTER - 2]:<{GUTTER - 2}}[/] "
    return head + _markup(row)


def _tick_row(rates: Sequence[float], columns: list[int], width: int) -> str:
    """The rates' names centred under their columns (one left out where two would touch)."""
    line = [" "] * width
    end = -2
    for rate, col in zip(rates, columns, strict=False):
        text = rate_text(rate)
        start = max(0, min(width - len(text), col - len(text) // 2))
        if start <= end + 1:
            continue
        line[start : start + len(text)] = list(text)
        end = start + len(text) - 1
    return " " * GUTTER + "".join(line).rstrip()


def header_line(data: RatesData, width: int, score: str) -> str:
    """The chosen rates (on the val rows) and the tuned verdict (on the test rows), fitted."""
    chosen = chosen_text(data)
    tuned = tuned_text(data)
    test = f"{data.n_test} test rows" if data.n_test else "test rows"
    forms = [
        f"[b]chosen on val rows:[/b] {chosen}  [b]tuned, on {test}:[/b] {tuned}",
        f"[b]chosen on val:[/b] {chosen}  [b]on {test}:[/b] {tuned}",
        f"[b]chosen (val):[/b] {chosen}  [b]test:[/b] {tuned}",
    ]
    if not tuned:
        forms = [f"[b]chosen on val rows:[/b] {chosen}", f"[b]chosen (val):[/b] {chosen}"]
    forms = [f"[dim]e{data.epoch}[/] {form}" for form in forms] + forms
    for form in forms:
        if cells(form) <= width:
            return form
    return shorten(forms[-1], width)


def legend_line(width: int) -> str:
    forms = [
        "● raw ◆ normalized: mean of live seeds, │ lowest–highest · ─ rates that work"
        " · ▲ chosen on val · †n seeds diverged",
        "● raw ◆ norm: mean, │ seeds' range · ─ works · ▲ chosen · †n diverged",
        "●raw ◆norm │range ─works ▲chosen †diverged",
    ]
    for form in forms:
        if len(form) <= width:
            return f"[dim]{form}[/]"
    return f"[dim]{shorten(forms[-1], width)}[/]"


def rates_rows(data: RatesData | None, width: int, height: int) -> list[str]:
    """The view's rows (markup) in `width` × `height` cells."""
    if data is None:
        return ["[dim]learning-rate grid: waiting for the first epoch of both runs…[/]"]
    score = "R²" if data.regression else "accuracy"
    # rows: header, plot, axis, ticks, one per run, legend; the legend goes first, then the
    # header, where the height is short
    extra = 3 + len(data.runs)
    legend = height - extra - MIN_PLOT_ROWS >= 2
    plot_rows = max(MIN_PLOT_ROWS, height - extra - (1 if legend else 0))
    span = y_span(data)
    plot_width = max(10, width - GUTTER - 1)
    rates = data.runs[0].points
    columns = x_columns([p.rate for p in rates], plot_width)
    gap = min((b - a for a, b in itertools.pairwise(columns)), default=plot_width)
    offsets = (-1, 1) if gap >= 4 else (0, 0)  # the runs side by side at each rate
    grid: list[list[Cell]] = [[(" ", "")] * plot_width for _ in range(plot_rows)]
    for run, offset, marker in zip(data.runs, offsets, MARKERS, strict=False):
        _draw_run(grid, run, columns, offset, span, marker)
    labelled = {0: span[1], plot_rows - 1: span[0]}
    if plot_rows >= 5:
        labelled[(plot_rows - 1) // 2] = (span[0] + span[1]) / 2
    rows = [header_line(data, width, score)]
    for index, line in enumerate(grid):
        label = score_label(labelled[index], data.regression) if index in labelled else ""
        tick = "┤" if index in labelled else "│"
        rows.append(f"[dim]{label:>{GUTTER - 1}}{tick}[/]{_markup(line)}")
    axis = ["─"] * plot_width
    for col in columns:
        if 0 <= col < plot_width:
            axis[col] = "┴"
    rows.append(f"[dim]{'':>{GUTTER - 1}}└{''.join(axis)}[/]")
    rows.append(f"[dim]{_tick_row([p.rate for p in rates], columns, plot_width)}[/]")
    for run, offset, marker in zip(data.runs, offsets, MARKERS, strict=False):
        label = "raw" if run.name == "raw" else "norm"
        rows.append(_run_row(run, columns, offset, plot_width, marker, label))
    if legend:
        rows.append(legend_line(width))
    return rows


def rates_title(data: RatesData | None, width: int, shift: float = 1.0) -> str:
    """The border's title: what the axes are, at which epoch, and any `+`/`-` shift."""
    score = "R²" if data is not None and data.regression else "accuracy"
    shifted = f" [$warning](shifted ×{shift:.3g})[/]" if abs(shift - 1) > 1e-9 else ""
    forms = [
        f"learning-rate grid · mean val {score} vs rate (log) · both runs, one y-axis{shifted}",
        f"rate grid · val {score} vs rate (log){shifted}",
        f"val {score} vs rate{shifted}",
    ]
    for form in forms:
        if Content.from_markup(form).cell_length <= width - 4:
            return form
    return forms[-1]


class RatesView(Widget):
    """The rates plot; `show` repaints it only when its numbers changed (the size: Textual)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: RatesData | None = None
        self._shift = 1.0

    def show(self, data: RatesData | None, shift: float = 1.0) -> None:
        title = rates_title(data, self.size.width or 120, shift)
        if title != self.border_title:
            self.border_title = title
        if self.border_subtitle != "g: loss plots":
            self.border_subtitle = "g: loss plots"
        if (data, shift) == (self._data, self._shift):
            return
        self._data, self._shift = data, shift
        self.refresh()

    def render(self) -> RenderResult:
        width = self.content_size.width or 120
        height = self.content_size.height or 12
        return Content.from_markup("\n".join(rates_rows(self._data, width, height)[:height]))
