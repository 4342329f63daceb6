"""The range test's chart: smoothed loss against rate, both axes in decades, drawn with plotext.

One function draws a run on any plotext figure, so `normtui lr-find` (plain plotext, to stdout)
and the dashboard's lr-find screen (textual-plotext's figure in a widget) draw the same chart.
Both runs are given one y-range (`shared_y_range`): equal heights are equal losses. Without
colour (NO_COLOR, or stdout not a terminal) the seeds are dots, the median a line and the
suggestion a vertical bar, so the chart still reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from normtui.engine.lr_range import RunRange, rate

SEED_MARKER = "·"
LOSS_FLOOR = 1e-12  # a loss of exactly 0 still has a place on the log axis


@dataclass(frozen=True)
class Colours:
    """RGB of each element; None throughout draws without colour."""

    median: tuple[int, int, int] | str
    seeds: tuple[int, int, int] | str
    marker: tuple[int, int, int] | str


def _log(value: float) -> float:
    return math.log10(max(value, LOSS_FLOOR))


def shared_y_range(runs: Sequence[RunRange]) -> tuple[float, float]:
    """log10 of the lowest and highest smoothed loss of every seed of every run."""
    values = [_log(y) for run in runs for m in run.members for y in m.smoothed if math.isfinite(y)]
    if not values:
        return (0.0, 1.0)
    low, high = min(values), max(values)
    if high - low < 0.1:  # a flat curve still gets some height
        low, high = low - 0.05, high + 0.05
    return (low, high)


def _decade_ticks(low: float, high: float, most: int) -> list[float]:
    first, last = math.ceil(low - 1e-9), math.floor(high + 1e-9)
    ticks = list(range(first, last + 1))
    step = max(1, math.ceil(len(ticks) / max(most, 1)))
    return [float(t) for t in ticks[::step]]


def _y_ticks(low: float, high: float, rows: int) -> list[float]:
    ticks = _decade_ticks(low, high, max(2, rows // 3))
    if len(ticks) >= 2:
        return ticks
    return [low + (high - low) * k / 3 for k in range(4)]  # under a decade: four ticks


def _loss_label(log_value: float) -> str:
    value = 10**log_value
    if 0.01 <= value < 1000:
        return f"{value:.3g}"
    if abs(log_value - round(log_value)) < 1e-9:
        return f"1e{round(log_value)}"
    return rate(value)


def draw_run(
    plt: Any,
    run: RunRange,
    rates: Sequence[float],
    *,
    y_range: tuple[float, float],
    width: int,
    height: int,
    colours: Colours | None,
) -> None:
    """`run`'s chart on the plotext figure `plt` (cleared, sized and themed by the caller),
    not yet built; `width` and `height` choose how many ticks fit."""
    xs = [math.log10(r) for r in rates]
    for member in run.members:
        points = [(x, _log(y)) for x, y in zip(xs, member.smoothed, strict=False)]
        if points:
            plt.scatter(
                [x for x, _ in points],
                [y for _, y in points],
                marker=SEED_MARKER,
                **({} if colours is None else {"color": colours.seeds}),
            )
    median = [(x, _log(y)) for x, y in zip(xs, run.median, strict=True) if math.isfinite(y)]
    if median and len(run.members) > 1:
        plt.plot(
            [x for x, _ in median],
            [y for _, y in median],
            marker="braille",
            **({} if colours is None else {"color": colours.median}),
        )
    if run.suggestion is not None:
        plt.vline(math.log10(run.suggestion), *(() if colours is None else (colours.marker,)))
    low, high = y_range
    pad = (high - low) * 0.03
    plt.ylim(low - pad, high + pad)
    plt.xlim(xs[0], xs[-1])
    y_ticks = _y_ticks(low, high, height - 3)
    plt.yticks(y_ticks, [_loss_label(t) for t in y_ticks])
    x_ticks = _decade_ticks(xs[0], xs[-1], max(2, width // 9))
    plt.xticks(x_ticks, [f"1e{int(t)}" for t in x_ticks])
    suggestion = f" · suggests {rate(run.suggestion)}" if run.suggestion is not None else ""
    plt.title(f"{run.name}{suggestion}")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def visible_width(line: str) -> int:
    return len(ANSI.sub("", line))


def side_by_side(left: list[str], right: list[str], gap: int = 2) -> list[str]:
    """Two charts' lines next to each other (the left one padded to its own width)."""
    width = max((visible_width(line) for line in left), default=0)
    rows = max(len(left), len(right))
    left = left + [""] * (rows - len(left))
    right = right + [""] * (rows - len(right))
    return [
        a + " " * (width - visible_width(a) + gap) + b for a, b in zip(left, right, strict=True)
    ]


def legend(seeds: int, *, short: bool = False) -> str:
    """What the marks mean, under the chart (`short`: the screen's one line)."""
    if short:
        median = " ⣀ median," if seeds > 1 else ""
        return f"{SEED_MARKER} each seed ({seeds}),{median} │ suggestion; log axes, one y-axis"
    median = " ⣀ their median," if seeds > 1 else ""
    return (
        f"{SEED_MARKER} each seed's smoothed training loss ({seeds}),{median} │ the suggestion."
        " x: learning rate; y: loss (one axis for both runs); both log."
    )
